"""Issue 12 §11: a running import renews its lease, so only a dead one lapses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import select

from services.importing.runs import SyncRunService
from services.importing.status import expire_lapsed_runs
from storage.jobs import JobQueue
from storage.models import SyncRun
from tests.services.conftest import Importing


def utcnow() -> datetime:
    return datetime.now(UTC)


async def test_a_live_import_keeps_renewing_its_lease(importing: Importing) -> None:
    lease = timedelta(seconds=0.3)
    runs = SyncRunService(
        importing.db,
        JobQueue(importing.db, utcnow),
        importing.service,
        cast(Any, None),
        cast(Any, None),
        utcnow,
        run_lease=lease,
    )
    importing.sandbox.state.faults.latency_ms = 600  # the import lasts several leases
    task = asyncio.create_task(runs.run_here(importing.tenant_id))
    try:
        leases: set[datetime] = set()
        for _ in range(400):  # until the run renewed its lease twice (or the import ended)
            async with importing.db.session(importing.tenant_id) as session:
                run = await session.scalar(select(SyncRun))
            if run is not None and run.lease_expires_at is not None:
                leases.add(run.lease_expires_at)
            if len(leases) >= 3 or task.done():
                break
            await asyncio.sleep(0.01)
        assert not task.done() and len(leases) >= 3
        async with importing.db.session(importing.tenant_id) as session:
            assert await expire_lapsed_runs(session, utcnow()) == 0
            run = await session.scalar(select(SyncRun))
            assert run is not None and run.status == "running"
            assert run.lease_expires_at is not None and run.lease_expires_at > utcnow()
    finally:
        importing.sandbox.state.faults.latency_ms = 0
        summary = await task
    assert summary.changed > 0
    async with importing.db.session(importing.tenant_id) as session:
        run = await session.scalar(select(SyncRun))
        assert run is not None and run.status == "done" and run.lease_expires_at is None
