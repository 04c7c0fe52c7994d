"""The poller's periodic jobs: two kinds in the durable queue, each queued at most once per tenant.

Periodic work lives in the job queue, not in a timer of one process: a restart loses nothing, and
with any number of workers on PostgreSQL each poll runs once. A poll job re-queues itself with a
delay when it ends (its dedup key keeps exactly one queued), and every ``serve``/``worker`` start
seeds both kinds — absorbed by the dedup key when they are queued already.
"""

from __future__ import annotations

from storage.jobs import JobQueue, NewJob

POLL_CHANGES = "poll.changes"
"""Contacts and invoices changed since the watermark; every ``poll_contacts_seconds``."""
POLL_FULL = "poll.full"
"""Users, contacts, projects, activities, accounts, taxes re-read; new timesheets; every
``poll_full_minutes`` (and timesheets re-read whole every ``poll_timesheets_full_hours``)."""
POLL_KEYS = {POLL_CHANGES: "poll:changes", POLL_FULL: "poll:full"}


async def schedule_polls(queue: JobQueue, tenant_id: int) -> None:
    """Queue both polls to run now unless they are queued already (idempotent: call at every start)."""
    await queue.enqueue_many(tenant_id, [NewJob(kind, {}, key) for kind, key in POLL_KEYS.items()])


async def schedule_next(queue: JobQueue, tenant_id: int, kind: str, seconds: float) -> int:
    """The next run of ``kind`` in ``seconds``; a poll already queued absorbs it."""
    return await queue.enqueue(tenant_id, kind, {}, dedup_key=POLL_KEYS[kind], delay=seconds)
