"""Fault injection: the failures real bexio produces, on demand.

Two ways to fail a call, both consulted before a request reaches its handler (random faults
hit the API routes only; scripts also the identity provider's):

* **scripted** — `faults.script("POST /2.0/kb_invoice", [500, "timeout", 201])`: the next
  three matching calls fail with a 500, hang, then pass; scripts are consumed in order and
  win over random faults;
* **random** — probabilities per call, drawn from a seeded generator so a failing trial can
  be replayed.

Outcomes:
  an int ≥ 400   answer with that status without touching any data (429 carries the
                 rate-limit headers, 502 and 504 an HTML proxy page, others a bexio error
                 body);
  an int < 400   or "pass": handle the call normally;
  "timeout"      hang for `hang_seconds` (longer than the client's timeout) before any write;
  "partial"      perform the write, then answer 500 without the created id — what bexio does
                 when a large invoice create half-fails;
  "timeout_after_write"  perform the write, then hang: the client times out although the
                 record exists.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Outcome = int | Literal["pass", "timeout", "partial", "timeout_after_write"]

SYMBOLIC_OUTCOMES: Final = frozenset({"pass", "timeout", "partial", "timeout_after_write"})


def parse_outcome(value: object) -> Outcome:
    if isinstance(value, bool):
        raise ValueError(f"not a fault outcome: {value!r}")
    if isinstance(value, int):
        if not 100 <= value <= 599:
            raise ValueError(f"status {value} is not an HTTP status")
        return value
    if isinstance(value, str):
        if value.isdigit():
            return parse_outcome(int(value))
        if value in SYMBOLIC_OUTCOMES:
            return value  # type: ignore[return-value]
    raise ValueError(
        f"not a fault outcome: {value!r} (use a status code or one of {sorted(SYMBOLIC_OUTCOMES)})"
    )


def _probability(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
    return float(value)


@dataclass
class Faults:
    latency_ms: float = 0.0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    #: Only applies to calls that create a record.
    rate_partial_create: float = 0.0
    #: Only applies to writes (POST/PUT/PATCH/DELETE).
    rate_timeout_after_write: float = 0.0
    #: Status used for random 5xx faults.
    error_status: int = 500
    #: How long a "timeout" hangs; choose it above the client's timeout.
    hang_seconds: float = 30.0
    seed: int = 0
    scripts: dict[str, deque[Outcome]] = field(default_factory=dict)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def script(self, route: str, outcomes: Iterable[object]) -> None:
        """Queue outcomes for calls matching `route`: "METHOD /path" or "METHOD /pattern/{id}"."""
        method, _, path = route.partition(" ")
        if not path.startswith("/") or not method.isalpha():
            raise ValueError(f'script route must look like "POST /2.0/kb_invoice", got {route!r}')
        parsed = [parse_outcome(outcome) for outcome in outcomes]
        if parsed:
            self.scripts.setdefault(f"{method.upper()} {path}", deque()).extend(parsed)

    def clear(self) -> None:
        """Back to a well-behaved bexio (keeps the seed)."""
        self.latency_ms = 0.0
        self.rate_429 = self.rate_5xx = self.rate_timeout = 0.0
        self.rate_partial_create = self.rate_timeout_after_write = 0.0
        self.error_status = 500
        self.scripts.clear()

    def next_outcome(
        self, method: str, path: str, pattern: str, *, is_write: bool, is_create: bool, randomised: bool
    ) -> Outcome:
        for key in (f"{method} {path}", f"{method} {pattern}"):
            queue = self.scripts.get(key)
            if queue:
                outcome = queue.popleft()
                if not queue:
                    del self.scripts[key]
                return outcome
        if not randomised:
            return "pass"
        draw = self._rng.random()
        for probability, outcome in (
            (self.rate_429, 429),
            (self.rate_5xx, self.error_status),
            (self.rate_timeout, "timeout"),
            (self.rate_partial_create if is_create else 0.0, "partial"),
            (self.rate_timeout_after_write if is_write else 0.0, "timeout_after_write"),
        ):
            if draw < probability:
                return outcome
            draw -= probability
        return "pass"

    def to_json(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "rate_429": self.rate_429,
            "rate_5xx": self.rate_5xx,
            "rate_timeout": self.rate_timeout,
            "rate_partial_create": self.rate_partial_create,
            "rate_timeout_after_write": self.rate_timeout_after_write,
            "error_status": self.error_status,
            "hang_seconds": self.hang_seconds,
            "seed": self.seed,
            "scripts": {key: list(queue) for key, queue in self.scripts.items()},
        }

    def update(self, settings: dict[str, Any]) -> None:
        """Apply a partial configuration (the admin API's POST body); validates everything first."""
        unknown = set(settings) - {*self.to_json(), "clear"}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        rates = {
            name: _probability(name, settings[name])
            for name in (
                "rate_429",
                "rate_5xx",
                "rate_timeout",
                "rate_partial_create",
                "rate_timeout_after_write",
            )
            if name in settings
        }
        numbers: dict[str, float] = {}
        for name in ("latency_ms", "hang_seconds"):
            if name in settings:
                value = settings[name]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"{name} must be a non-negative number, got {value!r}")
                numbers[name] = float(value)
        error_status = settings.get("error_status", self.error_status)
        if (
            isinstance(error_status, bool)
            or not isinstance(error_status, int)
            or not 500 <= error_status <= 599
        ):
            raise ValueError(f"error_status must be a 5xx status, got {error_status!r}")
        seed = settings.get("seed", self.seed)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        scripts = settings.get("scripts", {})
        if not isinstance(scripts, dict) or not all(isinstance(v, list) for v in scripts.values()):
            raise ValueError('scripts must map "METHOD /path" to a list of outcomes')
        parsed_scripts = {key: [parse_outcome(o) for o in outcomes] for key, outcomes in scripts.items()}

        if settings.get("clear"):
            self.clear()
        for name, rate in rates.items():
            setattr(self, name, rate)
        for name, number in numbers.items():
            setattr(self, name, number)
        self.error_status = error_status
        if seed != self.seed:
            self.reseed(seed)
        for key, outcomes in parsed_scripts.items():
            self.script(key, outcomes)
