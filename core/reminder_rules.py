"""Who gets a missing-hours reminder for which day, and why the others do not (issue 17 §1, §2).

Pure rules: the caller reads the facts (what was logged, absences, preferences, what was sent) and
these functions decide. Working days are Monday to Friday without the public holidays of the
workspace's canton, from the ``holidays`` library (kept current by its maintainers; Swiss cantons
differ — Zurich has Sechseläuten afternoon off by custom only, Ticino has Epiphany).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

DEFAULT_REMINDER_TIME = time(17, 0)
"""When a person is reminded unless they chose another time (in their Slack time zone)."""
SUMMARY_TIME = time(8, 0)
"""The weekly summary goes out on Monday at this time, in the person's time zone."""
MAX_LOOKBACK_DAYS = 14
"""A previous working day is searched this far back at most (a long holiday run ends the search)."""


class Skip(enum.StrEnum):
    """Why someone gets no reminder; the values are the contract of `bxhours reminders run --json`."""

    DISABLED = "disabled"
    UNLINKED = "unlinked"
    OPTED_OUT = "opted_out"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    ABSENT = "absent"
    ENOUGH_HOURS = "enough_hours"
    ALREADY_REMINDED = "already_reminded"


def cantons() -> tuple[str, ...]:
    """The canton codes the holiday calendar knows (``ZH``, ``BE``, …)."""
    return tuple(holidays.country_holidays("CH").subdivisions)


@lru_cache(maxsize=64)
def _calendar(canton: str | None, year: int) -> frozenset[date]:
    found = holidays.country_holidays("CH", subdiv=canton or None, years=year)
    return frozenset(found.keys())


def is_holiday(day: date, canton: str | None) -> bool:
    """A public holiday of ``canton`` (None: the holidays all of Switzerland keeps)."""
    return day in _calendar(canton, day.year)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def is_working_day(day: date, canton: str | None) -> bool:
    return not is_weekend(day) and not is_holiday(day, canton)


def previous_working_day(day: date, canton: str | None) -> date | None:
    """The working day before ``day`` (Friday for a Monday, Wednesday before a Thursday holiday …)."""
    for back in range(1, MAX_LOOKBACK_DAYS + 1):
        candidate = day - timedelta(days=back)
        if is_working_day(candidate, canton):
            return candidate
    return None


def calendar_skip(day: date, canton: str | None) -> Skip | None:
    """Weekend or holiday: nobody is reminded that day."""
    if is_weekend(day):
        return Skip.WEEKEND
    if is_holiday(day, canton):
        return Skip.HOLIDAY
    return None


@dataclass(frozen=True, slots=True)
class PersonDay:
    """What is known about one person and one day when deciding about their reminder."""

    enabled: bool
    """The workspace's ``reminders_enabled``."""
    linked: bool
    """A Slack user linked to a bexio user."""
    opted_out: bool
    day: date
    canton: str | None
    absent: bool
    """A full-day absence on ``day``."""
    logged_minutes: int
    min_minutes: int
    already_reminded: bool


def skip_reason(person: PersonDay) -> Skip | None:
    """None: remind them. The order is the order of the questions a person would ask ("is it off
    for everyone?" before "did I log enough?")."""
    if not person.enabled:
        return Skip.DISABLED
    if not person.linked:
        return Skip.UNLINKED
    if person.opted_out:
        return Skip.OPTED_OUT
    calendar = calendar_skip(person.day, person.canton)
    if calendar is not None:
        return calendar
    if person.absent:
        return Skip.ABSENT
    if person.logged_minutes >= person.min_minutes:
        return Skip.ENOUGH_HOURS
    if person.already_reminded:
        return Skip.ALREADY_REMINDED
    return None


def is_short(logged_minutes: int, min_minutes: int) -> bool:
    return logged_minutes < min_minutes


def reminder_due(local_now: datetime, reminder_time: time) -> bool:
    """Whether a person's reminder time has come on their own clock (``local_now`` in their zone)."""
    return local_now.time().replace(tzinfo=None) >= reminder_time


def parse_reminder_time(text: str | None) -> time | None:
    """``17:00`` → 17:00; None for anything that is not HH:MM on the quarter hour."""
    if not text:
        return None
    hours, colon, minutes = text.strip().partition(":")
    if not colon or not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        return None
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and m in (0, 15, 30, 45)) or len(minutes) != 2:
        return None
    return time(h, m)


def summary_due(local_now: datetime) -> bool:
    """The weekly summary: on Monday from 08:00 on the person's clock (a worker that was down in
    the morning catches up that day; a summary of last week on a Thursday would only confuse)."""
    return local_now.weekday() == 0 and local_now.time().replace(tzinfo=None) >= SUMMARY_TIME


def last_week_monday(today: date) -> date:
    """The Monday of the week before the one containing ``today``."""
    return today - timedelta(days=today.weekday() + 7)
