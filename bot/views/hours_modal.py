"""The log-hours modal: date, project (type-ahead), activity, duration, note, billable.

It opens at once with what needs no database (Slack's trigger lives 3 seconds), then the handler
fills in the activities with ``views.update``. Picking a project or an activity updates the
defaults; the activity and billable blocks get a new version suffix so Slack shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.views import entry_form, form_state
from bot.views.blocks import Block, context, option, section, static_select, text_input
from bot.views.form_state import ModalContext, versioned
from core.i18n import _
from services.entry_outcomes import Choice
from services.recents import RecentCombination
from services.time_entries import HoursForm

# The ids shared with the other entry form: contracts, the handlers and tests find fields by them.
DAY_BLOCK, DAY_ACTION = entry_form.DAY_BLOCK, entry_form.DAY_ACTION
PROJECT_BLOCK = entry_form.PROJECT_BLOCK
NOTE_BLOCK, NOTE_ACTION = entry_form.NOTE_BLOCK, entry_form.NOTE_ACTION
BILLABLE_BLOCK, BILLABLE_ACTION = entry_form.BILLABLE_BLOCK, entry_form.BILLABLE_ACTION
BILLABLE_VALUE = entry_form.BILLABLE_VALUE
CALLBACK_ID = "log_hours_modal"
DONE_CALLBACK_ID = entry_form.done_callback_id(CALLBACK_ID)
PROJECT_ACTION = "log_hours_project"
ACTIVITY_BLOCK, ACTIVITY_ACTION = "activity", "log_hours_activity"
DURATION_BLOCK, DURATION_ACTION = "duration", "duration"
UNDO_ACTION = "log_hours_modal_undo"
RECENT_BLOCK, RECENT_ACTION = "recent", "log_hours_recent"
"""Issue 17 §3: the person's recent project/activity combinations, offered first; picking one
fills in project and activity (value ``"<project id>:<activity id>"``, looked up again)."""
FIELD_BLOCKS = {
    "day": DAY_BLOCK,
    "project": PROJECT_BLOCK,
    "activity": ACTIVITY_BLOCK,
    "duration": DURATION_BLOCK,
    "note": NOTE_BLOCK,
}


@dataclass(frozen=True)
class HoursModal:
    day: date
    project: Choice | None = None
    activities: tuple[Choice, ...] | None = None
    """None while loading."""
    activity_id: int | None = None
    duration: str = ""
    note: str = ""
    billable: bool = True
    context: ModalContext = field(default_factory=ModalContext)
    recents: tuple[RecentCombination, ...] = ()
    """Offered first when there are any (issue 17 §3)."""
    project_picked: bool = False
    """The project was just set from a recent combination: a new block id makes Slack show it."""
    recent_problem: str | None = None
    """Why a picked recent combination filled in nothing (archived in bexio meanwhile)."""


def recent_block(recents: tuple[RecentCombination, ...]) -> Block:
    select = static_select(
        RECENT_ACTION,
        [option(recent.label, recent.value) for recent in recents],
        placeholder=_("Pick a recent one"),
    )
    return section(_("*Recent* — the last 7 days:"), block_id=RECENT_BLOCK, accessory=select)


def build(state: HoursModal) -> dict[str, Any]:
    version = state.context.version
    project = entry_form.project_block(PROJECT_ACTION, state.project, dispatch_action=True)
    if state.project_picked:
        project["block_id"] = versioned(PROJECT_BLOCK, version)
    blocks: list[Block] = [
        *([recent_block(state.recents)] if state.recents else []),
        *([context(f"⚠️ {state.recent_problem}")] if state.recent_problem else []),
        entry_form.day_block(_("Date"), state.day),
        project,
        entry_form.choice_block(
            state.activities,
            state.activity_id,
            block=ACTIVITY_BLOCK,
            action_id=ACTIVITY_ACTION,
            label=_("Activity"),
            placeholder=_("Pick an activity"),
            version=version,
            loading=_("Loading activities…"),
            empty=_("No active business activities are imported yet — run `/bx-sync` first."),
        ),
        text_input(
            DURATION_BLOCK,
            _("Duration"),
            action_id=DURATION_ACTION,
            initial=state.duration or None,
            placeholder=_("2h30, 1.5h, 90m or 1:30"),
        ),
        entry_form.note_block(state.note),
        entry_form.billable_block(
            version, state.billable, _("Ticked by default when the activity is billable in bexio.")
        ),
    ]
    return entry_form.form_modal(
        _("Log hours"), _("Edit hours"), blocks, callback_id=CALLBACK_ID, ctx=state.context
    )


def current(view: dict[str, Any], today: date) -> HoursModal:
    """The modal as the person has filled it so far (for rebuilding it with new defaults)."""
    filled = entry_form.filled(view)
    return HoursModal(
        day=filled.day or today,
        project=entry_form.chosen_project(filled.values, PROJECT_ACTION),
        activity_id=form_state.selected_id(filled.values, ACTIVITY_BLOCK, ACTIVITY_ACTION),
        duration=form_state.text(filled.values, DURATION_BLOCK, DURATION_ACTION),
        note=filled.note,
        billable=entry_form.billable_so_far(filled.values),
        context=filled.context,
    )


def submitted(view: dict[str, Any]) -> tuple[HoursForm, ModalContext]:
    filled = entry_form.filled(view)
    form = HoursForm(
        day=filled.day,
        project_id=form_state.selected_id(filled.values, PROJECT_BLOCK, PROJECT_ACTION),
        activity_id=form_state.selected_id(filled.values, ACTIVITY_BLOCK, ACTIVITY_ACTION),
        duration=form_state.text(filled.values, DURATION_BLOCK, DURATION_ACTION),
        note=filled.note,
        billable=entry_form.billable_submitted(filled.values),
    )
    return form, filled.context


def errors_by_block(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    return entry_form.errors_by_block(view, errors, FIELD_BLOCKS)


def done(title: str, line: str, *, undo: int | None, ctx: ModalContext) -> dict[str, Any]:
    return entry_form.done(title, line, callback_id=CALLBACK_ID, undo_action=UNDO_ACTION, undo=undo, ctx=ctx)
