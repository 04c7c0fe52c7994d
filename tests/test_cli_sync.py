"""`bxhours sync [--json]`: the import from the command line, against the sandbox and a fake Slack."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bxhours.fakes.slack_api import FakeSlack
from services.importing.runs import RUN_LEASE
from services.importing.status import expire_lapsed_runs
from storage.db import Database
from storage.models import SyncRun, Tenant
from tests.test_cli import BXHOURS, service_env

RESOURCES = {"users", "customers", "projects", "activities", "accounts", "taxes", "timesheets"}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo", timesheets=500)) as running:
        yield running


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user("U02MIA", "MIA.SCHMID@alpenblick.example", "Mia Schmid")
    runner = await fake.start()
    yield fake
    await runner.cleanup()


def sandbox_env(fake: FakeSlack, database_url: str, sandbox: RunningSandbox) -> dict[str, str]:
    """The CLI's environment: the fake Slack and the sandbox company, signed in with its token."""
    return service_env(
        fake,
        database_url,
        BEXIO_API_URL=sandbox.url,
        BEXIO_AUTH_URL=f"{sandbox.url}/realms/bexio",
        BEXIO_ACCESS_TOKEN=sandbox.token,
    )


async def sync(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *BXHOURS, "sync", *args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_sync_json_prints_exactly_the_contract_and_a_rerun_changes_nothing(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: RunningSandbox, database_url: str, db: object
) -> None:
    env = sandbox_env(fake_slack, database_url, sandbox)
    code, out, err = await sync(env, tmp_path, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == RESOURCES | {"customer_rule", "unmatched_users", "seconds", "skipped"}
    assert result["skipped"] == []
    for name in RESOURCES:
        assert set(result[name]) == {"created", "updated", "deactivated", "total"}
    assert result["timesheets"] == {"created": 500, "updated": 0, "deactivated": 0, "total": 500}
    assert result["customer_rule"] == "tagged"
    assert "mia.schmid@alpenblick.example" not in result["unmatched_users"]  # matched, ignoring case
    assert "andrea.keller@alpenblick.example" in result["unmatched_users"]
    assert isinstance(result["seconds"], float)
    assert "[13/13] Historic hours" in err  # progress goes to stderr

    code, out, err = await sync(env, tmp_path, "--json")
    assert code == 0, err
    again = json.loads(out)
    assert all(
        again[name]["created"] == again[name]["updated"] == again[name]["deactivated"] == 0
        for name in RESOURCES
    )

    code, out, _err = await sync(env, tmp_path)
    assert code == 0
    assert "Customers rule (tagged)" in out


async def test_sync_failure_is_one_line_and_non_zero(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: RunningSandbox, database_url: str, db: object
) -> None:
    env = sandbox_env(fake_slack, database_url, sandbox)
    sandbox.state.tokens.revoke(sandbox.token)
    code, out, err = await sync(env, tmp_path, "--json")
    assert code == 1
    assert out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("bxhours: bexio refused the access token")
    assert "BEXIO_ACCESS_TOKEN" in last
    assert "Traceback" not in err
    assert sandbox.token not in err


async def test_a_killed_sync_blocks_imports_only_until_its_lease_lapses(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: RunningSandbox, database_url: str, db: Database
) -> None:
    """Issue 12 §11: kill -9 of `bxhours sync` leaves its run `running`; its lease lapses within
    RUN_LEASE and the run is then marked failed instead of blocking imports for an hour."""
    env = sandbox_env(fake_slack, database_url, sandbox)
    sandbox.state.faults.latency_ms = 150  # slow enough to be killed mid-import
    process = await asyncio.create_subprocess_exec(
        *BXHOURS, "sync", env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    run = None
    for _ in range(300):
        run = await _last_run(db)
        if run is not None and run.status == "running":
            break
        await asyncio.sleep(0.05)
    assert run is not None and run.status == "running" and run.lease_expires_at is not None
    process.send_signal(signal.SIGKILL)
    await process.wait()
    sandbox.state.faults.latency_ms = 0

    code, _out, err = await sync(env, tmp_path)  # within the lease: still refused
    assert code == 1 and "already running" in err, err

    killed = await _last_run(db)
    assert killed is not None and killed.lease_expires_at is not None
    assert killed.lease_expires_at - datetime.now(UTC) <= RUN_LEASE
    later = killed.lease_expires_at + timedelta(seconds=1)  # what anyone looking then will see
    async with db.session(killed.tenant_id) as session:
        assert await expire_lapsed_runs(session, later) == 1
    failed = await _last_run(db)
    assert failed is not None and failed.status == "failed" and "interrupted" in (failed.error or "")

    code, _out, err = await sync(env, tmp_path)
    assert code == 0, err


async def _last_run(db: Database) -> SyncRun | None:
    async with db.system_session() as session:
        tenant_id = await session.scalar(select(Tenant.id).order_by(Tenant.id))
    if tenant_id is None:
        return None
    async with db.session(tenant_id) as session:
        return await session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))


async def test_sync_works_while_slack_cannot_be_reached(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: RunningSandbox, database_url: str, db: Database
) -> None:
    """Issue 18 §5: the workspace this database serves is known; people are matched at a later import."""
    env = sandbox_env(fake_slack, database_url, sandbox)
    code, _out, err = await sync(env, tmp_path, "--json")  # once with Slack: the workspace is known
    assert code == 0, err
    env["SLACK_API_URL"] = "http://127.0.0.1:1/api/"  # nothing listens there
    sandbox.state.tables["user"][3]["lastname"] = "Keller-Brunner"
    code, out, err = await sync(env, tmp_path, "--json")
    assert code == 0, err
    assert "Slack could not be reached" in err
    assert json.loads(out)["users"]["updated"] == 1
    async with db.system_session() as session:
        tenants = list(await session.scalars(select(Tenant)))
    assert len(tenants) == 1
