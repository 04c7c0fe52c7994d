"""The log-expense modal: date, project (type-ahead), category, amount, note, billable.

Opened and refreshed the same way as the hours modal (``bot.views.hours_modal``).
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
from core.quick_entry import HOME_CURRENCY, MAX_NOTE_LENGTH
from services.entry_outcomes import Choice
from services.expenses import ExpenseForm

CALLBACK_ID = "log_expense_modal"
DAY_BLOCK, DAY_ACTION = "day", "day"
PROJECT_BLOCK, PROJECT_ACTION = "project", "log_expense_project"
CATEGORY_BLOCK, CATEGORY_ACTION = "category", "log_expense_category"
AMOUNT_BLOCK, AMOUNT_ACTION = "amount", "amount"
NOTE_BLOCK, NOTE_ACTION = "note", "note"
BILLABLE_BLOCK, BILLABLE_ACTION = "billable", "billable"
BILLABLE_VALUE = "billable"
UNDO_ACTION = "log_expense_modal_undo"
FIELD_BLOCKS = {
    "day": DAY_BLOCK,
    "project": PROJECT_BLOCK,
    "category": CATEGORY_BLOCK,
    "amount": AMOUNT_BLOCK,
    "note": NOTE_BLOCK,
}


@dataclass(frozen=True)
class ExpenseModal:
    day: date
    project: Choice | None = None
    categories: tuple[Choice, ...] | None = None
    """None while loading."""
    category_id: int | None = None
    amount: str = ""
    note: str = ""
    billable: bool = True
    context: ModalContext = field(default_factory=ModalContext)


def build(state: ExpenseModal) -> dict[str, Any]:
    editing = state.context.entry_id is not None
    version = state.context.version
    blocks: list[Block] = [
        input_block(DAY_BLOCK, "Date of the receipt", datepicker(DAY_ACTION, state.day.isoformat())),
        input_block(
            PROJECT_BLOCK,
            "Project",
            external_select(
                PROJECT_ACTION,
                placeholder="Type a project name or number",
                initial=option(state.project.label, str(state.project.id)) if state.project else None,
            ),
        ),
    ]
    if state.categories is None:
        blocks.append(context("Loading categories…"))
    else:
        options = [option(c.label, str(c.id)) for c in state.categories]
        initial = next((o for o in options if o["value"] == str(state.category_id)), None)
        blocks.append(
            input_block(
                versioned(CATEGORY_BLOCK, version),
                "Category",
                static_select(CATEGORY_ACTION, options, placeholder="Pick a category", initial=initial),
                dispatch_action=True,
            )
        )
    blocks += [
        text_input(
            AMOUNT_BLOCK,
            f"Amount in {HOME_CURRENCY}, VAT included",
            action_id=AMOUNT_ACTION,
            initial=state.amount or None,
            placeholder="84.50",
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
                [option("Billable", BILLABLE_VALUE)],
                initial=[option("Billable", BILLABLE_VALUE)] if state.billable else None,
            ),
            optional=True,
            hint="Ticked by default when the category is billed to the customer.",
        ),
    ]
    return modal(
        "Edit expense" if editing else "Log an expense",
        blocks,
        callback_id=CALLBACK_ID,
        submit="Save" if editing else "Log",
        private_metadata=state.context.dump(),
    )


def current(view: dict[str, Any], today: date) -> ExpenseModal:
    values = view.get("state", {}).get("values", {})
    project = form_state.selected_option(values, PROJECT_BLOCK, PROJECT_ACTION)
    billable = form_state.checked(values, BILLABLE_BLOCK, BILLABLE_ACTION)
    return ExpenseModal(
        day=form_state.selected_date(values, DAY_BLOCK, DAY_ACTION) or today,
        project=Choice(int(project["value"]), project["text"]["text"]) if project else None,
        category_id=form_state.selected_id(values, CATEGORY_BLOCK, CATEGORY_ACTION),
        amount=form_state.text(values, AMOUNT_BLOCK, AMOUNT_ACTION),
        note=form_state.text(values, NOTE_BLOCK, NOTE_ACTION),
        billable=True if billable is None else billable,
        context=ModalContext.load(view.get("private_metadata")),
    )


def submitted(view: dict[str, Any]) -> tuple[ExpenseForm, ModalContext]:
    values = view.get("state", {}).get("values", {})
    form = ExpenseForm(
        day=form_state.selected_date(values, DAY_BLOCK, DAY_ACTION),
        project_id=form_state.selected_id(values, PROJECT_BLOCK, PROJECT_ACTION),
        category_id=form_state.selected_id(values, CATEGORY_BLOCK, CATEGORY_ACTION),
        amount=form_state.text(values, AMOUNT_BLOCK, AMOUNT_ACTION),
        note=form_state.text(values, NOTE_BLOCK, NOTE_ACTION),
        billable=bool(form_state.checked(values, BILLABLE_BLOCK, BILLABLE_ACTION)),
    )
    return form, ModalContext.load(view.get("private_metadata"))


def errors_by_block(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    return {
        form_state.block_id(view, FIELD_BLOCKS[field]): message[:2000]
        for field, message in errors.items()
        if field in FIELD_BLOCKS
    }


def done(title: str, line: str, *, undo: int | None, ctx: ModalContext) -> dict[str, Any]:
    accessory = button("Undo", UNDO_ACTION, str(undo)) if undo is not None else None
    return modal(
        title,
        [section(escape(line), accessory=accessory)],
        callback_id=CALLBACK_ID + "_done",
        private_metadata=ctx.dump(),
    )
