"""bexio's per-company, per-minute rate limits as its Kong gateway applies them.

Observed in the recorded responses (June 2026): fixed windows aligned to the wall-clock minute
(`ratelimit-reset` = seconds left in the minute: 60 at second 0, 1 at second 59), separate
counters per route group — 1000/min for most calls, 250/min for contact search and for invoice
search + PDF (which share one counter), and accounting routes on a counter of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

DEFAULT_LIMIT: Final = 1000
LIMITED_LIMIT: Final = 250


@dataclass(frozen=True)
class RateGroup:
    name: str
    limit: int


DEFAULT_GROUP: Final = RateGroup("default", DEFAULT_LIMIT)
ACCOUNTING_GROUP: Final = RateGroup("accounting", DEFAULT_LIMIT)
CONTACT_SEARCH_GROUP: Final = RateGroup("contact-search", LIMITED_LIMIT)
INVOICE_SEARCH_PDF_GROUP: Final = RateGroup("kb-invoice-search-pdf", LIMITED_LIMIT)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset_seconds),
            "x-ratelimit-limit-minute": str(self.limit),
            "x-ratelimit-remaining-minute": str(self.remaining),
        }


@dataclass
class RateLimiter:
    #: (company, group, minute) → calls counted in that minute.
    counts: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def _window(self, now: datetime) -> tuple[int, int]:
        timestamp = int(now.timestamp())
        return timestamp // 60, 60 - timestamp % 60

    def hit(self, company: str, group: RateGroup, now: datetime) -> RateDecision:
        """Count one call; refuse it once the minute's budget is spent."""
        minute, reset = self._window(now)
        key = (company, group.name, minute)
        if key not in self.counts:
            self._forget_before(minute)
        used = self.counts.get(key, 0)
        if used >= group.limit:
            return RateDecision(False, group.limit, 0, reset)
        self.counts[key] = used + 1
        return RateDecision(True, group.limit, group.limit - used - 1, reset)

    def exhausted(self, group: RateGroup, now: datetime) -> RateDecision:
        """The headers of an injected 429: nothing left until the minute ends."""
        _, reset = self._window(now)
        return RateDecision(False, group.limit, 0, reset)

    def _forget_before(self, minute: int) -> None:
        for stale in [key for key in self.counts if key[2] < minute]:
            del self.counts[stale]
