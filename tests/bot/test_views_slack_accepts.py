"""Views built from edge data that Slack used to refuse (found with the strict fake's rules, issue 11):
the builders must give views and acknowledgements Slack accepts in these cases too."""

from __future__ import annotations

from datetime import date

from bot.views import expense_modal, hours_modal
from bxhours.fakes import block_kit
from services.entry_outcomes import Choice

DAY = date(2026, 11, 23)


def test_the_expense_form_without_active_categories_has_no_empty_select() -> None:
    view = expense_modal.build(expense_modal.ExpenseModal(day=DAY, categories=()))
    assert block_kit.view_problems(view) == []
    assert "No active expense categories" in str(view["blocks"])


def test_a_chosen_activity_past_the_first_100_stays_selectable() -> None:
    activities = tuple(Choice(n, f"Activity {n}") for n in range(150))
    view = hours_modal.build(hours_modal.HoursModal(day=DAY, activities=activities, activity_id=120))
    assert block_kit.view_problems(view) == []
    select = next(b["element"] for b in view["blocks"] if b.get("block_id", "").startswith("activity"))
    assert len(select["options"]) == 100
    assert select["initial_option"]["text"]["text"] == "Activity 120"


def test_field_errors_go_only_under_inputs_the_submitted_form_shows() -> None:
    loading = hours_modal.build(hours_modal.HoursModal(day=DAY))  # activities still "Loading…"
    errors = hours_modal.errors_by_block(loading, {"activity": "Pick an activity.", "duration": "How long?"})
    assert errors == {hours_modal.DURATION_BLOCK: "How long?"}
    answer = {"response_action": "errors", "errors": errors}
    assert block_kit.submission_ack_problems(answer, loading) == []
    assert hours_modal.errors_by_block(loading, {"activity": "Pick an activity."}) == {}, (
        "nothing to place: the caller answers with a notice instead"
    )
