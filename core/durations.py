"""Durations as people type them, stored as whole minutes.

Accepted: `2h`, `2h30`, `2h30m`, `2h 30m`, `2.5h`, `2,5h`, `90m`, `90 min`, `1:30`, and a bare
number of hours `2` / `1.5`. Fractions of hours round half-up to the nearest minute.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from core.errors import DomainError, quote_input
from core.i18n import N_, _

MAX_MINUTES = 24 * 60
"""One entry covers at most a day; anything longer is a typo, not a work day."""

_HOURS_UNIT = r"(?:h|hr|hrs|hours?|std|stunden?|heures?|ore|ora)"
_MINUTES_UNIT = r"(?:m|min|mins|mn|minutes?|minuten?|minuti|minuto)"
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"

_FORMS = (
    # 2h, 2.5h, 2h30, 2h30m, 2 h 30 min — but not "2h 30": after a space the minutes need their
    # unit, or "/log-hours 2h 30 Grad Celsius" would lose half a project name.
    re.compile(
        rf"(?P<hours>{_NUMBER})\s*{_HOURS_UNIT}"
        rf"(?:(?P<minutes>[0-9]{{1,2}})(?:\s*{_MINUTES_UNIT})?|\s+(?P<spaced_minutes>[0-9]{{1,2}})\s*{_MINUTES_UNIT})?",
        re.ASCII | re.IGNORECASE,
    ),
    # 90m, 90 min
    re.compile(rf"(?P<minutes>[0-9]+)\s*{_MINUTES_UNIT}", re.ASCII | re.IGNORECASE),
    # 1:30
    re.compile(r"(?P<hours>[0-9]+):(?P<minutes>[0-9]{2})", re.ASCII),
    # 2, 1.5  (hours)
    re.compile(rf"(?P<hours>{_NUMBER})", re.ASCII),
)
_TOO_LONG = N_("{typed} is more than 24 hours — log each day separately.")


class DurationError(DomainError):
    """A typed duration that cannot be used; the message says why."""


def parse_duration(text: str) -> int:
    """Whole minutes for a typed duration; `DurationError` for anything else, including zero,
    negative and more than 24 hours."""
    raw = text.strip()
    if raw.startswith("-"):
        raise DurationError(_("{typed}: a duration must be positive.", typed=quote_input(raw)))
    for form in _FORMS:
        m = form.fullmatch(raw)
        if m is not None:
            return _checked(raw, _minutes_of(raw, m))
    raise DurationError(
        _("{typed} is not a duration — write it like 2h30, 1.5h, 90m or 1:30.", typed=quote_input(raw))
    )


def format_duration(minutes: int) -> str:
    """`2:30` — the form people read fastest, and one `parse_duration` reads back."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}"


def hours_decimal(minutes: int) -> Decimal:
    """Hours with two decimals, half-up: the quantity that appears on an invoice."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _minutes_of(raw: str, m: re.Match[str]) -> int:
    groups = m.groupdict()
    hours_text = groups.get("hours")
    minutes_text = groups.get("minutes") or groups.get("spaced_minutes")
    total = Decimal(0)
    if hours_text is not None:
        total += Decimal(hours_text.replace(",", ".")) * 60
    if minutes_text is not None:
        minutes = Decimal(minutes_text)  # not int(): a 5000-digit string must fail as a duration
        if hours_text is not None and minutes >= 60:
            raise DurationError(
                _("{typed}: the minutes after the hours must be below 60.", typed=quote_input(raw))
            )
        if hours_text is not None and "." in hours_text.replace(",", "."):
            raise DurationError(
                _(
                    "{typed}: write either decimal hours (2.5h) or hours and minutes (2h30).",
                    typed=quote_input(raw),
                )
            )
        total += minutes
    if total > MAX_MINUTES + 1:  # settle absurd magnitudes before rounding can overflow
        raise DurationError(_(_TOO_LONG, typed=quote_input(raw)))
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _checked(raw: str, minutes: int) -> int:
    if minutes <= 0:
        raise DurationError(
            _("{typed} is no time at all — a duration must be at least one minute.", typed=quote_input(raw))
        )
    if minutes > MAX_MINUTES:
        raise DurationError(_(_TOO_LONG, typed=quote_input(raw)))
    return minutes
