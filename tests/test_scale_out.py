"""Scaling out on PostgreSQL (issue 7 §7, §11): worker processes share one queue, each job runs once.

Side effects are counted: every ``system.ping`` job writes one audit row with its job id.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bxhours.fakes.slack_api import FakeSlack
from storage.db import Database
from storage.jobs import JobQueue, NewJob
from storage.models import AuditLog, Job
from storage.tenants import TenantRepository
from tests.processes import BXHOURS, service_env

JOBS = 10_000
WORKERS = 4


async def _audit(db: Database, tenant_id: int) -> tuple[int, int]:
    async with db.session(tenant_id) as session:
        total = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "ping")
        )
        distinct = await session.scalar(
            select(func.count(func.distinct(AuditLog.subject_id))).where(AuditLog.action == "ping")
        )
    return int(total or 0), int(distinct or 0)


async def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
async def test_four_workers_run_ten_thousand_jobs_exactly_once(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str, db: Database
) -> None:
    if not db.is_postgres:
        pytest.skip("several worker processes on one database is the PostgreSQL set-up")
    tenant = await TenantRepository(db).ensure(fake_slack.team_id, "Acme")
    queue = JobQueue(db)
    for start in range(0, JOBS, 2000):
        await queue.enqueue_many(
            tenant.id, [NewJob("system.ping", {"n": n}) for n in range(start, start + 2000)]
        )

    env = service_env(fake_slack, database_url)
    workers = [
        await asyncio.create_subprocess_exec(
            *BXHOURS, "worker", "--concurrency", "4", env=env, cwd=tmp_path, stderr=subprocess.DEVNULL
        )
        for _ in range(WORKERS)
    ]
    try:

        async def all_done() -> bool:
            async with db.system_session() as session:
                # Only the pings: each worker also seeds the change poller's jobs, which run too.
                done = await session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.kind == "system.ping", Job.status == "done")
                )
            return done == JOBS

        await _wait(all_done, 240, f"{JOBS} jobs to finish")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            await asyncio.wait_for(worker.wait(), timeout=60)
    assert [w.returncode for w in workers] == [0] * WORKERS
    assert await _audit(db, tenant.id) == (JOBS, JOBS)
    async with db.system_session() as session:
        attempts = await session.scalar(select(func.max(Job.attempts)).where(Job.kind == "system.ping"))
    assert attempts == 1


async def test_killed_worker_job_runs_again_after_lease_and_once(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str, db: Database
) -> None:
    if not db.is_postgres:
        pytest.skip("covered for SQLite by tests/test_cli.py::test_job_survives_a_killed_worker")
    tenant = await TenantRepository(db).ensure(fake_slack.team_id, "Acme")
    queue = JobQueue(db)
    job_id = await queue.enqueue(tenant.id, "system.ping", {"seconds": 1.5})
    env = service_env(fake_slack, database_url)
    args = [*BXHOURS, "worker", "--lease-seconds", "2"]
    victim = await asyncio.create_subprocess_exec(*args, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)

    async def running() -> bool:
        job = await queue.get(job_id)
        return job is not None and job.status == "running"

    await _wait(running, 30, "the job to start")
    victim.kill()
    await victim.wait()
    survivors = [
        await asyncio.create_subprocess_exec(*args, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    try:

        async def done() -> bool:
            job = await queue.get(job_id)
            return job is not None and job.status == "done"

        await _wait(done, 30, "the job to run again")
    finally:
        for worker in survivors:
            worker.send_signal(signal.SIGTERM)
        for worker in survivors:
            await asyncio.wait_for(worker.wait(), timeout=30)
    job = await queue.get(job_id)
    assert job is not None
    assert job.attempts == 2
    assert await _audit(db, tenant.id) == (1, 1)
