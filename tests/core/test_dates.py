from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.dates import (
    DateError,
    end_of_last_month,
    format_day,
    month_name_de,
    parse_date_token,
    parse_iso_date,
    week_bounds,
)

THURSDAY = date(2026, 1, 15)
reasonable_days = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("today", THURSDAY),
        ("heute", THURSDAY),
        ("TODAY", THURSDAY),
        ("yesterday", date(2026, 1, 14)),
        ("Gestern", date(2026, 1, 14)),
        ("thu", THURSDAY),  # today counts as the most recent Thursday
        ("do", THURSDAY),
        ("fri", date(2026, 1, 9)),
        ("fr", date(2026, 1, 9)),
        ("mon", date(2026, 1, 12)),
        ("Mo", date(2026, 1, 12)),
        ("di", date(2026, 1, 13)),
        ("mi", date(2026, 1, 14)),
        ("sa", date(2026, 1, 10)),
        ("So", date(2026, 1, 11)),
        ("sun", date(2026, 1, 11)),
        ("2026-11-20", date(2026, 11, 20)),
        ("20.11.2026", date(2026, 11, 20)),
        ("1.2.2026", date(2026, 2, 1)),
        ("20.11.", date(2025, 11, 20)),  # in January, 20.11. is last year
        ("15.01.", THURSDAY),
        ("16.01.", date(2025, 1, 16)),  # tomorrow's day-month is last year's
        ("29.02.", date(2024, 2, 29)),
    ],
)
def test_date_forms(token: str, expected: date) -> None:
    assert parse_date_token(token, THURSDAY) == expected


def test_future_dates_in_full_form_are_returned_as_typed() -> None:
    assert parse_date_token("2027-01-01", THURSDAY) == date(2027, 1, 1)
    assert parse_date_token("01.01.2027", THURSDAY) == date(2027, 1, 1)


def test_29_february_searches_back_over_a_century_gap() -> None:
    assert parse_date_token("29.02.", date(2100, 3, 1)) == date(2096, 2, 29)


@pytest.mark.parametrize(
    "token",
    [
        *("website", "000042", "20.11", "2026-11", "monday", "montag"),
        *("tomorrow", "20/11/2026", "nb", "", "2026-1-5"),
    ],
)
def test_other_tokens_are_not_dates(token: str) -> None:
    assert parse_date_token(token, THURSDAY) is None


@pytest.mark.parametrize(
    "token", ["31.02.2026", "31.02.", "32.1.", "2026-13-01", "0000-01-01", "00.00.", "30.02."]
)
def test_date_shapes_naming_no_day_are_errors(token: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date_token(token, THURSDAY)
    assert "is not a valid date" in caught.value.message
    assert token in caught.value.message


@given(st.text(max_size=20), reasonable_days)
def test_arbitrary_tokens_raise_only_date_error(token: str, today: date) -> None:
    try:
        parse_date_token(token, today)
    except DateError as exc:
        error = exc
    else:
        return
    assert error.message


@given(reasonable_days, st.integers(min_value=0, max_value=365 * 3))
def test_day_month_is_the_most_recent_such_day(today: date, back: int) -> None:
    day = today - timedelta(days=back)
    parsed = parse_date_token(f"{day.day}.{day.month}.", today)
    assert parsed is not None
    assert parsed <= today
    assert (parsed.day, parsed.month) == (day.day, day.month)
    if (day.month, day.day) != (2, 29):
        assert today - parsed < timedelta(days=366)


@given(reasonable_days, st.sampled_from(["mo", "di", "mi", "do", "fr", "sa", "so"]))
def test_weekdays_are_within_the_last_seven_days(today: date, token: str) -> None:
    parsed = parse_date_token(token, today)
    assert parsed is not None
    assert timedelta(0) <= today - parsed < timedelta(days=7)
    assert parsed.weekday() == ["mo", "di", "mi", "do", "fr", "sa", "so"].index(token)


@given(reasonable_days)
def test_full_forms_round_trip(day: date) -> None:
    assert parse_date_token(day.isoformat(), THURSDAY) == day
    assert parse_date_token(day.strftime("%d.%m.%Y"), THURSDAY) == day


def test_parse_iso_date() -> None:
    assert parse_iso_date(" 2026-11-20 ") == date(2026, 11, 20)
    for bad in ["20.11.2026", "2026-02-30", "20261120", "today"]:
        with pytest.raises(DateError, match=r"YYYY-MM-DD|not a valid date"):
            parse_iso_date(bad)


def test_format_day() -> None:
    assert format_day(date(2026, 11, 23)) == "Mon 23.11."
    assert format_day(date(2026, 3, 1)) == "Sun 01.03."


@given(reasonable_days)
def test_week_bounds_are_monday_to_sunday_around_the_day(day: date) -> None:
    monday, sunday = week_bounds(day)
    assert monday.weekday() == 0
    assert sunday - monday == timedelta(days=6)
    assert monday <= day <= sunday


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 31), date(2026, 2, 28)),
        (date(2026, 1, 5), date(2025, 12, 31)),
        (date(2024, 3, 1), date(2024, 2, 29)),
        (date(2026, 12, 1), date(2026, 11, 30)),
    ],
)
def test_end_of_last_month(today: date, expected: date) -> None:
    assert end_of_last_month(today) == expected


def test_month_names_in_german() -> None:
    assert [month_name_de(m) for m in (1, 3, 11, 12)] == ["Januar", "März", "November", "Dezember"]
    with pytest.raises(ValueError, match="No month 13"):
        month_name_de(13)
