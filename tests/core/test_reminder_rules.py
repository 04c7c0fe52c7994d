"""The pure rules of missing-hours reminders (issue 17 §1): working days with canton holidays,
the previous working day, who is skipped why (and in which order), reminder and summary times."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.reminder_rules import (
    PersonDay,
    Skip,
    calendar_skip,
    cantons,
    is_holiday,
    is_working_day,
    last_week_monday,
    parse_reminder_time,
    previous_working_day,
    reminder_due,
    skip_reason,
    summary_due,
)

THURSDAY = date(2026, 11, 26)


def person(**changes: object) -> PersonDay:
    values: dict[str, object] = {
        "enabled": True,
        "linked": True,
        "opted_out": False,
        "day": THURSDAY,
        "canton": "ZH",
        "absent": False,
        "logged_minutes": 30,
        "min_minutes": 60,
        "already_reminded": False,
    }
    values.update(changes)
    return PersonDay(**values)  # type: ignore[arg-type]


def test_the_skip_reasons_are_the_cli_contract() -> None:
    assert {reason.value for reason in Skip} == {
        "enough_hours",
        "weekend",
        "holiday",
        "absent",
        "opted_out",
        "unlinked",
        "already_reminded",
        "disabled",
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"logged_minutes": 60}, Skip.ENOUGH_HOURS),
        ({"logged_minutes": 59}, None),
        ({"day": date(2026, 11, 28)}, Skip.WEEKEND),
        ({"day": date(2026, 12, 25)}, Skip.HOLIDAY),
        ({"absent": True}, Skip.ABSENT),
        ({"opted_out": True}, Skip.OPTED_OUT),
        ({"linked": False}, Skip.UNLINKED),
        ({"already_reminded": True}, Skip.ALREADY_REMINDED),
        ({"enabled": False}, Skip.DISABLED),
        # The first question a person would ask decides: off for everyone before their own choice,
        # the calendar before their hours, enough hours before "you were reminded already".
        ({"enabled": False, "opted_out": True, "day": date(2026, 11, 28)}, Skip.DISABLED),
        ({"opted_out": True, "day": date(2026, 11, 28)}, Skip.OPTED_OUT),
        ({"day": date(2026, 12, 25), "absent": True}, Skip.HOLIDAY),
        ({"absent": True, "logged_minutes": 600}, Skip.ABSENT),
        ({"logged_minutes": 600, "already_reminded": True}, Skip.ENOUGH_HOURS),
    ],
)
def test_skip_reason(changes: dict[str, object], reason: Skip | None) -> None:
    assert skip_reason(person(**changes)) == reason


def test_canton_holidays_differ() -> None:
    good_friday, epiphany, jeune_genevois = date(2026, 4, 3), date(2026, 1, 6), date(2026, 9, 10)
    assert is_holiday(good_friday, "ZH") and not is_holiday(good_friday, "TI")
    assert is_holiday(epiphany, "TI") and not is_holiday(epiphany, "ZH")
    assert is_holiday(jeune_genevois, "GE") and not is_holiday(jeune_genevois, "ZH")
    assert is_holiday(date(2026, 8, 1), None)  # National Day everywhere
    assert not is_holiday(good_friday, None)  # unset: only what all of Switzerland keeps
    assert calendar_skip(date(2027, 1, 2), "ZH") is Skip.WEEKEND
    assert {"ZH", "BE", "TI", "GE", "VD"} <= set(cantons())


def test_previous_working_day_skips_weekends_and_holidays() -> None:
    assert previous_working_day(date(2026, 11, 30), "ZH") == date(2026, 11, 27)  # Monday → Friday
    assert previous_working_day(THURSDAY, "ZH") == date(2026, 11, 25)
    # Tuesday after Easter Monday → Thursday before Good Friday
    assert previous_working_day(date(2026, 4, 7), "ZH") == date(2026, 4, 2)
    assert is_working_day(date(2026, 4, 2), "ZH") and not is_working_day(date(2026, 4, 3), "ZH")


def test_reminder_time_is_read_on_the_persons_clock() -> None:
    zurich = datetime(2026, 11, 26, 17, 0, tzinfo=ZoneInfo("Europe/Zurich"))
    assert reminder_due(zurich, time(17, 0)) and not reminder_due(zurich, time(17, 15))
    assert parse_reminder_time("18:30") == time(18, 30)
    for bad in (None, "", "1830", "18:7", "24:00", "18:10", "١٨:٣٠", " 18:30x"):
        assert parse_reminder_time(bad) is None, bad


def test_the_summary_is_due_from_monday_eight_for_last_week() -> None:
    zone = ZoneInfo("Europe/Zurich")
    assert not summary_due(datetime(2026, 11, 30, 7, 59, tzinfo=zone))
    assert summary_due(datetime(2026, 11, 30, 8, 0, tzinfo=zone))
    assert summary_due(datetime(2026, 11, 30, 23, 59, tzinfo=zone))  # a worker that was down catches up
    assert not summary_due(datetime(2026, 12, 1, 0, 5, tzinfo=zone))  # … that day only
    assert last_week_monday(date(2026, 11, 30)) == date(2026, 11, 23)
    assert last_week_monday(date(2026, 12, 6)) == date(2026, 11, 23)
