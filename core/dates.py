"""Calendar days as people type them in a Swiss team, and the few date facts invoicing needs.

A token is a date only when it has exactly one of the documented forms, so that project names
are never swallowed by accident; a token that has a date's form but no such day
(`31.02.2026`) is an error rather than a project name.
"""

import re
from datetime import date, timedelta

from core.errors import DomainError, quote_input

WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("mo", "di", "mi", "do", "fr", "sa", "so"))},
}
_TODAY = frozenset({"today", "heute"})
_YESTERDAY = frozenset({"yesterday", "gestern"})
_MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)

_ISO = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})", re.ASCII)
_SWISS = re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})?", re.ASCII)
_LEAP_SEARCH_YEARS = 8
"""Years to look back for a day-month without year: 29.02. can be up to 8 years away (1896→1904)."""


class DateError(DomainError):
    """A token that looks like a date but is not a real day."""


def parse_date_token(token: str, today: date) -> date | None:
    """The day a token names, None when the token is not a date at all (it is then, say, part
    of a project name), `DateError` when it has a date's form but names no real day."""
    word = token.strip().casefold()
    if word in _TODAY:
        return today
    if word in _YESTERDAY:
        return today - timedelta(days=1)
    if word in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS[word]) % 7)
    if m := _ISO.fullmatch(word):
        return _day(token, int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _SWISS.fullmatch(word):
        day, month = int(m["d"]), int(m["m"])
        if m["y"] is not None:
            return _day(token, int(m["y"]), month, day)
        return _most_recent(token, month, day, today)
    return None


def parse_iso_date(text: str) -> date:
    """`2026-11-20` and nothing else (settings and command-line options)."""
    raw = text.strip()
    m = _ISO.fullmatch(raw)
    if m is None:
        raise DateError(f"{quote_input(raw)} is not a date — write it as YYYY-MM-DD, e.g. 2026-11-20.")
    return _day(raw, int(m["y"]), int(m["m"]), int(m["d"]))


def format_day(d: date) -> str:
    """`Mon 23.11.` — short enough for a confirmation line, fixed English weekday names
    (not the server locale's)."""
    return f"{WEEKDAY_ABBREVIATIONS[d.weekday()]} {d.day:02d}.{d.month:02d}."


def week_bounds(d: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week containing `d`."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def end_of_last_month(today: date) -> date:
    """The default end of an invoicing period: everything up to last month's last day."""
    return today.replace(day=1) - timedelta(days=1)


def month_name_de(month: int) -> str:
    """German month name for invoice titles ("Leistungen März 2026")."""
    if not 1 <= month <= 12:
        raise ValueError(f"No month {month}")
    return _MONTHS_DE[month - 1]


def _day(token: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"{quote_input(token)} is not a valid date.") from None


def _most_recent(token: str, month: int, day: int, today: date) -> date:
    """The latest `day.month.` on or before today: in January, `20.11.` is last November."""
    for year in range(today.year, today.year - _LEAP_SEARCH_YEARS - 1, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise DateError(f"{quote_input(token)} is not a valid date.")
