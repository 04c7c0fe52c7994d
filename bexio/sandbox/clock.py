"""Time for the sandbox, injectable so tests never sleep.

Everything time-dependent in the sandbox — `updated_at`, token expiry, rate-limit windows,
recorded call times — reads `state.clock.now()`. Tests swap in a `ManualClock` and move it
forward instead of waiting for a minute to pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 6, 18, 12, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0.0, *, minutes: float = 0.0, days: float = 0.0) -> datetime:
        self._now += timedelta(seconds=seconds, minutes=minutes, days=days)
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs timezone-aware instants")
        self._now = instant
