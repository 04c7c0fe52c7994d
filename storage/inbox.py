"""The Slack inbox table: requests written down before they are acknowledged, and the guard that
makes their work happen once.

``bot.inbox`` decides what goes in and when; this module is the database side:

* ``InboxStore`` inserts rows (a replayed ``replay_key`` is skipped by the database, so two
  processes cannot both take the same request), marks them done, renews the lease of rows a
  process works on, and claims rows whose lease lapsed (their process died) for a re-run.
* The **apply guard**: while a request runs, ``current_request`` names its row. The first
  transaction of that run which writes anything also sets the row's ``applied_at`` — in the same
  transaction. A re-run of a request whose write was committed before a crash finds
  ``applied_at`` set and its transaction is rolled back with ``AlreadyApplied``: a request's writes
  are committed once, whatever happens to the process between them and the answer.

The guard sits on SQLAlchemy's session events, so services need not know about it: every
``Database.session`` and ``system_session`` is covered.
"""

from __future__ import annotations

import contextvars
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, event, make_url, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from storage.db import Database
from storage.models import BexioConnection, SlackRequest

PENDING, DONE, FAILED = "pending", "done", "failed"


def utcnow() -> datetime:
    return datetime.now(UTC)


class AlreadyApplied(Exception):
    """This request's write was committed by an earlier run (before a restart): nothing was written now."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(f"request {request_id} was applied by an earlier run")


@dataclass
class RequestRun:
    """One run of one inbox row in this process."""

    id: str
    applied: bool = False
    """A transaction of this run committed a write (the row's ``applied_at`` is this run's)."""


current_request: contextvars.ContextVar[RequestRun | None] = contextvars.ContextVar(
    "bxhours_slack_request", default=None
)
"""The inbox row the running code works for; tasks started meanwhile inherit it."""

# Writes that are no part of what a person asked for: the inbox itself, and a bexio token refresh.
_INCIDENTAL = frozenset({SlackRequest.__tablename__, BexioConnection.__tablename__})
_WROTE = "bxhours_inbox_wrote"
_CLAIMED = "bxhours_inbox_claimed"


@dataclass(frozen=True)
class ClaimedRequest:
    id: str
    tenant_id: int
    kind: str
    name: str | None
    user_id: str | None
    content_type: str
    body: str
    attempts: int
    received_at: datetime


Decide = Callable[[set[str]], Sequence[str]]
"""Called between writing a batch's rows and committing them, with the ids written (a replayed key
is skipped); returns the ids to take out again before the commit. Called on another thread on
SQLite: it must be thread-safe."""


class InboxStore:
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.now = now
        self._insert: Any = None
        self.lane = SqliteLane(db.url) if db.is_sqlite and ":memory:" not in db.url else None
        """On SQLite, the inbox's own connection, written on the loop (``bot.inbox``)."""

    async def commit_batch(
        self,
        rows: Sequence[dict[str, Any]],
        decide: Decide,
        finished: Sequence[str],
        renew: Sequence[str],
        lease_seconds: float,
    ) -> set[str]:
        """One transaction: insert ``rows`` (skipping replayed keys), drop what ``decide`` says, mark
        ``finished`` done and renew the lease of ``renew``. Returns the ids inserted and kept.
        (On SQLite, ``lane.try_write`` does the same without an await.)"""
        async with self.transaction() as session:
            inserted = await self.insert(session, rows)
            dropped = [i for i in decide(inserted) if i in inserted]
            await self.drop(session, dropped)
            await self.finish(session, finished)
            await self.renew(session, renew, lease_seconds)
        return inserted - set(dropped)

    async def close(self) -> None:
        if self.lane is not None:
            await self.lane.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.db.system_session() as session:
            yield session

    async def insert(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert rows (keys as ``SlackRequest``'s columns); returns the ids inserted. A row whose
        ``replay_key`` exists already is skipped: that request was taken before."""
        if not rows:
            return set()
        result = await session.execute(self._insert_statement(), list(rows))
        return {row[0] for row in result.all()}

    async def drop(self, session: AsyncSession, ids: Sequence[str]) -> None:
        """Take rows out again inside the inserting transaction (their requests were answered "busy")."""
        if ids:
            await session.execute(
                delete(SlackRequest)
                .where(SlackRequest.id.in_(list(ids)))
                .execution_options(synchronize_session=False)
            )

    async def finish(self, session: AsyncSession, ids: Sequence[str], status: str = DONE) -> None:
        if ids:
            await session.execute(
                update(SlackRequest)
                .where(SlackRequest.id.in_(list(ids)), SlackRequest.status == PENDING)
                .values(status=status, finished_at=self.now(), lease_until=None)
                .execution_options(synchronize_session=False)
            )

    async def renew(self, session: AsyncSession, ids: Sequence[str], seconds: float) -> None:
        if ids:
            await session.execute(
                update(SlackRequest)
                .where(SlackRequest.id.in_(list(ids)), SlackRequest.status == PENDING)
                .values(lease_until=self.now() + timedelta(seconds=seconds))
                .execution_options(synchronize_session=False)
            )

    async def purge(self, session: AsyncSession, older_than: timedelta) -> None:
        """Forget finished requests: a replay older than Slack's 5 minutes is refused by its timestamp."""
        await session.execute(
            delete(SlackRequest)
            .where(SlackRequest.status != PENDING, SlackRequest.received_at < self.now() - older_than)
            .execution_options(synchronize_session=False)
        )

    async def claim_lapsed(self, limit: int, lease_seconds: float) -> list[ClaimedRequest]:
        """Take pending rows whose lease lapsed (their process died) for a re-run here."""
        now = self.now()
        async with self.db.system_session() as session:
            candidates = (
                select(SlackRequest.id)
                .where(SlackRequest.status == PENDING, SlackRequest.lease_until < now)
                .order_by(SlackRequest.received_at)
                .limit(limit)
            )
            if self.db.is_postgres:
                candidates = candidates.with_for_update(skip_locked=True)
            stmt = (
                update(SlackRequest)
                .where(SlackRequest.id.in_(candidates.scalar_subquery()))
                .values(
                    attempts=SlackRequest.attempts + 1,
                    lease_until=now + timedelta(seconds=lease_seconds),
                )
                .returning(
                    SlackRequest.id,
                    SlackRequest.tenant_id,
                    SlackRequest.kind,
                    SlackRequest.name,
                    SlackRequest.user_id,
                    SlackRequest.content_type,
                    SlackRequest.body,
                    SlackRequest.attempts,
                    SlackRequest.received_at,
                )
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(stmt)).all()
        return [ClaimedRequest(*row) for row in sorted(rows, key=lambda r: r.received_at)]

    async def status(self, request_id: str) -> str | None:
        async with self.db.system_session() as session:
            found = await session.scalar(select(SlackRequest.status).where(SlackRequest.id == request_id))
        return None if found is None else str(found)

    def _insert_statement(self) -> Any:
        """Compiled once; executed with a list of rows (``executemany``), as the job queue does."""
        if self._insert is None:
            table = cast(Table, SlackRequest.__table__)
            insert = postgresql.insert(table) if self.db.is_postgres else sqlite.insert(table)
            self._insert = insert.on_conflict_do_nothing(index_elements=["replay_key"]).returning(table.c.id)
        return self._insert


class SqliteLane:
    """The inbox's own SQLite connection, written on the event loop itself, never waiting.

    A small batch commits in a fraction of a millisecond in WAL mode (no fsync before a
    checkpoint). Through SQLAlchemy's async driver the same commit took several turns of the event
    loop, and on a thread of its own every statement waited for the interpreter lock the busy loop
    held — under a burst either way cost milliseconds per batch, a large part of the whole
    acknowledgement (issue 12 §9, bench/ack_latency.py). So ``try_write`` runs synchronously: it
    takes SQLite's writer lock without waiting (``BEGIN IMMEDIATE`` with ``busy_timeout`` 0) and
    returns None when another connection holds it — an import's transaction, a handler's write —
    and ``bot.inbox`` tries again a moment later. It never checkpoints (the other connections do),
    so it never copies the log back into the database while the loop waits.
    """

    _COLUMNS = (
        "id", "tenant_id", "replay_key", "kind", "name", "user_id", "content_type", "body",
        "status", "attempts", "received_at", "lease_until", "applied_at", "finished_at",
    )  # fmt: skip
    _MAX_ROWS = 999 // 14  # within the smallest limit of bound parameters SQLite builds have had

    def __init__(self, url: str) -> None:
        self.path = make_url(url).database or ""
        self._conn: sqlite3.Connection | None = None
        self._inserts: dict[int, str] = {}  # the statement for n rows

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=0")  # never wait on the loop: see try_write
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
        return self._conn

    def try_write(
        self,
        rows: list[dict[str, Any]],
        decide: Decide,
        finished: list[str],
        renew: list[str],
        now: datetime,
        lease_until: datetime,
    ) -> set[str] | None:
        """As ``InboxStore.commit_batch``; None (nothing done) when SQLite's writer lock is taken."""
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise
        try:
            inserted: set[str] = set()
            for start in range(0, len(rows), self._MAX_ROWS):
                chunk = rows[start : start + self._MAX_ROWS]
                params = [_sqlite_value(row[c]) for row in chunk for c in self._COLUMNS]
                found = conn.execute(self._insert(len(chunk)), params).fetchall()
                inserted.update(request_id for (request_id,) in found)
            dropped = [i for i in decide(inserted) if i in inserted]
            for ids, statement, extra in (
                (dropped, "DELETE FROM slack_requests WHERE id IN ({})", []),
                (
                    finished,
                    "UPDATE slack_requests SET status = ?, finished_at = ?, lease_until = NULL "
                    "WHERE status = ? AND id IN ({})",
                    [DONE, _sqlite_value(now), PENDING],
                ),
                (
                    renew,
                    "UPDATE slack_requests SET lease_until = ? WHERE status = ? AND id IN ({})",
                    [_sqlite_value(lease_until), PENDING],
                ),
            ):
                for start in range(0, len(ids), 500):
                    chunk_ids = ids[start : start + 500]
                    conn.execute(statement.format(", ".join("?" for _ in chunk_ids)), [*extra, *chunk_ids])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return inserted - set(dropped)

    def _insert(self, rows: int) -> str:
        if rows not in self._inserts:
            values = ", ".join(f"({', '.join('?' for _ in self._COLUMNS)})" for _ in range(rows))
            self._inserts[rows] = (
                f"INSERT INTO slack_requests ({', '.join(self._COLUMNS)}) VALUES {values} "  # noqa: S608 - our columns; values bound
                "ON CONFLICT (replay_key) DO NOTHING RETURNING id"
            )
        return self._inserts[rows]

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy stores on SQLite for a ``UTCDateTime``: naive UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


# -- the apply guard ---------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _note_flushed_writes(session: Session, _ctx: Any, _instances: Any) -> None:
    if current_request.get() is None or session.info.get(_WROTE):
        return
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    if any(getattr(type(obj), "__tablename__", None) not in _INCIDENTAL for obj in changed):
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement_writes(state: ORMExecuteState) -> None:
    if current_request.get() is None or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in _INCIDENTAL:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "before_commit")
def _claim_the_request(session: Session) -> None:
    """The first writing transaction of a request also marks its inbox row applied — or finds that an
    earlier run did, and refuses to commit a second time."""
    run = current_request.get()
    if run is None or run.applied or not session.info.pop(_WROTE, False):
        return
    # On the session's connection, not through the ORM: this is bookkeeping, no part of the
    # request's own change (ORM listeners that describe what a request changed must not see it).
    table = cast(Table, SlackRequest.__table__)
    result = session.connection().execute(
        update(table).where(table.c.id == run.id, table.c.applied_at.is_(None)).values(applied_at=utcnow())
    )
    if getattr(result, "rowcount", 0) == 0:
        raise AlreadyApplied(run.id)
    session.info[_CLAIMED] = run


@event.listens_for(Session, "after_commit")
def _claimed(session: Session) -> None:
    run = session.info.pop(_CLAIMED, None)
    if run is not None:
        run.applied = True


@event.listens_for(Session, "after_rollback")
def _not_claimed(session: Session) -> None:
    session.info.pop(_CLAIMED, None)
    session.info.pop(_WROTE, None)
