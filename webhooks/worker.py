"""The job worker: claims jobs from the durable queue and runs their handlers.

One loop serves every kind of job (import, invoice push, change processing, polling). It runs
inside ``bxhours serve`` and alone as ``bxhours worker``; on PostgreSQL any number of them share the
queue. While a handler runs its lease is renewed, so only a worker that really died loses its job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from storage.jobs import ClaimedJob, JobQueue

log = logging.getLogger(__name__)

JobHandler = Callable[[ClaimedJob], Awaitable[dict[str, Any] | None]]


class PermanentJobError(Exception):
    """Retrying cannot help (bad payload, a definite refusal by bexio): park the job at once."""


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
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self.queue.fail(
                job.id, self.worker_id, f"no handler for job kind {job.kind!r}", permanent=True
            )
            return
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        try:
            result = await handler(job)
        except PermanentJobError as exc:
            log.warning("job %s (%s) failed permanently: %s", job.id, job.kind, exc)
            await self.queue.fail(job.id, self.worker_id, str(exc), permanent=True)
        except asyncio.CancelledError:
            # Shutdown: leave the lease to expire so another worker picks the job up again.
            raise
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %d", job.id, job.kind, job.attempts)
            status = await self.queue.fail(job.id, self.worker_id, f"{type(exc).__name__}: {exc}")
            log.info("job %s is now %s", job.id, status)
        else:
            await self.queue.complete(job.id, self.worker_id, result)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not await self.queue.extend_lease(job_id, self.worker_id, self.lease_seconds):
                log.warning("job %s: lease lost while running", job_id)
                return
