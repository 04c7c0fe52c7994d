"""The `bxhours` process itself: configuration errors, graceful SIGTERM, a worker killed mid-job."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bxhours.fakes.slack_api import FakeSlack
from storage.crypto import generate_key
from storage.db import Database
from storage.jobs import JobQueue
from storage.models import AuditLog
from storage.tenants import TenantRepository
from tests.processes import BXHOURS, base_env, free_port, run_cli, service_env


@pytest.mark.parametrize(
    ("variable", "value", "args"),
    [
        ("DATABASE_URL", "mysql://root@localhost/bx", ["db", "upgrade"]),
        ("PORT", "not-a-port", ["db", "upgrade"]),
        ("LOG_FORMAT", "xml", ["db", "upgrade"]),
        ("BXHOURS_TIMEZONE", "Mars/Olympus", ["db", "upgrade"]),
        ("BXHOURS_ADMINS", "alice,bob", ["db", "upgrade"]),
    ],
)
def test_invalid_setting_stops_with_one_line(
    tmp_path: Path, variable: str, value: str, args: list[str]
) -> None:
    result = run_cli(args, base_env(**{variable: value}), tmp_path)
    assert result.returncode == 2
    assert variable in result.stderr
    assert "expected" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_slack_token_names_the_variable(tmp_path: Path) -> None:
    result = run_cli(["serve"], base_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db"), tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_and_keygen(tmp_path: Path) -> None:
    env = base_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/up.db")
    result = run_cli(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "up.db").exists()
    key = run_cli(["keygen"], env, tmp_path).stdout.strip()
    assert len(key) == 44


async def test_serve_answers_healthz_and_exits_0_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str
) -> None:
    port = free_port()
    env = service_env(fake_slack, database_url, PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        *BXHOURS, "serve", env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        body = await _wait_healthy(f"http://127.0.0.1:{port}/healthz")
        assert body["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err
        assert fake_slack.bot_token.encode() not in err
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_healthy(url: str) -> dict[str, str]:
    async with httpx.AsyncClient() as client:
        for _ in range(150):
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("server did not become healthy")


async def test_job_survives_a_killed_worker(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str, db: Database
) -> None:
    tenant = await TenantRepository(db).ensure(fake_slack.team_id, "Acme")
    queue = JobQueue(db)
    job_id = await queue.enqueue(tenant.id, "system.ping", {"seconds": 1.5, "tag": "survivor"})
    env = service_env(fake_slack, database_url)
    args = [*BXHOURS, "worker", "--lease-seconds", "2"]

    first = await asyncio.create_subprocess_exec(*args, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    await _wait_for_status(queue, job_id, "running")
    first.kill()  # SIGKILL: no chance to clean up, the lease must expire
    await first.wait()
    assert (await queue.get(job_id)).status == "running"  # type: ignore[union-attr]

    second = await asyncio.create_subprocess_exec(*args, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        job = await _wait_for_status(queue, job_id, "done", timeout=30)
        assert job.attempts == 2
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=30)
    assert second.returncode == 0
    async with db.session(tenant.id) as session:
        pings = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "ping")
        )
    assert pings == 1


async def _wait_for_status(queue: JobQueue, job_id: int, status: str, timeout: float = 20):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        job = await queue.get(job_id)
        if job is not None and job.status == status:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never became {status}")


async def test_settings_list_set_unset(tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("nine CLI processes; the settings service itself is tested on PostgreSQL in-process")
    env = service_env(fake_slack, database_url)

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(run_cli, list(args), env, tmp_path)

    listed = await run("settings", "list")
    assert listed.returncode == 0, listed.stderr
    assert "default_sales_tax = UN81  (default)" in listed.stdout
    changed = await run("settings", "set", "time_rounding", "15:UP")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "time_rounding = 15:up"
    rate = await run("settings", "set", "activity_rate:Umsetzung", "150")
    assert rate.returncode == 0, rate.stderr
    bad = await run("settings", "set", "time_rounding", "7:sideways")
    assert bad.returncode == 1
    assert "time_rounding" in bad.stderr
    assert "Traceback" not in bad.stderr
    unknown = await run("settings", "set", "colour", "blue")
    assert unknown.returncode == 1
    assert "There is no setting 'colour'" in unknown.stderr
    listed = (await run("settings", "list")).stdout
    assert "time_rounding = 15:up\n" in listed
    assert "activity_rate:umsetzung = 150.00" in listed
    assert (await run("settings", "unset", "time_rounding")).returncode == 0
    assert "time_rounding = " in (await run("settings", "list")).stdout


async def test_a_second_worker_on_one_sqlite_database_is_refused(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str, db: Database
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL is how bxhours scales out: any number of workers (tests/test_scale_out.py)")
    env = service_env(fake_slack, database_url)
    first = await asyncio.create_subprocess_exec(
        *BXHOURS, "worker", env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    try:
        tenant = await TenantRepository(db).ensure(fake_slack.team_id, "Acme")
        job_id = await JobQueue(db).enqueue(tenant.id, "system.ping")
        await _wait_for_status(JobQueue(db), job_id, "done")  # the first worker runs
        second = await asyncio.to_thread(run_cli, ["worker"], env, tmp_path)
        assert second.returncode == 1
        assert "another process already works the job queue of this SQLite database" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        await asyncio.wait_for(first.wait(), timeout=30)
    assert first.returncode == 0
    # Once the first has stopped, a worker may start again.
    again = await asyncio.create_subprocess_exec(
        *BXHOURS, "worker", env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    job_id = await JobQueue(db).enqueue(tenant.id, "system.ping")
    try:
        await _wait_for_status(JobQueue(db), job_id, "done")
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.wait(), timeout=30)


@pytest.mark.parametrize(
    ("command", "settings", "code", "line"),
    [
        (
            ["db", "upgrade"],
            {"BXHOURS_ENCRYPTION_KEY": "not-a-key"},
            2,
            "bxhours: configuration error: BXHOURS_ENCRYPTION_KEY is not a valid Fernet key",
        ),
        (
            ["db", "upgrade"],
            {"DATABASE_URL": "postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/bxhours"},
            1,
            "bxhours: the database at DATABASE_URL could not be used (ConnectionRefusedError",
        ),
        (
            ["sync", "--json"],
            {"SLACK_API_URL": "http://127.0.0.1:1/api/"},
            1,
            "bxhours: Slack could not be reached at SLACK_API_URL (ClientConnectorError)",
        ),
    ],
    ids=["bad-key", "database-down", "slack-down"],
)
def test_start_up_failures_are_one_line(
    tmp_path: Path, command: list[str], settings: dict[str, str], code: int, line: str
) -> None:
    defaults = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bx.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "cli-test-signing-secret",
        "BXHOURS_ENCRYPTION_KEY": generate_key(),
    }
    env = base_env(**{**defaults, **settings})
    result = run_cli(command, env, tmp_path)
    assert result.returncode == code, result.stderr
    lines = [text for text in result.stderr.splitlines() if not text.startswith("20")]  # log lines
    assert len(lines) == 1 and lines[0].startswith(line), result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


async def test_serve_on_a_port_in_use_is_one_line_and_exit_1(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str
) -> None:
    """Issue 12 §12."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        env = service_env(fake_slack, database_url, PORT=str(port))
        process = await asyncio.create_subprocess_exec(
            *BXHOURS, "serve", env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        taken.close()
    text = err.decode()
    assert process.returncode == 1, text
    lines = [line for line in text.splitlines() if not line.startswith("20")]  # log lines
    assert len(lines) == 1, text
    assert lines[0].startswith(f"bxhours: cannot listen on 127.0.0.1:{port} (") and "set PORT" in lines[0], (
        text
    )
    assert "Traceback" not in text
