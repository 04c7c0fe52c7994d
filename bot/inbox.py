"""The Slack inbox: a verified request is written down before Slack gets its acknowledgement.

Guarantee (issue 12 §3, §9) — for every slash command, every button that may write, every view
submission and every Events API delivery:

* **Acknowledged means stored.** Its inbox row (``storage.models.SlackRequest``) is committed before
  the request reaches Bolt, so before any acknowledgement leaves. Requests that arrive together share
  one commit (group commit, as ``webhooks.batching`` does for the webhook), so a burst costs a few
  commits, not one each. When the database cannot take the row within ``BUSY_AFTER`` seconds (an
  import holding SQLite's writer) the request is answered "busy, try again" and its row is taken out
  again before that commit, never after: a request answered "busy" is never acted on.
* **Once.** ``replay_key`` is unique — the signature (Slack signs each request once; a replay within
  Slack's 5-minute window carries the same one) or ``event:<event_id>`` for events (Slack's retries
  are signed anew but keep the event id). A second request with the same key is answered 200 and does
  nothing, in this process or any other on the same database. The request's first writing
  transaction also marks its row applied (``storage.inbox``), so a re-run never writes twice.
* **Finished after a crash.** A process renews the lease of the rows it works on; a row is done when
  its handler has finished (and answered). The rows of a killed process keep ``pending`` and their
  lease lapses; ``bot.front_door`` re-runs them in the next process to come up, and the person is
  answered then — through the ``response_url`` while Slack still takes it (30 minutes), else by DM.

Requests that cannot change anything skip the row (they need no durability, and a SQLite writer held
by an import must not make them wait): options loads (``block_suggestion``), closed views, and the
buttons in ``READ_ONLY_ACTIONS``, which only open, page or re-render a view. A button not listed there
is taken as one that writes. A replay of those is refused by signature in memory only: it could at
most re-render a view for the person who clicked.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.views import (
    account_mapping,
    expense_modal,
    hours_modal,
    invoice_modal,
    log_expense,
    log_hours,
    new_customer,
    settings_modal,
)
from bot.views import week as week_view
from storage.inbox import PENDING, InboxStore

log = logging.getLogger(__name__)

BUSY_AFTER = 2.0
"""Seconds a request waits for its row before it is answered "busy" (Slack gives up after 3)."""
LEASE_SECONDS = 15.0
"""A process renews the rows it works on every third of this; a killed process's rows are taken
over this long after its last renewal."""
KEEP_FINISHED = timedelta(days=1)
"""Finished rows are kept this long (replays older than 5 minutes are refused by their timestamp)."""
MAX_RUN_SECONDS = 600.0
"""A run still going after this long stops being renewed: another process may finish it."""

READ_ONLY_ACTIONS: frozenset[str] = frozenset(
    {
        *week_view.NAV_ACTIONS,
        week_view.LOG_HOURS_ACTION,
        week_view.LOG_EXPENSE_ACTION,
        week_view.MENU_ACTION,  # opens an edit form or the delete confirmation
        log_hours.OPEN_FORM_ACTION,
        log_expense.OPEN_FORM_ACTION,
        hours_modal.PROJECT_ACTION,
        hours_modal.ACTIVITY_ACTION,
        expense_modal.CATEGORY_ACTION,
        invoice_modal.NEW_CUSTOMER_ACTION,
        new_customer.OPEN_ACTION,
        account_mapping.OPEN_ACTION,
        account_mapping.ACCOUNT_ACTION,  # a choice, saved with the page or the form
        settings_modal.OPEN_ACTION,
    }
)
"""Buttons and selects that only open, page or re-render a view: they write nothing."""
READ_ONLY_PATTERNS: tuple[re.Pattern[str], ...] = (invoice_modal.REFRESH_ACTIONS,)
NO_ROW_TYPES = frozenset({"block_suggestion", "view_closed", "url_verification"})


def needs_row(body: dict[str, Any]) -> bool:
    """Whether a verified request must be written down before it is acknowledged."""
    if "command" in body:
        return True
    kind = body.get("type")
    if kind in NO_ROW_TYPES or body.get("ssl_check"):
        return False
    if kind == "block_actions":
        action_id = _action_id(body)
        if action_id in READ_ONLY_ACTIONS or any(p.fullmatch(action_id) for p in READ_ONLY_PATTERNS):
            return False
    return True


def replay_key(body: dict[str, Any], signature: str) -> str:
    """Events by their id (retries are signed anew), everything else by its signature."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if isinstance(event_id, str) and event_id:
        return "event:" + clean(event_id, 190)
    return signature


