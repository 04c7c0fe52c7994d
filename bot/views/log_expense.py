"""The ephemeral replies of `/log-expense`: confirmation with Undo, choices, and the request codec."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.views import choices
from bot.views.payload import optional_id
from core.i18n import _
from services.entry_outcomes import ChooseOne, Invalid, Refusal
from services.expenses import ExpenseOutcome, ExpenseRequest, StoredExpense

UNDO_ACTION = "log_expense_undo"
PICK_PROJECT_ACTION = "log_expense_pick_project"
PICK_CATEGORY_ACTION = "log_expense_pick_category"
OPEN_FORM_ACTION = "log_expense_open_form"
CHOICE_ACTIONS = choices.ChoiceActions(
    pick={"project": PICK_PROJECT_ACTION, "category": PICK_CATEGORY_ACTION}, open_form=OPEN_FORM_ACTION
)


def confirmation_line(stored: StoredExpense) -> str:
    """`✓ CHF 84.50 · Website Relaunch / Reisekosten · Mon 23.11. · billable`."""
    billable = _("billable") if stored.billable else _("not billable")
    return f"✓ {stored.summary} · {billable}"


def reply(
    outcome: ExpenseOutcome, *, seal: choices.Seal, replace: bool = False, typed: str | None = None
) -> dict[str, Any]:
    if isinstance(outcome, Invalid):
        form = choices.form_button(CHOICE_ACTIONS, seal, request_to_dict(outcome.request))
        return choices.refusal(outcome, replace=replace, typed=typed, form=form)
    if isinstance(outcome, Refusal):
        return choices.refusal(outcome, replace=replace, typed=typed)
    if isinstance(outcome, ChooseOne):
        return choices.choose(
            outcome, request_to_dict(outcome.request), CHOICE_ACTIONS, seal=seal, replace=replace
        )
    return choices.confirmation(
        confirmation_line(outcome), UNDO_ACTION, str(outcome.expense_id), replace=replace
    )


def request_to_dict(request: ExpenseRequest) -> dict[str, Any]:
    return {
        "amount": str(request.amount),
        "day": request.day.isoformat(),
        "note": request.note,
        "project_id": request.project_id,
        "project_query": request.project_query,
        "category_id": request.category_id,
        "category_query": request.category_query,
    }


def request_from_dict(data: dict[str, Any]) -> ExpenseRequest:
    return ExpenseRequest(
        amount=Decimal(str(data["amount"])),
        day=date.fromisoformat(data["day"]),
        note=_text_or_none(data.get("note", "")) or "",
        project_id=optional_id(data.get("project_id")),
        project_query=_text_or_none(data.get("project_query")),
        category_id=optional_id(data.get("category_id")),
        category_query=_text_or_none(data.get("category_query")),
    )


def _text_or_none(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("not text")
