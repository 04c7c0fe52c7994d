"""Pacing calls so bxhours stays under bexio's rate limit instead of bouncing off it.

bexio limits requests per *company* per minute, and every process of bxhours (web, workers)
shares that budget, so a local counter alone cannot know how much is left. Each answer carries
bexio's own count (``ratelimit-remaining``, ``ratelimit-reset`` in seconds), and the pacer follows
it: when few calls remain it spreads them over the rest of the window, at zero it waits for the
reset. A local token bucket per route class (1000/min in general, 250/min for search and PDF
routes, as observed) additionally keeps one process from bursting.

The clock and sleep are injected so tests run on a fake clock and never wait for real.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

Clock = Callable[[], float]

# Waits shorter than this are rounding noise (a float clock cannot even advance by them).
_NEGLIGIBLE = 1e-6
Sleep = Callable[[float], Awaitable[None]]


class RouteClass(StrEnum):
    """bexio's rate-limit buckets: searches and PDFs have their own, lower limit."""

    GENERAL = "general"
    LIMITED = "limited"


def route_class(path: str) -> RouteClass:
    """The bucket a path counts against (``…/search`` and ``…/pdf`` are limited to 250/min)."""
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    return RouteClass.LIMITED if tail in ("search", "pdf") else RouteClass.GENERAL


@dataclass(slots=True)
class TokenBucket:
    """Classic token bucket: ``rate`` tokens per second up to ``capacity``."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def delay(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1 - _NEGLIGIBLE else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


@dataclass(slots=True)
class ServerWindow:
    """What bexio last told us about one bucket of the current minute."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    held_until: float = 0.0
    last_grant: float | None = None


class Pacer:
    """Decides when the next call of a route class may go out. One per bexio company and process."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        general_per_minute: int = 1000,
        limited_per_minute: int = 250,
        burst_seconds: float = 6.0,
        spread_below: float = 0.2,
    ) -> None:
        """``spread_below``: once fewer than this share of the limit remains, calls are spread
        evenly over the rest of bexio's window instead of being spent at once."""
        self._clock = clock
        self._sleep = sleep
        # Time is at least as late as the end of the last wait we made, even if an injected clock
        # was not advanced by an injected sleep; this keeps waits from repeating forever in tests.
        self._floor = float("-inf")
        self._spread_below = spread_below
        now = self._now()
        self._defaults = {RouteClass.GENERAL: general_per_minute, RouteClass.LIMITED: limited_per_minute}
        self._buckets = {
            route: TokenBucket(
                rate=per_minute / 60,
                capacity=max(1.0, per_minute / 60 * burst_seconds),
                tokens=max(1.0, per_minute / 60 * burst_seconds),
                updated=now,
            )
            for route, per_minute in self._defaults.items()
        }
        self._windows = {route: ServerWindow() for route in RouteClass}

    async def acquire(self, route: RouteClass) -> float:
        """Wait until a call may go out; returns the seconds waited (for stats)."""
        waited = 0.0
        while True:
            now = self._now()
            delay = self._delay(route, now)
            if delay <= _NEGLIGIBLE:
                self._grant(route, now)
                return waited
            await self._sleep(delay)
            self._floor = max(self._floor, now + delay)
            waited += delay

    def observe(self, route: RouteClass, headers: Mapping[str, str]) -> None:
        """Learn bexio's count from an answer's headers (any status, including 429)."""
        remaining = _header_int(headers, "ratelimit-remaining", "x-ratelimit-remaining-minute")
        reset = _header_int(headers, "ratelimit-reset")
        if remaining is None or reset is None:
            return
        window = self._windows[route]
        window.limit = _header_int(headers, "ratelimit-limit", "x-ratelimit-limit-minute")
        window.remaining = remaining
        window.reset_at = self._now() + max(0, reset)

    def hold(self, route: RouteClass, seconds: float) -> None:
        """After a 429: no call of this route class leaves this process for ``seconds``.

        The hold replaces what we knew of bexio's count; the next answer will tell it afresh.
        """
        window = self._windows[route]
        window.held_until = max(window.held_until, self._now() + max(0.0, seconds))
        window.remaining = window.reset_at = None

    def _now(self) -> float:
        return max(self._clock(), self._floor)

    def _delay(self, route: RouteClass, now: float) -> float:
        window = self._windows[route]
        delays = [window.held_until - now, self._buckets[route].delay(now)]
        if window.reset_at is not None and window.remaining is not None and now < window.reset_at:
            if window.remaining <= 0:
                delays.append(window.reset_at - now)
            elif window.remaining < (window.limit or self._defaults[route]) * self._spread_below:
                interval = (window.reset_at - now) / window.remaining
                since = window.last_grant if window.last_grant is not None else now - interval
                delays.append(since + interval - now)
        return max(delays)

    def _grant(self, route: RouteClass, now: float) -> None:
        self._buckets[route].take(now)
        window = self._windows[route]
        window.last_grant = now
        if window.remaining is not None and window.reset_at is not None and now < window.reset_at:
            # Our own estimate until bexio's next answer corrects it.
            window.remaining -= 1


def _header_int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return int(value.strip())
        except ValueError:
            continue
    return None
