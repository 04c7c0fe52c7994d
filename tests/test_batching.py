"""The webhook's group commit: many requests, one durable write, and a worker woken when work is due."""

from __future__ import annotations

import asyncio

from storage.db import Database
from storage.jobs import Debounce, JobQueue, NewJob
from storage.tenants import TenantRepository
from webhooks.batching import BatchingEnqueuer


async def test_concurrent_submissions_share_writes_and_keep_their_ids(db: Database) -> None:
    tenant = await TenantRepository(db).ensure("T0BATCH", "Acme")
    enqueuer = BatchingEnqueuer(JobQueue(db))
    try:
        answers = await asyncio.gather(
            *(
                enqueuer.submit(tenant.id, [NewJob("change.process", {"n": n}, f"contact:{n % 5}")])
                for n in range(50)
            )
        )
    finally:
        await enqueuer.close()
    assert enqueuer.batches < 50  # requests that arrived together were written together
    by_key: dict[str, set[int]] = {}
    for n, ids in enumerate(answers):
        by_key.setdefault(f"contact:{n % 5}", set()).update(ids)
    assert all(len(ids) == 1 for ids in by_key.values())  # one job per entity, each answer its id
    assert len({next(iter(ids)) for ids in by_key.values()}) == 5


async def test_debounced_jobs_wake_the_worker_once_when_due_not_after_every_write(db: Database) -> None:
    tenant = await TenantRepository(db).ensure("T0BATCH", "Acme")
    wakes: list[float] = []
    loop = asyncio.get_running_loop()
    enqueuer = BatchingEnqueuer(
        JobQueue(db), on_enqueued=lambda: wakes.append(loop.time()), debounce=Debounce(quiet=0.3, max_wait=5)
    )
    started = loop.time()
    try:
        for n in range(10):  # ten separate writes within the quiet period
            await enqueuer.submit(tenant.id, [NewJob("change.process", {"n": n}, "contact:1")])
        assert wakes == []
        await asyncio.sleep(0.5)
    finally:
        await enqueuer.close()
    assert len(wakes) == 1 and wakes[0] - started >= 0.3
    plain: list[int] = []
    enqueuer = BatchingEnqueuer(JobQueue(db), on_enqueued=lambda: plain.append(1))
    try:
        await enqueuer.submit(tenant.id, [NewJob("system.ping")])
    finally:
        await enqueuer.close()
    assert plain == [1]  # due at once: woken at once
