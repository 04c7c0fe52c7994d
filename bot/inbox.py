"""The Slack inbox: a verified request is written down before Slack gets its acknowledgement.

Guarantee (issue 12 §3, §9) — for every slash command, every button that may write, every view
submission and every Events API delivery:

* **Acknowledged means stored.** Its inbox row (``storage.models.SlackRequest``) is committed before
  any handler runs, so before any acknowledgement leaves (Bolt only routes the request meanwhile).
  Requests that arrive together share one commit (group commit, as ``webhooks.batching`` does for
  the webhook), so a burst costs a few commits, not one each. When the database cannot take the row within ``BUSY_AFTER`` seconds (an
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
    bexio_connection,
    expense_modal,
    hours_modal,
    invoice_modal,
    log_expense,
    log_hours,
    new_customer,
    onboarding,
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
LINGER_DONE = 0.05
"""Done marks wait this long for company: nobody waits for them."""
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
        onboarding.PERSON_ACTION,  # a pick; Link saves it
        onboarding.CHANNEL_ACTION,  # a pick; Post how-to posts
        bexio_connection.CONNECT_ACTION,  # a link: the browser opens /bexio/connect
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


@dataclass(frozen=True)
class NewRow:
    """A request about to be written down: its id is known (and its handler may be dispatched)
    before the row is committed."""

    request_id: str
    received_at: datetime
    row: dict[str, Any]


class NotTaken(Exception):
    """Raised where a handler would start for a request whose row was not committed (a replay, or
    busy): the handler never runs."""


class Replayed:
    """The request was taken before (a replay, or Slack's retry of an event)."""


class Busy:
    """The database did not take the row in time; nothing was stored."""


REPLAYED, BUSY = Replayed(), Busy()


Outcome = Taken | Replayed | Busy


@dataclass(eq=False)
class _Waiting:
    new: NewRow
    outcome: asyncio.Future[Outcome]
    state: str = "waiting"  # waiting → committing (the writer decided) | abandoned (answered busy)
    timer: asyncio.TimerHandle | None = None

    @property
    def row(self) -> dict[str, Any]:
        return self.new.row


class InboxWriter:
    """Writes the rows of every request that arrived meanwhile in one transaction (group commit); the
    same transaction marks finished rows done and renews the leases of rows still running here.

    On SQLite the batch is written on the event loop itself, without an await and without ever
    waiting for SQLite's writer lock (``storage.inbox.SqliteLane``): when another connection holds it
    the batch waits for a moment on the loop's timer and is tried again. On PostgreSQL a task on the
    loop writes the batches (asyncpg is asynchronous anyway).
    """

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
        self._renew: list[str] = []
        self._retry: list[str] = []
        self._running: dict[str, float] = {}  # request id → monotonic time its run started here
        self._scheduled: asyncio.TimerHandle | None = None  # SQLite: the next write on the loop
        self._backoff = 0.0
        self._wake = asyncio.Event()  # PostgreSQL: wakes the writer task
        self._writing = False
        self._task: asyncio.Task[None] | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def running(self) -> int:
        return len(self._running)

    def new_row(
        self,
        body: dict[str, Any],
        raw: str,
        content_type: str,
        signature: str,
        *,
        tenant_id: int | None = None,
    ) -> NewRow:
        kind, name, user_id = describe(body)
        received_at = self.now()
        request_id = new_request_id()
        row = {
            "id": request_id,
            "tenant_id": self.tenant_id if tenant_id is None else tenant_id,
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
        return NewRow(request_id, received_at, row)

    def submit(self, new: NewRow) -> asyncio.Future[Outcome]:
        """Write the request down. The future is done once its row is committed (``Taken``), found
        taken before (``REPLAYED``), or not written within ``busy_after`` seconds (``BUSY``).

        A plain future, no task: under a burst every extra step costs a turn of a busy loop."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(new, loop.create_future())
        waiting.timer = loop.call_later(self.busy_after, self._expire, waiting)
        self._waiting.append(waiting)
        self._pump(urgent=True)
        return waiting.outcome

    def adopt(self, request_id: str) -> None:
        """A row this process claimed for a re-run: renew its lease while it runs."""
        self._running[request_id] = time.monotonic()
        self._start_housekeeping()

    def finished(self, request_id: str) -> None:
        """The request's handler is done: its row is marked done with the next write (after
        ``close``, never: its lease lapses and the next process finds it applied)."""
        if self._running.pop(request_id, None) is not None and not self._closing:
            self._finished.append(request_id)
            self._pump(urgent=False)

    async def close(self) -> None:
        """Write what is left (finished rows), then stop. Rows still running keep their lease, which
        lapses: the next process finishes them."""
        self._closing = True
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self._writing or self._finished or self._live_waiting()):
            self._pump()
            await asyncio.sleep(0.01)
        if self._scheduled is not None:
            self._scheduled.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.store.close()

    def _live_waiting(self) -> bool:
        return any(item.state == "waiting" for item in self._waiting)

    def _expire(self, waiting: _Waiting) -> None:
        """``busy_after`` passed and the row is not written: the request is answered busy, and the
        writer will not write it (it only writes waiting ones, and decides before it commits)."""
        if waiting.state == "waiting":
            waiting.state = "abandoned"
            if not waiting.outcome.done():
                waiting.outcome.set_result(BUSY)

    # -- writing --------------------------------------------------------------------------------

    def _pump(self, *, urgent: bool = True) -> None:
        """Make sure a writer works on what is queued: at once (with the next turn of the loop, so
        the requests that arrived together share the commit) for a request that waits for its row,
        a little later for done marks and renewals, which nobody waits for."""
        self._start_housekeeping()
        if self.store.lane is not None:
            loop = asyncio.get_running_loop()
            now = loop.time()
            delay = 0.0 if urgent else LINGER_DONE
            if self._scheduled is not None:
                if self._scheduled.when() <= now + delay:
                    return
                self._scheduled.cancel()
            self._scheduled = loop.call_at(now + delay, self._write_on_loop)
            return
        if self._task is None or self._task.done():
            # An empty context: the writer must not inherit the current request of its starter.
            self._task = asyncio.get_running_loop().create_task(
                self._write_forever(), name="slack-inbox-writer", context=contextvars.Context()
            )
        self._wake.set()

    def _next_batch(self) -> tuple[list[_Waiting], list[str], list[str]] | None:
        """What to write next, or None."""
        batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        batch = [item for item in batch if item.state == "waiting"]
        finished, self._finished = self._finished, []
        renew, self._renew = self._renew, []
        return (batch, finished, renew) if batch or finished or renew else None

    @staticmethod
    def _decide(live: list[_Waiting]) -> Callable[[set[str]], list[str]]:
        def decide(_inserted: set[str]) -> list[str]:
            # The rows are written and the writer lock is ours: from here on a waiting request is
            # either committed with this transaction or was answered "busy" and is dropped from it.
            abandoned = []
            for item in live:
                if item.state == "abandoned":
                    abandoned.append(item.row["id"])
                else:
                    item.state = "committing"
            return abandoned

        return decide

    def _write_on_loop(self) -> None:
        """The SQLite writer: batch after batch, right here, until nothing is queued or another
        connection holds SQLite's writer lock (then again in a moment)."""
        self._scheduled = None
        lane = self.store.lane
        assert lane is not None
        while (work := self._next_batch()) is not None:
            batch, finished, renew = work
            now = self.now()
            lease_until = now + timedelta(seconds=self.lease_seconds)
            rows = [item.row for item in batch]
            try:
                inserted = lane.try_write(rows, self._decide(batch), finished, renew, now, lease_until)
            except Exception as exc:
                self._failed(batch, finished, renew, exc)
                for item in batch if len(batch) > 1 else []:  # one bad row must not cost the others
                    try:
                        one = lane.try_write([item.row], self._decide([item]), [], [], now, lease_until)
                    except Exception as single:
                        self._settle([item], None, single)
                    else:
                        self._settle([item], one, None if one is not None else exc)
                if len(batch) == 1:
                    self._settle(batch, None, exc)
                continue
            if inserted is None:  # the lock is taken: put it all back and try again shortly
                self._waiting[:0] = batch
                self._finished[:0] = finished
                self._renew[:0] = renew
                self._backoff = min(max(self._backoff * 2, 0.0005), 0.002)
                self._scheduled = asyncio.get_running_loop().call_later(self._backoff, self._write_on_loop)
                return
            self._backoff = 0.0
            self.batches += 1
            self._settle(batch, inserted, None)

    async def _write_forever(self) -> None:
        """The PostgreSQL writer: a task on the loop, batch after batch."""

        async def write(batch: list[_Waiting], finished: list[str], renew: list[str]) -> set[str]:
            rows = [i.row for i in batch]
            return await self.store.commit_batch(
                rows, self._decide(batch), finished, renew, self.lease_seconds
            )

        while True:
            await self._wake.wait()
            self._wake.clear()
            self._writing = True
            try:
                while (work := self._next_batch()) is not None:
                    batch, finished, renew = work
                    try:
                        inserted = await write(batch, finished, renew)
                    except Exception as exc:
                        self._failed(batch, finished, renew, exc)
                        for item in batch if len(batch) > 1 else []:  # one bad row must not cost the others
                            try:
                                self._settle([item], await write([item], [], []), None)
                            except Exception as single:
                                self._settle([item], None, single)
                        if len(batch) == 1:
                            self._settle(batch, None, exc)
                        continue
                    self.batches += 1
                    self._settle(batch, inserted, None)
            finally:
                self._writing = False

    def _failed(self, batch: list[_Waiting], finished: list[str], renew: list[str], exc: Exception) -> None:
        """A batch was not written: its rows may be tried one by one; done marks and renewals wait
        for the next housekeeping round (a database that is down must not make the writer spin)."""
        log.warning("the Slack inbox could not write %d request(s): %s", len(batch), exc)
        for item in batch:
            if item.state == "committing":
                item.state = "waiting"
        self._retry.extend(finished)
        self._retry.extend(renew)  # renewing a row that is done is a no-op

    def _settle(self, batch: list[_Waiting], inserted: set[str] | None, error: BaseException | None) -> None:
        """Tell each waiting request how its row fared."""
        for item in batch:
            if item.outcome.done() or item.state == "abandoned":  # answered busy already
                continue
            if error is not None or inserted is None:
                outcome: Outcome = BUSY  # not stored; the person is told so
                item.state = "abandoned"
            elif item.state != "committing":
                continue
            elif item.new.request_id in inserted:
                self._running[item.new.request_id] = time.monotonic()
                outcome = Taken(item.new.request_id, item.new.received_at)
            else:
                outcome = REPLAYED
            if item.timer is not None:
                item.timer.cancel()
            item.outcome.set_result(outcome)

    # -- leases and purging -----------------------------------------------------------------------

    def _start_housekeeping(self) -> None:
        if (self._housekeeping is None or self._housekeeping.done()) and not self._closing:
            self._housekeeping = asyncio.get_running_loop().create_task(
                self._keep_house(), name="slack-inbox-leases", context=contextvars.Context()
            )

    async def _keep_house(self) -> None:
        """Renew the leases of the rows running here; now and then forget old finished rows."""
        next_purge = time.monotonic() + 60  # not in the first burst after a start
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            renew = self._still_running()
            self._renew.extend(renew)
            retry, self._retry = self._retry, []
            self._finished.extend(i for i in retry if i not in self._running)
            if renew or retry:
                self._pump(urgent=False)
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + 600
                try:
                    async with self.store.transaction() as session:
                        await self.store.purge(session, KEEP_FINISHED)
                except Exception:  # housekeeping: the next round tries again
                    log.warning("could not purge finished Slack requests", exc_info=True)

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
