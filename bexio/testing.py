"""Test doubles for code that talks to bexio through ``BexioClient``.

``FakeTime`` replaces both the clock and the sleep the client and its pacer use, so a test of
rate limits, backoff or fault injection runs instantly and can assert exactly how long the client
*would* have waited.
"""

from __future__ import annotations

import asyncio


class FakeTime:
    """A monotonic clock that only moves when someone sleeps on it (or the test advances it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Wake ``seconds`` after the call; tasks sleeping side by side wake together, as in real time."""
        self.sleeps.append(seconds)
        wake = self.now + max(0.0, seconds)
        await asyncio.sleep(0)  # let other tasks run (and start their own sleeps) meanwhile
        self.now = max(self.now, wake)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def total_slept(self) -> float:
        return sum(self.sleeps)
