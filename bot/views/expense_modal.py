"""The log-expense modal: date, project (type-ahead), category, amount, note, billable.

Opened and refreshed the same way as the hours modal (``bot.views.hours_modal``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.views import entry_form, form_state
from bot.views.blocks import Block, text_input
from bot.views.form_state import ModalContext
from core.i18n import _
from core.quick_entry import HOME_CURRENCY
from services.entry_outcomes import Choice
from services.expenses import ExpenseForm

# The ids shared with the other entry form: contracts, the handlers and tests find fields by them.
DAY_BLOCK, DAY_ACTION = entry_form.DAY_BLOCK, entry_form.DAY_ACTION
PROJECT_BLOCK = entry_form.PROJECT_BLOCK
NOTE_BLOCK, NOTE_ACTION = entry_form.NOTE_BLOCK, entry_form.NOTE_ACTION
BILLABLE_BLOCK, BILLABLE_ACTION = entry_form.BILLABLE_BLOCK, entry_form.BILLABLE_ACTION
BILLABLE_VALUE = entry_form.BILLABLE_VALUE
CALLBACK_ID = "log_expense_modal"
DONE_CALLBACK_ID = entry_form.done_callback_id(CALLBACK_ID)
PROJECT_ACTION = "log_expense_project"
CATEGORY_BLOCK, CATEGORY_ACTION = "category", "log_expense_category"
AMOUNT_BLOCK, AMOUNT_ACTION = "amount", "amount"
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
    version = state.context.version
    blocks: list[Block] = [
        entry_form.day_block(_("Date of the receipt"), state.day),
        entry_form.project_block(PROJECT_ACTION, state.project),
        entry_form.choice_block(
            state.categories,
            state.category_id,
            block=CATEGORY_BLOCK,
            action_id=CATEGORY_ACTION,
            label=_("Category"),
            placeholder=_("Pick a category"),
            version=version,
            loading=_("Loading categories…"),
            empty=_("No active expense categories — an admin adds one with `bxhours categories set NAME`."),
        ),
        text_input(
            AMOUNT_BLOCK,
            _("Amount in {currency}, VAT included", currency=HOME_CURRENCY),
            action_id=AMOUNT_ACTION,
            initial=state.amount or None,
            placeholder="84.50",
        ),
        entry_form.note_block(state.note),
        entry_form.billable_block(
            version, state.billable, _("Ticked by default when the category is billed to the customer.")
        ),
    ]
    return entry_form.form_modal(
        _("Log an expense"), _("Edit expense"), blocks, callback_id=CALLBACK_ID, ctx=state.context
    )


def current(view: dict[str, Any], today: date) -> ExpenseModal:
    filled = entry_form.filled(view)
    return ExpenseModal(
        day=filled.day or today,
        project=entry_form.chosen_project(filled.values, PROJECT_ACTION),
        category_id=form_state.selected_id(filled.values, CATEGORY_BLOCK, CATEGORY_ACTION),
        amount=form_state.text(filled.values, AMOUNT_BLOCK, AMOUNT_ACTION),
        note=filled.note,
        billable=entry_form.billable_so_far(filled.values),
        context=filled.context,
    )


def submitted(view: dict[str, Any]) -> tuple[ExpenseForm, ModalContext]:
    filled = entry_form.filled(view)
    form = ExpenseForm(
        day=filled.day,
        project_id=form_state.selected_id(filled.values, PROJECT_BLOCK, PROJECT_ACTION),
        category_id=form_state.selected_id(filled.values, CATEGORY_BLOCK, CATEGORY_ACTION),
        amount=form_state.text(filled.values, AMOUNT_BLOCK, AMOUNT_ACTION),
        note=filled.note,
        billable=entry_form.billable_submitted(filled.values),
    )
    return form, filled.context


def errors_by_block(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    return entry_form.errors_by_block(view, errors, FIELD_BLOCKS)


def done(title: str, line: str, *, undo: int | None, ctx: ModalContext) -> dict[str, Any]:
    return entry_form.done(title, line, callback_id=CALLBACK_ID, undo_action=UNDO_ACTION, undo=undo, ctx=ctx)
