"""The job worker: claims jobs from the durable queue and runs their handlers.

One loop serves every kind of job (import, invoice push, change processing, polling). It runs
inside ``bxhours serve`` and alone as ``bxhours worker``; on PostgreSQL any number of them share the
queue. While a handler runs its lease is renewed, so only a worker that really died loses its job.

Each job that ran ends in one log line — ``job finished`` with ``kind``, ``tenant``, ``attempt``,
``outcome`` (done, retried, parked, superseded, lost), ``ms``, ``queued_ms`` and, for a job a Slack
request queued, that request's id — and, when ``on_job`` is set, a ``JobRun`` for the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.jobs import DONE, FAILED, QUEUED, ClaimedJob, JobQueue

log = logging.getLogger(__name__)

JobHandler = Callable[[ClaimedJob], Awaitable[dict[str, Any] | None]]


class PermanentJobError(Exception):
    """Retrying cannot help (bad payload, a definite refusal by bexio): park the job at once."""


DONE_OUTCOME, RETRIED, PARKED, SUPERSEDED, LOST = "done", "retried", "parked", "superseded", "lost"


@dataclass(frozen=True)
class JobRun:
    """How one run of a job ended, for whoever watches the worker (``Worker.on_job``)."""

    job: ClaimedJob
    outcome: str
    """done; retried (queued again with a backoff); parked (failed for good, an admin may retry);
    superseded (a newer job with the same key will redo it); lost (the lease went to another worker)."""
    seconds: float
    queued_seconds: float | None
    """From when the job was due to when this worker claimed it."""
    result: dict[str, Any] | None = None
    error: str | None = None


_STATUS_OUTCOME = {QUEUED: RETRIED, FAILED: PARKED, DONE: SUPERSEDED}


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        *,
        concurrency: int = 1,
        lease_seconds: float = 60.0,
        poll_interval: float = 0.5,
        worker_id: str | None = None,
    ) -> None:
        self.queue = queue
        self.handlers = dict(handlers)
        self.concurrency = max(1, concurrency)
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self.on_job: Callable[[JobRun], None] | None = None
        """Told how each job run ended (``bxhours.observe`` counts them)."""

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after an in-process enqueue)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then let jobs in flight finish."""
        log.info("worker %s started (concurrency %d)", self.worker_id, self.concurrency)
        try:
            while not stop.is_set():
                started = await self._fill_slots()
                if started:
                    continue
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                _done, _pending = await asyncio.wait(
                    waiters + list(self._running),
                    timeout=self.poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            log.info("worker %s stopped", self.worker_id)

    async def run_until_idle(self, max_jobs: int = 10_000) -> int:
        """Run due jobs one batch at a time until none is left (CLI commands and tests).

        Only kinds this worker has handlers for are claimed — everywhere, not only here: a one-shot
        command's worker (invoice pushes only) must not park the periodic poll jobs as "no
        handler", nor may an older release during a rolling upgrade. A job that re-enqueues itself
        with a delay is not due, so this returns instead of spinning on it.
        """
        executed = 0
        while executed < max_jobs:
            jobs = await self.queue.claim(
                self.worker_id,
                limit=self.concurrency,
                lease_seconds=self.lease_seconds,
                kinds=self.handlers,
            )
            if not jobs:
                return executed
            await asyncio.gather(*(self._execute(job) for job in jobs))
            executed += len(jobs)
        return executed

    async def _fill_slots(self) -> int:
        free = self.concurrency - len(self._running)
        if free <= 0:
            return 0
        try:
            jobs = await self.queue.claim(
                self.worker_id, limit=free, lease_seconds=self.lease_seconds, kinds=self.handlers
            )
        except Exception:
            log.exception("claiming jobs failed; retrying after the poll interval")
            return 0
        for job in jobs:
            task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(jobs)

    async def _execute(self, job: ClaimedJob) -> None:
        started = time.perf_counter()
        queued = (self.queue.now() - job.run_at).total_seconds() if job.run_at is not None else None
        handler = self.handlers.get(job.kind)
        if handler is None:
            error = f"no handler for job kind {job.kind!r}"
            status = await self.queue.fail(job.id, self.worker_id, error, permanent=True)
            self._ended(job, _STATUS_OUTCOME.get(status, LOST), started, queued, error=error)
            return
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        try:
            result = await handler(job)
        except PermanentJobError as exc:
            status = await self.queue.fail(job.id, self.worker_id, str(exc), permanent=True)
            self._ended(job, _STATUS_OUTCOME.get(status, LOST), started, queued, error=str(exc))
        except asyncio.CancelledError:
            # Shutdown: leave the lease to expire so another worker picks the job up again.
            raise
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %d", job.id, job.kind, job.attempts)
            error = f"{type(exc).__name__}: {exc}"
            status = await self.queue.fail(job.id, self.worker_id, error)
            self._ended(job, _STATUS_OUTCOME.get(status, LOST), started, queued, error=error)
        else:
            completed = await self.queue.complete(job.id, self.worker_id, result)
            self._ended(job, DONE_OUTCOME if completed else LOST, started, queued, result=result)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    def _ended(
        self,
        job: ClaimedJob,
        outcome: str,
        started: float,
        queued: float | None,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """One line per job run (and the metrics, when watched): what ran, for whom, how it ended."""
        run = JobRun(job, outcome, time.perf_counter() - started, queued, result, error)
        fields: dict[str, Any] = {
            "job": job.id,
            "kind": job.kind,
            "tenant": job.tenant_id,
            "attempt": job.attempts,
            "outcome": outcome,
            "ms": round(run.seconds * 1000, 1),
        }
        if queued is not None:
            fields["queued_ms"] = round(max(0.0, queued) * 1000, 1)
        if job.request_id is not None:
            fields["request"] = job.request_id
        if error is not None:
            fields["error"] = error[:300]
        level = logging.INFO if outcome in (DONE_OUTCOME, SUPERSEDED) else logging.WARNING
        log.log(level, "job finished", extra=fields)
        if self.on_job is not None:
            try:
                self.on_job(run)
            except Exception:
                log.warning("the job observer failed", exc_info=True)

    async def _heartbeat(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not await self.queue.extend_lease(job_id, self.worker_id, self.lease_seconds):
                log.warning("job %s: lease lost while running", job_id)
                return
