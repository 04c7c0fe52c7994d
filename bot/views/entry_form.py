"""The blocks the hours and expense modals share: day, project, note, billable, the result view.

Both forms must look and read alike, and their block and action ids are contracts (the handlers
and the tests find fields by them), so the shared ones are built and read here once.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from bot.views.payload import record_id
from core.entry_rules import MAX_NOTE_LENGTH
from core.i18n import _
from services.entry_outcomes import Choice

DAY_BLOCK, DAY_ACTION = "day", "day"
PROJECT_BLOCK = "project"
NOTE_BLOCK, NOTE_ACTION = "note", "note"
BILLABLE_BLOCK, BILLABLE_ACTION = "billable", "billable"
BILLABLE_VALUE = "billable"


def day_block(label: str, day: date) -> Block:
    return input_block(DAY_BLOCK, label, datepicker(DAY_ACTION, day.isoformat()))


def project_block(action_id: str, project: Choice | None, *, dispatch_action: bool = False) -> Block:
    """The project type-ahead (its options come from the handler's options listener)."""
    return input_block(
        PROJECT_BLOCK,
        _("Project"),
        external_select(
            action_id,
            placeholder=_("Type a project name or number"),
            initial=option(project.label, str(project.id)) if project else None,
        ),
        dispatch_action=dispatch_action,
    )


def choice_block(
    choices: tuple[Choice, ...] | None,
    chosen_id: int | None,
    *,
    block: str,
    action_id: str,
    label: str,
    placeholder: str,
    version: int,
    loading: str,
    empty: str,
) -> Block:
    """The activity or category select: “loading” until the choices are read, ``empty`` when
    there are none (Slack refuses a select without options); versioned, and dispatching so that a
    choice refreshes the defaults."""
    if choices is None:
        return context(loading)
    if not choices:
        return section(empty)
    options = [option(c.label, str(c.id)) for c in choices]
    initial = next((o for o in options if o["value"] == str(chosen_id)), None)
    return input_block(
        versioned(block, version),
        label,
        static_select(action_id, options, placeholder=placeholder, initial=initial),
        dispatch_action=True,
    )


def note_block(note: str) -> Block:
    return text_input(
        NOTE_BLOCK,
        _("Note"),
        action_id=NOTE_ACTION,
        initial=note or None,
        optional=True,
        multiline=True,
        max_length=MAX_NOTE_LENGTH,
    )


def billable_block(version: int, billable: bool, hint: str) -> Block:
    """Versioned so that Slack shows a new default when the activity or category changes."""
    return input_block(
        versioned(BILLABLE_BLOCK, version),
        _("Billing"),
        checkboxes(
            BILLABLE_ACTION,
            [option(_("Billable"), BILLABLE_VALUE)],
            initial=[option(_("Billable"), BILLABLE_VALUE)] if billable else None,
        ),
        optional=True,
        hint=hint,
    )


def form_modal(
    new_title: str, edit_title: str, blocks: list[Block], *, callback_id: str, ctx: ModalContext
) -> dict[str, Any]:
    """The form for a new record (“Log”) or for editing one (“Save”), its context carried along."""
    editing = ctx.entry_id is not None
    return modal(
        edit_title if editing else new_title,
        blocks,
        callback_id=callback_id,
        submit=_("Save") if editing else _("Log"),
        private_metadata=ctx.dump(),
    )


def values_of(view: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = view.get("state", {}).get("values", {})
    return values


@dataclass(frozen=True, slots=True)
class Filled:
    """The fields both forms share, as the person has filled them in; ``values`` for the rest."""

    values: dict[str, Any]
    day: date | None
    note: str
    context: ModalContext


def filled(view: dict[str, Any]) -> Filled:
    values = values_of(view)
    return Filled(
        values=values,
        day=form_state.selected_date(values, DAY_BLOCK, DAY_ACTION),
        note=form_state.text(values, NOTE_BLOCK, NOTE_ACTION),
        context=ModalContext.load(view.get("private_metadata")),
    )


def chosen_project(values: dict[str, Any], action_id: str) -> Choice | None:
    project = form_state.selected_option(values, PROJECT_BLOCK, action_id)
    project_id = record_id(project["value"]) if project else None
    return Choice(project_id, project["text"]["text"]) if project and project_id is not None else None


def billable_so_far(values: dict[str, Any]) -> bool:
    """While filling in: unticked only when the person unticked it."""
    billable = form_state.checked(values, BILLABLE_BLOCK, BILLABLE_ACTION)
    return True if billable is None else billable


def billable_submitted(values: dict[str, Any]) -> bool:
    return bool(form_state.checked(values, BILLABLE_BLOCK, BILLABLE_ACTION))


def errors_by_block(
    view: dict[str, Any], errors: dict[str, str], field_blocks: dict[str, str]
) -> dict[str, str]:
    """Field errors keyed by the ids of the input blocks they belong under (Slack allows 2000
    characters); errors of fields the form does not show as an input — not at all, or still as
    "Loading…" — are left to the caller: Slack refuses errors naming any other block."""
    inputs = {block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"}
    placed = {}
    for field, message in errors.items():
        if field not in field_blocks:
            continue
        block_id = form_state.block_id(view, field_blocks[field])
        if block_id in inputs:
            placed[block_id] = message[:2000]
    return placed


def done_callback_id(callback_id: str) -> str:
    """The result view a form turns into (its Undo button comes from there)."""
    return callback_id + "_done"


def done(
    title: str, line: str, *, callback_id: str, undo_action: str, undo: int | None, ctx: ModalContext
) -> dict[str, Any]:
    """What a modal turns into after a save: the confirmation, with Undo for a new record."""
    accessory = button(_("Undo"), undo_action, str(undo)) if undo is not None else None
    return modal(
        title,
        [section(escape(line), accessory=accessory)],
        callback_id=done_callback_id(callback_id),
        private_metadata=ctx.dump(),
    )
