"""Time as a collaborator: services ask a `Clock` instead of calling `datetime.now()`.

Injecting the clock is what lets tests say "it is 23:59 on New Year's Eve in Zurich" without
sleeping or patching, and it keeps every "today" computed in the company's zone, not the server's.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Zurich"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, dt: datetime) -> None:
        self._now = _aware_utc(dt)


def zone(tz: str) -> ZoneInfo:
    """Load a time zone by IANA name, with an error that names the bad setting value."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {tz!r}; use an IANA name such as {DEFAULT_TIMEZONE!r}") from exc


def to_local(dt: datetime, tz: str) -> datetime:
    """Express an aware instant in the company's zone (naive datetimes are refused, never guessed)."""
    if dt.tzinfo is None:
        raise ValueError("to_local needs a timezone-aware datetime")
    return dt.astimezone(zone(tz))


def local_today(clock: Clock, tz: str) -> date:
    """The calendar day it is for the company right now — the default day of a new entry."""
    return to_local(clock.now(), tz).date()


def _aware_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("ManualClock needs a timezone-aware datetime")
    return dt.astimezone(UTC)
