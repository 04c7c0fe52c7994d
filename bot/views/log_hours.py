"""The ephemeral replies of `/log-hours`: confirmation with Undo, choices, and the request codec."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import choices
from bot.views.payload import optional_id
from core.i18n import _
from core.money import format_money
from services.entry_outcomes import ChooseOne, Invalid, Refusal
from services.time_entries import HoursOutcome, HoursRequest, StoredEntry

UNDO_ACTION = "log_hours_undo"
PICK_PROJECT_ACTION = "log_hours_pick_project"
PICK_ACTIVITY_ACTION = "log_hours_pick_activity"
OPEN_FORM_ACTION = "log_hours_open_form"
CHOICE_ACTIONS = choices.ChoiceActions(
    pick={"project": PICK_PROJECT_ACTION, "activity": PICK_ACTIVITY_ACTION}, open_form=OPEN_FORM_ACTION
)


def confirmation_line(stored: StoredEntry) -> str:
    """`✓ 2:30 h · Website Relaunch / Umsetzung · Mon 23.11. · CHF 375.00 billable`."""
    if not stored.billable:
        price = _("not billable")
    elif stored.amount is not None:
        price = _("{amount} billable", amount=format_money(stored.amount))
    elif stored.fixed_price:
        price = _("billable (fixed price)")
    else:
        price = _("billable, no rate yet")
    return f"✓ {stored.summary} · {price}"


def reply(
    outcome: HoursOutcome, *, seal: choices.Seal, replace: bool = False, typed: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``respond`` that show what became of a request."""
    if isinstance(outcome, Invalid):
        form = choices.form_button(CHOICE_ACTIONS, seal, request_to_dict(outcome.request))
        return choices.refusal(outcome, replace=replace, typed=typed, form=form)
    if isinstance(outcome, Refusal):
        return choices.refusal(outcome, replace=replace, typed=typed)
    if isinstance(outcome, ChooseOne):
        return choices.choose(
            outcome, request_to_dict(outcome.request), CHOICE_ACTIONS, seal=seal, replace=replace
        )
    warning = (
        _("{missing_rate}. Invoicing waits until it is set.", missing_rate=outcome.missing_rate)
        if outcome.missing_rate
        else None
    )
    return choices.confirmation(
        confirmation_line(outcome), UNDO_ACTION, str(outcome.entry_id), warning=warning, replace=replace
    )


def request_to_dict(request: HoursRequest) -> dict[str, Any]:
    return {
        "minutes": request.minutes,
        "day": request.day.isoformat(),
        "billable": request.billable,
        "note": request.note,
        "project_id": request.project_id,
        "project_query": request.project_query,
        "activity_id": request.activity_id,
        "activity_query": request.activity_query,
    }


def request_from_dict(data: dict[str, Any]) -> HoursRequest:
    return HoursRequest(
        minutes=int(data["minutes"]),
        day=date.fromisoformat(data["day"]),
        billable=data["billable"] if isinstance(data.get("billable"), bool) else None,
        note=_text_or_none(data.get("note", "")) or "",
        project_id=optional_id(data.get("project_id")),
        project_query=_text_or_none(data.get("project_query")),
        activity_id=optional_id(data.get("activity_id")),
        activity_query=_text_or_none(data.get("activity_query")),
    )


def _text_or_none(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("not text")