def describe(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(kind, name, user id) of a request, for its row and for messages about it."""
    if "command" in body:
        return "command", _text(body.get("command")), _text(body.get("user_id"))
    kind = _text(body.get("type")) or "unknown"
    user = body.get("user")
    user_id = _text(user.get("id")) if isinstance(user, dict) else _text(body.get("user_id"))
    name: str | None = None
    if kind == "block_actions":
        name = _action_id(body) or None
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        name = _text(view.get("callback_id")) if isinstance(view, dict) else None
    elif kind == "event_callback":
        event = body.get("event")
        if isinstance(event, dict):
            name = _text(event.get("type"))
            user_id = user_id or _text(event.get("user"))
    else:
        name = _text(body.get("callback_id"))
    return kind, name, user_id


def _action_id(body: dict[str, Any]) -> str:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return _text(first.get("action_id")) or "" if isinstance(first, dict) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def clean(value: str, limit: int) -> str:
    """Fit a string from a request into a column: no NUL (PostgreSQL refuses it), at most ``limit``."""
    return value.replace("\x00", "")[:limit]


def new_request_id() -> str:
    """The stable id of a request: its inbox row's key, and what its log lines carry."""
    return secrets.token_hex(8)


# -- outcomes of taking a request -----------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    request_id: str
    received_at: datetime


class Replayed:
    """The request was taken before (a replay, or Slack's retry of an event)."""


class Busy:
    """The database did not take the row in time; nothing was stored."""


REPLAYED, BUSY = Replayed(), Busy()


@dataclass(eq=False)
class _Waiting:
    row: dict[str, Any]
    done: asyncio.Future[bool]
    state: str = "waiting"  # waiting → committing (the writer decided) | abandoned (answered busy)


class InboxWriter:
    """One task writes the rows of every request that arrived meanwhile, in one transaction; the same
    transaction marks finished rows done and renews the leases of rows still running here."""

    def __init__(
        self,
        store: InboxStore,
        tenant_id: int,
        *,
        now: Callable[[], datetime] | None = None,
        busy_after: float = BUSY_AFTER,
        lease_seconds: float = LEASE_SECONDS,
        max_batch: int = 500,
    ) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self.now = now or store.now
        self.busy_after = busy_after
        self.lease_seconds = lease_seconds
        self.max_batch = max_batch
        self.batches = 0
        self._waiting: list[_Waiting] = []
        self._finished: list[str] = []
        self._running: dict[str, float] = {}  # request id → monotonic time its run started here
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_purge = 0.0
        self._closing = False

    @property
    def running(self) -> int:
        return len(self._running)

    async def take(
        self, body: dict[str, Any], raw: str, content_type: str, signature: str
    ) -> Taken | Replayed | Busy:
        """Write the request down; returns once its row is committed (or it is known not to be)."""
        kind, name, user_id = describe(body)
        received_at = self.now()
        request_id = new_request_id()
        row = {
            "id": request_id,
            "tenant_id": self.tenant_id,
            "replay_key": replay_key(body, signature),
            "kind": clean(kind, 32),
            "name": clean(name, 255) if name else None,
            "user_id": clean(user_id, 32) if user_id else None,
            "content_type": clean(content_type, 100),
            "body": raw,
            "status": PENDING,
            "attempts": 0,
            "received_at": received_at,
            "lease_until": received_at + timedelta(seconds=self.lease_seconds),
            "applied_at": None,
            "finished_at": None,
        }
        waiting = _Waiting(row, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._ensure_task()
        self._wake.set()
        try:
            async with asyncio.timeout(self.busy_after):
                inserted = await asyncio.shield(waiting.done)
        except TimeoutError:
            if waiting.state != "committing":
                waiting.state = "abandoned"  # the writer drops it before committing, or never writes it
                return BUSY
            try:  # the writer holds the lock and commits now: wait for that, it is quick
                inserted = await waiting.done
            except Exception:
                return BUSY
        except Exception:
            return BUSY
        if not inserted:
            return REPLAYED
        self._running[request_id] = time.monotonic()
        return Taken(request_id, received_at)

    def adopt(self, request_id: str) -> None:
        """A row this process claimed for a re-run: renew its lease while it runs."""
        self._running[request_id] = time.monotonic()
        self._ensure_task()

    def finished(self, request_id: str) -> None:
        """The request's handler is done: its row is marked done with the next write."""
        if self._running.pop(request_id, None) is not None:
            self._finished.append(request_id)
            self._ensure_task()
            self._wake.set()

    async def close(self) -> None:
        """Write what is left (finished rows), then stop. Rows still running keep their lease, which
        lapses: the next process finishes them."""
        self._closing = True
        self._wake.set()
        if self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._task), 10)
        self._task = None

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            # An empty context: the writer must not inherit the current request of whoever started it.
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name="slack-inbox-writer", context=contextvars.Context()
            )

    def _take_finished(self) -> list[str]:
        finished, self._finished = self._finished, []
        return finished

    async def _loop(self) -> None:
        renew_every = self.lease_seconds / 3
        next_renewal = time.monotonic() + renew_every
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation that
            # arrives together with the event.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_renewal - time.monotonic())):
                    await self._wake.wait()
            self._wake.clear()
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            if self._waiting:
                self._wake.set()
            renew: list[str] = []
            if time.monotonic() >= next_renewal:
                renew = self._still_running()
                next_renewal = time.monotonic() + renew_every
            finished = self._take_finished()
            if batch or finished or renew:
                try:
                    await self._write(batch, finished, renew)
                except Exception:
                    log.exception("the Slack inbox could not write %d request(s)", len(batch))
                    self._finished.extend(finished)  # marked done with the next write
            if self._closing and not self._waiting:
                return
            await self._purge_now_and_then()

    def _still_running(self) -> list[str]:
        cutoff = time.monotonic() - MAX_RUN_SECONDS
        for request_id, started in list(self._running.items()):
            if started < cutoff:
                log.warning(
                    "request %s has run for %.0f s; another process may finish it",
                    request_id,
                    MAX_RUN_SECONDS,
                )
                del self._running[request_id]
        return list(self._running)

    async def _write(self, batch: list[_Waiting], finished: list[str], renew: list[str]) -> None:
        live = [item for item in batch if item.state == "waiting"]
        try:
            await self._commit(live, finished, renew)
        except Exception as exc:
            if len(live) <= 1:
                for item in live:
                    if not item.done.done():
                        item.done.set_exception(exc)
                if not live:
                    raise
                return
            # One row that cannot be written must not cost the others theirs: one at a time.
            log.warning(
                "a group of %d Slack requests could not be written; writing them one by one", len(live)
            )
            for item in live:
                item.state = "waiting" if item.state == "committing" else item.state
                if item.state != "waiting":
                    continue
                try:
                    await self._commit([item], [], [])
                except Exception as single:
                    if not item.done.done():
                        item.done.set_exception(single)
            if finished or renew:
                await self._commit([], finished, renew)

    async def _commit(self, live: list[_Waiting], finished: list[str], renew: list[str]) -> None:
        async with self.store.transaction() as session:
            inserted = await self.store.insert(session, [item.row for item in live])
            # The rows are written and the writer lock is ours: from here on a waiting request is
            # either committed with this transaction or was answered "busy" and is dropped from it.
            abandoned = []
            for item in live:
                if item.state == "abandoned":
                    abandoned.append(item.row["id"])
                else:
                    item.state = "committing"
            await self.store.drop(session, [i for i in abandoned if i in inserted])
            await self.store.finish(session, finished)
            await self.store.renew(session, renew, self.lease_seconds)
        self.batches += 1
        for item in live:
            if item.state == "committing" and not item.done.done():
                item.done.set_result(item.row["id"] in inserted)

    async def _purge_now_and_then(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + 600
        try:
            async with self.store.transaction() as session:
                await self.store.purge(session, KEEP_FINISHED)
        except Exception:  # housekeeping: the next round tries again
            log.warning("could not purge finished Slack requests", exc_info=True)


@dataclass
class RecentSignatures:
    """Signatures of requests without a row, seen in the last 5 minutes (this process only)."""

    window: float = 300.0 + 60.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, float] = field(default_factory=dict)

    def seen(self, signature: str) -> bool:
        now = self.clock()
        if len(self._seen) > 10_000:
            self._seen = {key: until for key, until in self._seen.items() if until > now}
        until = self._seen.get(signature)
        if until is not None and until > now:
            return True
        self._seen[signature] = now + self.window
        return False


def response_url_fresh(received_at: datetime, now: datetime) -> bool:
    """Slack takes posts to a response_url for 30 minutes after the request (a minute's margin)."""
    return now - received_at < timedelta(minutes=29)


def utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
