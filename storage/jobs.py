"""The durable job queue: one table, one enqueue, one claim with a lease.

Import, invoice pushes, change processing and polling all run through it, so a restart never loses
work in flight. A claim takes a lease; a worker that dies simply lets the lease expire and another
worker picks the job up again — which is why every job handler must be idempotent.

Claiming is a single ``UPDATE … RETURNING`` statement on both databases. On PostgreSQL its
sub-select uses ``FOR UPDATE SKIP LOCKED`` so any number of workers share the table without
blocking each other; SQLite serialises writers anyway, so there one worker process runs.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.inbox import current_request
from storage.models import Job

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
REQUEST_KEY = "request_id"
"""The payload key naming the Slack request (its inbox row) that queued a job, when one did: the
request's log line and its jobs' lines carry the same ``request=`` id."""
_PENDING_DEDUP = text("status = 'queued' AND dedup_key IS NOT NULL")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewJob:
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None


@dataclass(frozen=True)
class Debounce:
    """Let a burst about one entity settle before its job runs.

    A keyed job that merges into a queued one pushes that job's start to ``quiet`` seconds after
    the newest notification — but never more than ``max_wait`` seconds after the first, so a
    steady stream cannot starve it. A burst about 50 contacts is then 50 re-reads, not one per
    notification that arrives while a re-read is already running.
    """

    quiet: float
    max_wait: float


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    tenant_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    dedup_key: str | None
    run_at: datetime | None = None
    """When the job became due: its time in the queue is the claim's time minus this."""

    @property
    def request_id(self) -> str | None:
        """The Slack request that queued the job (``REQUEST_KEY``), if one did."""
        value = self.payload.get(REQUEST_KEY) if isinstance(self.payload, dict) else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class JobCounts:
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0


