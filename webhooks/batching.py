"""Group commit for the webhook endpoint: many concurrent notifications, one durable write.

A 202 may only be sent once the notification is safely in the job queue, but one transaction per
request would cap throughput at the database's commit rate. Requests therefore hand their jobs to this
writer and wait; it drains whatever has arrived meanwhile and writes it in one ``enqueue_many`` per
tenant, so commits are shared under load and latency stays one commit when idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from storage.jobs import Debounce, JobQueue, NewJob

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    tenant_id: int
    jobs: list[NewJob]
    done: asyncio.Future[list[int]]


class BatchingEnqueuer:
    def __init__(
        self,
        queue: JobQueue,
        *,
        max_batch: int = 2000,
        on_enqueued: Callable[[], None] | None = None,
        debounce: Debounce | None = None,
    ) -> None:
        self.queue = queue
        self.debounce = debounce
        self.max_batch = max_batch
        self.on_enqueued = on_enqueued
        self._inbox: asyncio.Queue[_Pending] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._wake_timer: asyncio.TimerHandle | None = None
        self.batches = 0  # how many durable writes were made (for the benchmark)

    async def submit(self, tenant_id: int, jobs: list[NewJob]) -> list[int]:
        """Queue the jobs durably; returns their ids once committed."""
        if self._inbox is None or self._writer is None or self._writer.done():
            self._inbox = asyncio.Queue()
            self._writer = asyncio.create_task(self._write_loop(self._inbox), name="webhook-batch-writer")
        done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        await self._inbox.put(_Pending(tenant_id, jobs, done))
        return await done

    async def close(self) -> None:
        if self._wake_timer is not None:
            self._wake_timer.cancel()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def _write_loop(self, inbox: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await inbox.get()]
            size = len(batch[0].jobs)
            while size < self.max_batch and not inbox.empty():
                item = inbox.get_nowait()
                batch.append(item)
                size += len(item.jobs)
            await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        by_tenant: dict[int, list[_Pending]] = defaultdict(list)
        for item in batch:
            by_tenant[item.tenant_id].append(item)
        for tenant_id, items in by_tenant.items():
            jobs = [job for item in items for job in item.jobs]
            try:
                ids = await self.queue.enqueue_many(tenant_id, jobs, debounce=self.debounce)
            except Exception as exc:
                log.exception("could not queue %d change notifications", len(jobs))
                for item in items:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            self.batches += 1
            offset = 0
            for item in items:
                if not item.done.done():
                    item.done.set_result(ids[offset : offset + len(item.jobs)])
                offset += len(item.jobs)
        self._wake_worker()

    def _wake_worker(self) -> None:
        """Tell the in-process worker there is work — when it is due. Debounced jobs are not due for
        ``quiet`` seconds: waking the worker after every group commit of a flood only made it ask the
        database for due jobs again and again, competing with the flood for the same two cores."""
        if self.on_enqueued is None:
            return
        if self.debounce is None:
            self.on_enqueued()
        elif self._wake_timer is None:
            self._wake_timer = asyncio.get_running_loop().call_later(self.debounce.quiet, self._wake_due)

    def _wake_due(self) -> None:
        self._wake_timer = None
        if self.on_enqueued is not None:
            self.on_enqueued()
