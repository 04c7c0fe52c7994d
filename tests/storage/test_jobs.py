"""The durable job queue on both databases: claims, leases, retries, parking and coalescing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.jobs import DONE, FAILED, QUEUED, RUNNING, Debounce, JobQueue, NewJob
from storage.tenants import TenantRepository


class Clock:
    def __init__(self) -> None:
        self.value = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tenant_id(db: Database, clock: Clock) -> int:
    tenant = await TenantRepository(db, clock.now).ensure("T0001", "Acme")
    return tenant.id


@pytest.fixture
def queue(db: Database, clock: Clock) -> JobQueue:
    return JobQueue(db, clock.now, base_backoff=10, jitter=lambda: 1.0)


async def test_claim_runs_each_job_once(queue: JobQueue, tenant_id: int) -> None:
    first = await queue.enqueue(tenant_id, "system.ping", {"n": 1})
    second = await queue.enqueue(tenant_id, "system.ping", {"n": 2})
    claimed = await queue.claim("w1", limit=5)
    assert [job.id for job in claimed] == [first, second]
    assert claimed[0].payload == {"n": 1}
    assert claimed[0].attempts == 1
    assert await queue.claim("w2", limit=5) == []
    assert await queue.complete(first, "w1", {"ok": True})
    job = await queue.get(first)
    assert job is not None and job.status == DONE and job.result == {"ok": True}


async def test_future_jobs_wait_for_their_time(queue: JobQueue, tenant_id: int, clock: Clock) -> None:
    await queue.enqueue(tenant_id, "system.ping", delay=60)
    assert await queue.claim("w1") == []
    clock.advance(61)
    assert len(await queue.claim("w1")) == 1


async def test_expired_lease_is_claimed_again(queue: JobQueue, tenant_id: int, clock: Clock) -> None:
    job_id = await queue.enqueue(tenant_id, "system.ping")
    assert [j.id for j in await queue.claim("dead-worker", lease_seconds=30)] == [job_id]
    clock.advance(10)
    assert await queue.claim("w2") == []  # still leased
    clock.advance(25)
    again = await queue.claim("w2")
    assert [j.id for j in again] == [job_id]
    assert again[0].attempts == 2
    # The dead worker coming back must not be able to finish a job it no longer owns.
    assert not await queue.complete(job_id, "dead-worker")
    assert await queue.complete(job_id, "w2")


async def test_failures_back_off_then_park(queue: JobQueue, tenant_id: int, clock: Clock) -> None:
    job_id = await queue.enqueue(tenant_id, "system.ping", max_attempts=3)
    await queue.claim("w")
    assert await queue.fail(job_id, "w", "boom 1") == QUEUED
    assert await queue.claim("w") == []
    clock.advance(10)  # base_backoff * 2**0 with jitter 1.0
    await queue.claim("w")
    assert await queue.fail(job_id, "w", "boom 2") == QUEUED
    clock.advance(19)
    assert await queue.claim("w") == []
    clock.advance(2)
    await queue.claim("w")
    assert await queue.fail(job_id, "w", "boom 3") == FAILED
    parked = await queue.parked(tenant_id)
    assert [(j.id, j.last_error) for j in parked] == [(job_id, "boom 3")]
    assert (await queue.counts(tenant_id)).failed == 1
    assert await queue.retry(tenant_id, job_id)
    assert [j.id for j in await queue.claim("w")] == [job_id]


async def test_permanent_failure_parks_at_once(queue: JobQueue, tenant_id: int) -> None:
    job_id = await queue.enqueue(tenant_id, "system.ping")
    await queue.claim("w")
    assert await queue.fail(job_id, "w", "unknown job kind", permanent=True) == FAILED


async def test_dead_worker_on_last_attempt_parks_job(queue: JobQueue, tenant_id: int, clock: Clock) -> None:
    job_id = await queue.enqueue(tenant_id, "system.ping", max_attempts=1)
    await queue.claim("w", lease_seconds=5)
    clock.advance(6)
    assert await queue.claim("w2") == []
    job = await queue.get(job_id)
    assert job is not None and job.status == FAILED and "lease expired" in (job.last_error or "")


async def test_dedup_key_coalesces_pending_jobs(queue: JobQueue, tenant_id: int) -> None:
    ids = await queue.enqueue_many(
        tenant_id,
        [NewJob("change.contact", {"id": 7}, "contact:7"), NewJob("change.contact", {"id": 8}, "contact:8")]
        + [NewJob("change.contact", {"id": 7}, "contact:7")] * 5,
    )
    assert len(set(ids)) == 2
    again = await queue.enqueue(tenant_id, "change.contact", {"id": 7}, dedup_key="contact:7")
    assert again == ids[0]
    claimed = await queue.claim("w", limit=10)
    assert len(claimed) == 2
    # While the job runs, a new notification must queue a fresh job: the running one may have read already.
    fresh = await queue.enqueue(tenant_id, "change.contact", {"id": 7}, dedup_key="contact:7")
    assert fresh not in ids
    counts = await queue.counts(tenant_id)
    assert (counts.queued, counts.running) == (1, 2)


async def test_batch_mixing_merged_new_and_unkeyed_jobs_answers_ids_in_order(
    queue: JobQueue, tenant_id: int, clock: Clock
) -> None:
    first = await queue.enqueue(tenant_id, "change.process", {"id": 7}, dedup_key="contact:7")
    clock.advance(30)
    ids = await queue.enqueue_many(
        tenant_id,
        [
            NewJob("system.ping", {"n": 1}),
            NewJob("change.process", {"id": 7}, "contact:7"),
            NewJob("change.process", {"id": 9}, "contact:9"),
            NewJob("system.ping", {"n": 2}),
            NewJob("change.process", {"id": 7}, "contact:7"),
        ],
    )
    assert ids[1] == ids[4] == first
    assert len({ids[0], ids[2], ids[3], first}) == 4 and ids[0] < ids[3]
    pings = {ids[0]: 1, ids[3]: 2}
    for job_id, n in pings.items():
        job = await queue.get(job_id)
        assert job is not None and job.payload == {"n": n}
    merged = await queue.get(first)
    # The merged job records when its entity was last notified about.
    assert merged is not None and merged.status == QUEUED
    assert merged.updated_at.replace(tzinfo=UTC) == clock.now()
    assert merged.created_at.replace(tzinfo=UTC) == clock.now() - timedelta(seconds=30)


async def test_retry_of_superseded_job_does_not_duplicate(
    queue: JobQueue, tenant_id: int, clock: Clock
) -> None:
    job_id = await queue.enqueue(tenant_id, "change.contact", dedup_key="contact:1")
    await queue.claim("w")
    newer = await queue.enqueue(tenant_id, "change.contact", dedup_key="contact:1")
    assert await queue.fail(job_id, "w", "bexio unavailable") == DONE
    job = await queue.get(job_id)
    assert job is not None and job.result == {"superseded": True}
    assert (await queue.get(newer)).status == QUEUED  # type: ignore[union-attr]


async def test_enqueue_inside_callers_transaction_rolls_back_with_it(
    db: Database, queue: JobQueue, tenant_id: int
) -> None:
    with pytest.raises(RuntimeError):
        async with db.system_session() as session:
            await queue.enqueue(tenant_id, "invoice.push", session=session)
            raise RuntimeError("the caller failed after enqueueing")
    assert await queue.claim("w") == []


async def test_active_job_of_kind(queue: JobQueue, tenant_id: int) -> None:
    assert await queue.active(tenant_id, "import.full") is None
    job_id = await queue.enqueue(tenant_id, "import.full")
    active = await queue.active(tenant_id, "import.full")
    assert active is not None and active.id == job_id and active.status == QUEUED
    await queue.claim("w")
    running = await queue.active(tenant_id, "import.full")
    assert running is not None and running.status == RUNNING


async def test_debounced_burst_waits_for_quiet_but_not_forever(
    queue: JobQueue, tenant_id: int, clock: Clock
) -> None:
    settle = Debounce(quiet=2, max_wait=10)
    burst = [
        NewJob("change.process", {"id": 7}, "contact:7"),
        NewJob("change.process", {"id": 8}, "contact:8"),
    ]
    first = await queue.enqueue_many(tenant_id, burst, debounce=settle)
    for _ in range(4):  # a notification every 1.5 s keeps both jobs waiting: quiet never lasts 2 s
        clock.advance(1.5)
        assert await queue.claim("w1", limit=5) == []
        assert await queue.enqueue_many(tenant_id, burst, debounce=settle) == first
    clock.advance(2)  # quiet at last: each entity is one job, run once
    assert sorted(job.dedup_key or "" for job in await queue.claim("w1", limit=5)) == [
        "contact:7",
        "contact:8",
    ]

    # A stream that never pauses is served after max_wait all the same.
    stream = [NewJob("change.process", {"id": 9}, "contact:9")]
    await queue.enqueue_many(tenant_id, stream, debounce=settle)
    for _ in range(8):
        clock.advance(1.5)
        claimed = await queue.claim("w1", limit=5)
        if claimed:
            break
        await queue.enqueue_many(tenant_id, stream, debounce=settle)
    assert [job.dedup_key for job in claimed] == ["contact:9"]
    assert clock.value - datetime(2026, 11, 24, 9, 0, tzinfo=UTC) <= timedelta(seconds=6 + 2 + 10 + 2)


async def test_a_plain_merge_does_not_postpone_a_queued_job(
    queue: JobQueue, tenant_id: int, clock: Clock
) -> None:
    """Only debounced merges move a job: a poll re-seeded at start must not delay the queued one."""
    await queue.enqueue(tenant_id, "poll.changes", dedup_key="poll:changes")
    clock.advance(1)
    await queue.enqueue(tenant_id, "poll.changes", dedup_key="poll:changes", delay=60)
    assert len(await queue.claim("w1")) == 1
