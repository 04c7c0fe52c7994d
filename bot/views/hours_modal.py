"""The log-hours modal: date, project (type-ahead), activity, duration, note, billable.

It opens at once with what needs no database (Slack's trigger lives 3 seconds), then the handler
fills in the activities with ``views.update``. Picking a project or an activity updates the
defaults; the activity and billable blocks get a new version suffix so Slack shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.views import form_state
from bot.views.blocks import (
    Block,
    button,
    checkboxes,
    context,
    datepicker,
    escape,
    external_select,
    input_block,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from bot.views.form_state import ModalContext, versioned
from core.quick_entry import MAX_NOTE_LENGTH
from services.entry_outcomes import Choice
from services.time_entries import HoursForm

CALLBACK_ID = "log_hours_modal"
DAY_BLOCK, DAY_ACTION = "day", "day"
PROJECT_BLOCK, PROJECT_ACTION = "project", "log_hours_project"
ACTIVITY_BLOCK, ACTIVITY_ACTION = "activity", "log_hours_activity"
DURATION_BLOCK, DURATION_ACTION = "duration", "duration"
NOTE_BLOCK, NOTE_ACTION = "note", "note"
BILLABLE_BLOCK, BILLABLE_ACTION = "billable", "billable"
BILLABLE_VALUE = "billable"
UNDO_ACTION = "log_hours_modal_undo"
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


def build(state: HoursModal) -> dict[str, Any]:
    editing = state.context.entry_id is not None
    version = state.context.version
    blocks: list[Block] = [
        input_block(DAY_BLOCK, "Date", datepicker(DAY_ACTION, state.day.isoformat())),
        input_block(
            PROJECT_BLOCK,
            "Project",
            external_select(
                PROJECT_ACTION,
                placeholder="Type a project name or number",
                initial=option(state.project.label, str(state.project.id)) if state.project else None,
            ),
            dispatch_action=True,
        ),
    ]
    if state.activities is None:
        blocks.append(context("Loading activities…"))
    elif state.activities:
        options = [option(a.label, str(a.id)) for a in state.activities]
        initial = next((o for o in options if o["value"] == str(state.activity_id)), None)
        blocks.append(
            input_block(
                versioned(ACTIVITY_BLOCK, version),
                "Activity",
                static_select(ACTIVITY_ACTION, options, placeholder="Pick an activity", initial=initial),
                dispatch_action=True,
            )
        )
    else:
        blocks.append(section("No active business activities are imported yet — run `/bx-sync` first."))
    blocks += [
        text_input(
            DURATION_BLOCK,
            "Duration",
            action_id=DURATION_ACTION,
            initial=state.duration or None,
            placeholder="2h30, 1.5h, 90m or 1:30",
        ),
        text_input(
            NOTE_BLOCK,
            "Note",
            action_id=NOTE_ACTION,
            initial=state.note or None,
            optional=True,
            multiline=True,
            max_length=MAX_NOTE_LENGTH,
        ),
        input_block(
            versioned(BILLABLE_BLOCK, version),
            "Billing",
            checkboxes(
                BILLABLE_ACTION,
                [_billable_option()],
                initial=[_billable_option()] if state.billable else None,
            ),
            optional=True,
            hint="Ticked by default when the activity is billable in bexio.",
        ),
    ]
    return modal(
        "Edit hours" if editing else "Log hours",
        blocks,
        callback_id=CALLBACK_ID,
        submit="Save" if editing else "Log",
        private_metadata=state.context.dump(),
    )


def _billable_option() -> dict[str, Any]:
    return option("Billable", BILLABLE_VALUE)


def current(view: dict[str, Any], today: date) -> HoursModal:
    """The modal as the person has filled it so far (for rebuilding it with new defaults)."""
    values = view.get("state", {}).get("values", {})
    ctx = ModalContext.load(view.get("private_metadata"))
    project = form_state.selected_option(values, PROJECT_BLOCK, PROJECT_ACTION)
    billable = form_state.checked(values, BILLABLE_BLOCK, BILLABLE_ACTION)
    return HoursModal(
        day=form_state.selected_date(values, DAY_BLOCK, DAY_ACTION) or today,
        project=Choice(int(project["value"]), project["text"]["text"]) if project else None,
        activity_id=form_state.selected_id(values, ACTIVITY_BLOCK, ACTIVITY_ACTION),
        duration=form_state.text(values, DURATION_BLOCK, DURATION_ACTION),
        note=form_state.text(values, NOTE_BLOCK, NOTE_ACTION),
        billable=True if billable is None else billable,
        context=ctx,
    )


def submitted(view: dict[str, Any]) -> tuple[HoursForm, ModalContext]:
    values = view.get("state", {}).get("values", {})
    form = HoursForm(
        day=form_state.selected_date(values, DAY_BLOCK, DAY_ACTION),
        project_id=form_state.selected_id(values, PROJECT_BLOCK, PROJECT_ACTION),
        activity_id=form_state.selected_id(values, ACTIVITY_BLOCK, ACTIVITY_ACTION),
        duration=form_state.text(values, DURATION_BLOCK, DURATION_ACTION),
        note=form_state.text(values, NOTE_BLOCK, NOTE_ACTION),
        billable=bool(form_state.checked(values, BILLABLE_BLOCK, BILLABLE_ACTION)),
    )
    return form, ModalContext.load(view.get("private_metadata"))


def errors_by_block(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Field errors keyed by the ids of the input blocks they belong under."""
    return {
        form_state.block_id(view, FIELD_BLOCKS[field]): message[:2000]
        for field, message in errors.items()
        if field in FIELD_BLOCKS
    }


def done(title: str, line: str, *, undo: int | None, ctx: ModalContext) -> dict[str, Any]:
    """What the modal turns into after a save: the confirmation, with Undo for a new entry."""
    accessory = button("Undo", UNDO_ACTION, str(undo)) if undo is not None else None
    return modal(
        title,
        [section(escape(line), accessory=accessory)],
        callback_id=CALLBACK_ID + "_done",
        private_metadata=ctx.dump(),
    )
