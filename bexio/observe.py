"""What the bexio client tells whoever watches it about each call it sends (metrics, in ``bxhours``).

A hook, not a dependency: ``bexio`` knows nothing of Prometheus. Clients are built in many places
(one per job, the CLI, benches), and bexio's rate limit counts per company across every process, so
watching is process-wide: ``watch(observer)`` and every client of this process reports to it until
the returned ``unwatch`` is called. With nobody watching a call costs one empty-tuple check.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

NO_ANSWER = "error"
"""The status of an attempt that got no HTTP answer (connection refused, timeout)."""

_VERSION = re.compile(r"\d+\.\d+")
_ID = re.compile(r"\d+|\{id\}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, slots=True)
class BexioCall:
    """One attempt (a retry is another call)."""

    method: str
    family: str
    """The endpoint family: ``/2.0/contact/12`` → ``contact`` (see ``endpoint_family``)."""
    status: str
    """The HTTP status, or ``error`` when no answer came."""
    seconds: float
    route: str
    """bexio's rate-limit bucket (``bexio.pacing.RouteClass``: general or limited)."""
    remaining: int | None
    """``RateLimit-Remaining`` of the answer, when bexio sent it."""


class CallObserver(Protocol):
    def bexio_call(self, call: BexioCall) -> None: ...


_observers: tuple[CallObserver, ...] = ()


def watch(observer: CallObserver) -> Callable[[], None]:
    """Report every call of this process to ``observer``; returns the function that stops it."""
    global _observers
    _observers = (*_observers, observer)

    def unwatch() -> None:
        global _observers
        _observers = tuple(o for o in _observers if o is not observer)

    return unwatch


def watched() -> bool:
    return bool(_observers)


def report(call: BexioCall) -> None:
    for observer in _observers:
        try:
            observer.bexio_call(call)
        except Exception:  # watching must never fail a call
            log.warning("a bexio call observer failed", exc_info=True)


def endpoint_family(path: str) -> str:
    """A bounded name for what a path reaches: the API version, ids and what follows an id are
    left out (``kb_invoice`` covers reading, creating and issuing invoices; the method tells them
    apart); a search keeps its ``/search`` (it counts against bexio's lower search limit).

    ``/2.0/contact`` and ``/2.0/contact/12`` → ``contact``; ``/2.0/contact/search`` →
    ``contact/search``; ``/2.0/kb_invoice/7/pdf`` → ``kb_invoice``; ``/3.0/banking/accounts`` →
    ``banking/accounts``; the OpenID userinfo → ``auth``; anything not shaped like our own paths
    → ``other``.
    """
    segments = [part for part in path.split("/") if part]
    if not segments or not _VERSION.fullmatch(segments[0]):
        return "auth" if segments and segments[-1] == "userinfo" else "other"
    names: list[str] = []
    for part in segments[1:]:
        if _ID.fullmatch(part):
            break
        names.append(part)
    if not names or len(names) > 3 or not all(_NAME.fullmatch(name) for name in names):
        return "other"
    return "/".join(names)


def remaining_of(headers: Mapping[str, str]) -> int | None:
    """bexio's ``RateLimit-Remaining`` (or the older ``X-RateLimit-Remaining-Minute``)."""
    for name in ("ratelimit-remaining", "x-ratelimit-remaining-minute"):
        value = headers.get(name)
        if value is not None:
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None
