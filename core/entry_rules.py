"""What a time entry or an expense must be before bxhours stores it — one set of rules for every
way in: a typed line, a choice button, the form, an edit.

A Slack payload is untrusted even when it is signed: a button's value, a modal's state and a
form's fields can carry anything (−600 minutes, 2^62, a NUL byte, year 1). So the services run
these checks on exactly what they are about to store, whatever path it came by; the parsers in
``core.quick_entry``, ``core.durations`` and ``core.money`` only read what people type. Hours
imported from bexio are bexio's and exempt (the import never calls these).

Each check returns a sentence for the person (what is wrong and how to put it right), or None.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Literal

from core.dates import format_day
from core.durations import MAX_MINUTES, format_duration
from core.i18n import N_, _
from core.money import CENT, format_money

EARLIEST_DAY = date(2000, 1, 1)
"""Nothing bxhours invoices is older; an earlier day is a typo (or a forged request)."""
MIN_ENTRY_MINUTES = 1
MAX_ENTRY_MINUTES = MAX_MINUTES
MAX_DAY_MINUTES = 24 * 60
"""What one person may have logged on one day, all entries together (imported ones included)."""
MAX_EXPENSE_AMOUNT = Decimal("100000.00")
MAX_NOTE_LENGTH = 1000
ALLOWED_CONTROL = frozenset("\n")
"""Line breaks are text; every other control character (NUL, tab, escape …) is refused."""

Field = Literal["day", "duration", "amount", "note"]
"""The form field a problem belongs under (the typed line shows them one after another)."""

TOO_MANY_DECIMALS = N_("{amount} has more than two decimals — amounts are francs and Rappen.")
NOTE_TOO_LONG = N_("The note has {length} characters; at most {limit} fit.")
_CONTROL_NAMES = {
    "\x00": N_("a NUL byte"),
    "\t": N_("a tab"),
    "\r": N_("a carriage return"),
    "\x1b": N_("an escape character"),
}
_TOO_EARLY = {
    "hours": N_("{day} is before 01.01.2000 — hours can be logged from then on. Check the date."),
    "expenses": N_("{day} is before 01.01.2000 — expenses can be logged from then on. Check the date."),
}
_IN_THE_FUTURE = {
    "hours": N_(
        "{day} is in the future — hours can be logged up to today ({today}). "
        "An admin can allow future dates with the setting `allow_future_dates`."
    ),
    "expenses": N_(
        "{day} is in the future — expenses can be logged up to today ({today}). "
        "An admin can allow future dates with the setting `allow_future_dates`."
    ),
}


def day_problem(day: date, today: date, *, allow_future: bool, logged_what: str) -> str | None:
    """From 1 January 2000 up to today — or later when the setting `allow_future_dates` is on."""
    if day < EARLIEST_DAY:
        return _(_TOO_EARLY[logged_what], day=_full_day(day))
    if day > today and not allow_future:
        shown = f"{format_day(day)}{day.year}"
        return _(_IN_THE_FUTURE[logged_what], day=shown, today=format_day(today))
    return None


def minutes_problem(minutes: object) -> str | None:
    """One entry: at least a minute, at most a day."""
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        return _("The duration is not a number of minutes — write it like 2h30, 1.5h, 90m or 1:30.")
    if minutes < MIN_ENTRY_MINUTES:
        return _("A duration must be at least one minute.")
    if minutes > MAX_ENTRY_MINUTES:
        if minutes >= 10**7:
            return _("That h is more than 24 hours — log each day separately.")
        return _(
            "{duration} h is more than 24 hours — log each day separately.", duration=format_duration(minutes)
        )
    return None


def day_total_problem(minutes: int, logged_that_day: int, day: date) -> str | None:
    """All of a person's entries on one day together fit into the day."""
    total = minutes + logged_that_day
    if total <= MAX_DAY_MINUTES:
        return None
    return _(
        "You have {logged} h on {day} already; {duration} h more would make {total} h — "
        "at most 24 hours fit in a day. Check the date or the duration.",
        logged=format_duration(logged_that_day),
        day=_full_day(day),
        duration=format_duration(minutes),
        total=format_duration(total),
    )


def amount_problem(amount: object) -> str | None:
    """An expense: more than nothing, at most CHF 100'000, in francs and Rappen."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return _("The amount is not a number — write it like 84.50, 84,50 or 1'234.50.")
    if amount <= 0:
        return _("The amount must be more than 0.00.")
    if amount > MAX_EXPENSE_AMOUNT:
        if amount >= 10**15:
            return _(
                "That amount is more than {limit}, the most one expense may be. "
                "Check the amount, or log the receipt in parts.",
                limit=format_money(MAX_EXPENSE_AMOUNT),
            )
        return _(
            "{amount} is more than {limit}, the most one expense may be. "
            "Check the amount, or log the receipt in parts.",
            amount=format_money(amount),
            limit=format_money(MAX_EXPENSE_AMOUNT),
        )
    if amount != amount.quantize(CENT):
        return _(TOO_MANY_DECIMALS, amount=amount)
    return None


def note_problem(note: object) -> str | None:
    """At most 1000 characters of text and line breaks."""
    if not isinstance(note, str):
        return _("The note is not text.")
    if len(note) > MAX_NOTE_LENGTH:
        return _(NOTE_TOO_LONG, length=len(note), limit=MAX_NOTE_LENGTH)
    for position, char in enumerate(note, start=1):
        if char not in ALLOWED_CONTROL and unicodedata.category(char) == "Cc":
            known, code = _CONTROL_NAMES.get(char), format(ord(char), "04X")
            name = _(known) if known else _("the control character U+{code}", code=code)
            return _(
                "The note contains {name} at position {position}; "
                "a note may only hold text and line breaks. Remove it and send it again.",
                name=name,
                position=position,
            )
    return None


def entry_problems(
    *,
    minutes: object,
    day: date,
    note: object,
    today: date,
    allow_future: bool,
    logged_that_day: int,
) -> dict[str, str]:
    """Every problem of a time entry about to be stored, by form field (empty: it may be stored).

    ``logged_that_day``: the minutes the person already has on ``day``, without this entry."""
    problems: dict[str, str] = {}
    if found := day_problem(day, today, allow_future=allow_future, logged_what="hours"):
        problems["day"] = found
    duration = minutes_problem(minutes)
    if duration is None and isinstance(minutes, int):
        duration = day_total_problem(minutes, logged_that_day, day)
    if duration:
        problems["duration"] = duration
    if found := note_problem(note):
        problems["note"] = found
    return problems


def expense_problems(
    *, amount: object, day: date, note: object, today: date, allow_future: bool
) -> dict[str, str]:
    """Every problem of an expense about to be stored, by form field (empty: it may be stored)."""
    problems: dict[str, str] = {}
    if found := day_problem(day, today, allow_future=allow_future, logged_what="expenses"):
        problems["day"] = found
    if found := amount_problem(amount):
        problems["amount"] = found
    if found := note_problem(note):
        problems["note"] = found
    return problems


def _full_day(day: date) -> str:
    return f"{format_day(day)}{day.year:04d}"
