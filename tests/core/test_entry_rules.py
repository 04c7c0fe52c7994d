"""The rules every stored entry and expense obeys (issue 12 §4): what is refused, and that the
messages say what is wrong."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.entry_rules import (
    EARLIEST_DAY,
    MAX_DAY_MINUTES,
    MAX_EXPENSE_AMOUNT,
    MAX_NOTE_LENGTH,
    amount_problem,
    day_problem,
    entry_problems,
    expense_problems,
    minutes_problem,
    note_problem,
)

TODAY = date(2026, 11, 23)


def _entry(**changes: object) -> dict[str, str]:
    fields: dict[str, object] = {
        "minutes": 60,
        "day": TODAY,
        "note": "review",
        "today": TODAY,
        "allow_future": False,
        "logged_that_day": 0,
    }
    fields.update(changes)
    return entry_problems(**fields)  # type: ignore[arg-type]


def test_a_plain_entry_and_expense_pass() -> None:
    assert _entry() == {}
    assert (
        expense_problems(
            amount=Decimal("84.50"), day=TODAY, note="train\nBern", today=TODAY, allow_future=False
        )
        == {}
    )


def test_the_values_of_the_issue_are_refused_with_a_reason() -> None:
    assert "at least one minute" in _entry(minutes=-600)["duration"]
    assert "at least one minute" in _entry(minutes=0)["duration"]
    assert "more than 24 hours" in _entry(minutes=2**62)["duration"]
    assert "100009 characters" in _entry(note="x" * 100_009)["note"]
    assert "NUL" in _entry(note="a\x00b")["note"]
    assert "before 01.01.2000" in _entry(day=date(1, 1, 1))["day"]
    assert "must be more than 0.00" in (amount_problem(Decimal("-1000")) or "")
    assert "CHF 100'000.00" in (amount_problem(Decimal("100000.01")) or "")


def test_a_day_holds_at_most_24_hours_together() -> None:
    assert _entry(minutes=60, logged_that_day=MAX_DAY_MINUTES - 60) == {}
    problem = _entry(minutes=61, logged_that_day=MAX_DAY_MINUTES - 60)["duration"]
    assert "23:00 h on Mon 23.11.2026 already" in problem and "24:01 h" in problem


def test_future_days_follow_the_setting() -> None:
    tomorrow = TODAY + timedelta(days=1)
    assert "in the future" in _entry(day=tomorrow)["day"]
    assert "allow_future_dates" in _entry(day=tomorrow)["day"]
    assert _entry(day=tomorrow, allow_future=True) == {}
    assert _entry(day=EARLIEST_DAY) == {}


def test_types_that_are_not_what_they_should_be_are_refused() -> None:
    assert minutes_problem("60") is not None
    assert minutes_problem(True) is not None
    assert amount_problem(Decimal("NaN")) is not None
    assert amount_problem(Decimal("Infinity")) is not None
    assert amount_problem(84.5) is not None
    assert amount_problem(Decimal("1.005")) is not None
    assert note_problem(None) is not None


@given(st.integers())
def test_minutes_pass_exactly_from_one_minute_to_a_day(minutes: int) -> None:
    assert (minutes_problem(minutes) is None) == (1 <= minutes <= 24 * 60)


@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_amounts_pass_exactly_above_zero_up_to_the_maximum_in_rappen(amount: Decimal) -> None:
    fine = (
        amount.is_finite() and 0 < amount <= MAX_EXPENSE_AMOUNT and amount == amount.quantize(Decimal("0.01"))
    )
    assert (amount_problem(amount) is None) == fine


@given(st.text(max_size=1200))
def test_notes_pass_exactly_as_text_and_line_breaks(note: str) -> None:
    import unicodedata

    controls = any(c != "\n" and unicodedata.category(c) == "Cc" for c in note)
    assert (note_problem(note) is None) == (len(note) <= MAX_NOTE_LENGTH and not controls)


@given(st.dates())
def test_days_pass_exactly_from_2000_up_to_today(day: date) -> None:
    assert (day_problem(day, TODAY, allow_future=False, logged_what="hours") is None) == (
        EARLIEST_DAY <= day <= TODAY
    )