class JobQueue:
    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime] = utcnow,
        *,
        base_backoff: float = 5.0,
        max_backoff: float = 3600.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.now = now
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self._jitter = jitter
        self._next_sweep: datetime | None = None
        self._insert: Any = None
        self._debounced: Any = None

    # -- enqueue ---------------------------------------------------------------------------

    async def enqueue(
        self,
        tenant_id: int,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        dedup_key: str | None = None,
        delay: float = 0.0,
        max_attempts: int = 8,
        session: AsyncSession | None = None,
    ) -> int:
        """Queue a job and return its id.

        With a ``dedup_key``, a job that is still queued under the same key absorbs this one and its
        id is returned instead: a burst of notifications about one entity becomes one job. Pass
        ``session`` to enqueue inside the caller's transaction (the job exists iff the caller commits).
        """
        ids = await self.enqueue_many(
            tenant_id,
            [NewJob(kind, payload or {}, dedup_key)],
            delay=delay,
            max_attempts=max_attempts,
            session=session,
        )
        return ids[0]

    async def enqueue_many(
        self,
        tenant_id: int,
        jobs: Sequence[NewJob],
        *,
        delay: float = 0.0,
        max_attempts: int = 8,
        session: AsyncSession | None = None,
        debounce: Debounce | None = None,
    ) -> list[int]:
        """Queue many jobs in one statement (the webhook endpoint batches its writes this way).

        With ``debounce`` the jobs wait ``debounce.quiet`` seconds (instead of ``delay``), and each
        later merge pushes that start again, up to ``debounce.max_wait`` after the job was queued.
        """
        if not jobs:
            return []
        if session is None:
            async with self.db.system_session() as own:
                return await self._enqueue(own, tenant_id, jobs, delay, max_attempts, debounce)
        return await self._enqueue(session, tenant_id, jobs, delay, max_attempts, debounce)

    async def _enqueue(
        self,
        session: AsyncSession,
        tenant_id: int,
        jobs: Sequence[NewJob],
        delay: float,
        max_attempts: int,
        debounce: Debounce | None,
    ) -> list[int]:
        now = self.now()
        run_at = now + timedelta(seconds=debounce.quiet if debounce is not None else delay)
        request = current_request.get()
        # Duplicate keys inside one batch collapse before they reach the database.
        unique: dict[object, NewJob] = {}
        for job in jobs:
            unique.setdefault(job.dedup_key if job.dedup_key is not None else object(), job)
        rows = [
            {
                "tenant_id": tenant_id,
                "kind": job.kind,
                "payload": job.payload if request is None else {REQUEST_KEY: request.id, **job.payload},
                "dedup_key": job.dedup_key,
                "status": QUEUED,
                "attempts": 0,
                "max_attempts": max_attempts,
                "run_at": run_at,
                "created_at": now,
                "updated_at": now,
            }
            for job in unique.values()
        ]
        if debounce is None:
            inserted = (await session.execute(self._insert_statement(), rows)).all()
        else:
            cutoff = now - timedelta(seconds=debounce.max_wait)
            for row in rows:
                row["debounce_cutoff"] = cutoff
            inserted = (await session.execute(self._debounced_statement(), rows)).all()
        # A merged job answers with its own id (the upsert touches its updated_at), so every keyed
        # job has a row here and no second query is needed.
        by_key = {key: job_id for job_id, key in inserted if key is not None}
        # ids of one statement are assigned in row order; RETURNING does not promise to keep it.
        anonymous = iter(sorted(job_id for job_id, key in inserted if key is None))
        result: list[int] = []
        for job in jobs:
            if job.dedup_key is None:
                result.append(next(anonymous))
            else:
                result.append(by_key.get(job.dedup_key, 0))
        return result

    def _debounced_statement(self) -> Any:
        """As ``_insert_statement``, but a merge moves the queued job's start to this one's, as long
        as the queued job is younger than the cut-off (its first notification plus ``max_wait``)."""
        if self._debounced is None:
            table = cast(Table, Job.__table__)
            insert = postgresql.insert(table) if self.db.is_postgres else sqlite.insert(table)
            settling = table.c.created_at >= bindparam("debounce_cutoff", type_=table.c.created_at.type)
            self._debounced = insert.on_conflict_do_update(
                index_elements=["tenant_id", "dedup_key"],
                index_where=_PENDING_DEDUP,
                set_={
                    "updated_at": insert.excluded.updated_at,
                    "run_at": case((settling, insert.excluded.run_at), else_=table.c.run_at),
                },
            ).returning(table.c.id, table.c.dedup_key)
        return self._debounced

    def _insert_statement(self) -> Any:
        """One statement for every batch size, executed with a list of rows (``executemany``).

        A multi-row ``VALUES`` differs per row count and SQLAlchemy compiles it on every call,
        which cost more CPU than the database work under a webhook flood; this one is compiled once
        and cached. ``ON CONFLICT DO UPDATE`` (not ``DO NOTHING``) so a job merged into an already
        queued one still returns that job's id.
        """
        if self._insert is None:
            table = cast(Table, Job.__table__)
            insert = postgresql.insert(table) if self.db.is_postgres else sqlite.insert(table)
            self._insert = insert.on_conflict_do_update(
                index_elements=["tenant_id", "dedup_key"],
                index_where=_PENDING_DEDUP,
                set_={"updated_at": insert.excluded.updated_at},
            ).returning(table.c.id, table.c.dedup_key)
        return self._insert

    # -- claim and finish ------------------------------------------------------------------

    async def claim(
        self,
        worker_id: str,
        *,
        limit: int = 1,
        lease_seconds: float = 60.0,
        kinds: Iterable[str] | None = None,
    ) -> list[ClaimedJob]:
        """Take up to ``limit`` due jobs (or jobs whose lease expired) for ``worker_id``."""
        now = self.now()
        async with self.db.system_session() as session:
            if self._next_sweep is None or now >= self._next_sweep:
                await self._park_exhausted(session, now)
                self._next_sweep = now + timedelta(seconds=5)
            due = or_(
                and_(Job.status == QUEUED, Job.run_at <= now),
                and_(Job.status == RUNNING, Job.lease_until < now, Job.attempts < Job.max_attempts),
            )
            candidates = select(Job.id).where(due).order_by(Job.run_at, Job.id).limit(limit)
            if kinds is not None:
                candidates = candidates.where(Job.kind.in_(list(kinds)))
            if self.db.is_postgres:
                candidates = candidates.with_for_update(skip_locked=True)
            stmt = (
                update(Job)
                .where(Job.id.in_(candidates.scalar_subquery()))
                .values(
                    status=RUNNING,
                    attempts=Job.attempts + 1,
                    locked_by=worker_id,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    updated_at=now,
                )
                .returning(
                    Job.id,
                    Job.tenant_id,
                    Job.kind,
                    Job.payload,
                    Job.attempts,
                    Job.max_attempts,
                    Job.dedup_key,
                    Job.run_at,
                )
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(stmt)).all()
        return [ClaimedJob(*row) for row in sorted(rows, key=lambda r: r[0])]

    async def _park_exhausted(self, session: AsyncSession, now: datetime) -> None:
        """A job whose worker died on its last attempt would otherwise stay 'running' forever."""
        await session.execute(
            update(Job)
            .where(Job.status == RUNNING, Job.lease_until < now, Job.attempts >= Job.max_attempts)
            .values(
                status=FAILED,
                last_error=func.coalesce(
                    Job.last_error, "worker lost the job (lease expired) on its last attempt"
                ),
                finished_at=now,
                updated_at=now,
                locked_by=None,
            )
            .execution_options(synchronize_session=False)
        )

    async def extend_lease(self, job_id: int, worker_id: str, lease_seconds: float = 60.0) -> bool:
        now = self.now()
        async with self.db.system_session() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == RUNNING)
                .values(lease_until=now + timedelta(seconds=lease_seconds), updated_at=now)
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def complete(self, job_id: int, worker_id: str, result: dict[str, Any] | None = None) -> bool:
        """Mark done; False if the lease was lost meanwhile (another worker owns the job now)."""
        now = self.now()
        async with self.db.system_session() as session:
            res = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == RUNNING)
                .values(status=DONE, result=result, finished_at=now, updated_at=now, lease_until=None)
                .execution_options(synchronize_session=False)
            )
        if not res.rowcount:  # type: ignore[attr-defined]
            log.warning("job %s finished by %s after its lease was lost", job_id, worker_id)
            return False
        return True

    async def fail(self, job_id: int, worker_id: str, error: str, *, permanent: bool = False) -> str:
        """Record a failure: retry later with exponential backoff, or park the job. Returns the new status."""
        now = self.now()
        async with self.db.system_session() as session:
            job = await session.get(Job, job_id, with_for_update=self.db.is_postgres)
            if job is None or job.locked_by != worker_id or job.status != RUNNING:
                log.warning("job %s failed in %s after its lease was lost: %s", job_id, worker_id, error)
                return job.status if job else "missing"
            common = {"last_error": error[:4000], "updated_at": now, "locked_by": None, "lease_until": None}
            if permanent or job.attempts >= job.max_attempts:
                await self._set(session, job_id, status=FAILED, finished_at=now, **common)
                return FAILED
            run_at = now + timedelta(seconds=self.backoff(job.attempts))
            try:
                async with session.begin_nested():
                    await self._set(session, job_id, status=QUEUED, run_at=run_at, **common)
            except IntegrityError:
                # A newer job with the same key is already queued; it will redo this work.
                await self._set(
                    session, job_id, status=DONE, finished_at=now, result={"superseded": True}, **common
                )
                return DONE
            return QUEUED

    @staticmethod
    async def _set(session: AsyncSession, job_id: int, **values: Any) -> None:
        await session.execute(
            update(Job).where(Job.id == job_id).values(**values).execution_options(synchronize_session=False)
        )

    def backoff(self, attempts: int) -> float:
        delay: float = min(self.max_backoff, self.base_backoff * 2 ** max(0, attempts - 1))
        return delay * (0.5 + self._jitter() / 2)

    # -- inspection -------------------------------------------------------------------------

    async def get(self, job_id: int) -> Job | None:
        async with self.db.system_session() as session:
            return await session.get(Job, job_id)

    async def counts(self, tenant_id: int) -> JobCounts:
        async with self.db.system_session() as session:
            rows = await session.execute(
                select(Job.status, func.count()).where(Job.tenant_id == tenant_id).group_by(Job.status)
            )
            return JobCounts(**{status: count for status, count in rows.all()})

    async def parked(self, tenant_id: int, limit: int = 20) -> list[Job]:
        async with self.db.system_session() as session:
            rows = await session.scalars(
                select(Job)
                .where(Job.tenant_id == tenant_id, Job.status == FAILED)
                .order_by(Job.finished_at.desc())
                .limit(limit)
            )
            return list(rows)

    async def active(self, tenant_id: int, kind: str) -> Job | None:
        """The queued or running job of this kind, if any (e.g. an import already under way)."""
        async with self.db.system_session() as session:
            return await session.scalar(
                select(Job)
                .where(Job.tenant_id == tenant_id, Job.kind == kind, Job.status.in_([QUEUED, RUNNING]))
                .order_by(Job.id)
                .limit(1)
            )

    async def cancel_queued(self, tenant_id: int) -> int:
        """Drop a tenant's queued jobs (its app was uninstalled): nothing more runs for it."""
        async with self.db.system_session() as session:
            result = await session.execute(
                delete(Job).where(Job.tenant_id == tenant_id, Job.status == QUEUED)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def retry(self, tenant_id: int, job_id: int) -> bool:
        """Put a parked job back in the queue (the retry button for admins)."""
        now = self.now()
        async with self.db.system_session() as session:
            job = await session.get(Job, job_id)
            if job is None or job.tenant_id != tenant_id or job.status != FAILED:
                return False
            try:
                async with session.begin_nested():
                    await self._set(
                        session,
                        job_id,
                        status=QUEUED,
                        attempts=0,
                        run_at=now,
                        updated_at=now,
                        finished_at=None,
                    )
            except IntegrityError:
                await self._set(session, job_id, status=DONE, result={"superseded": True}, updated_at=now)
            return True
