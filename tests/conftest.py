"""Shared fixtures: a migrated database on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.

SQLite databases are copied from one template migrated per session (migrating per test would dominate
the run time); PostgreSQL is migrated once and truncated between tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bxhours.fakes.slack_api import FakeSlack
from storage.db import Database
from storage.migrate import upgrade_blocking
from storage.models import Base

PG_BASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgres"] if PG_BASE_URL else ["sqlite"]
# Under pytest-xdist each worker gets its own PostgreSQL database (tests truncate between runs).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_URL = f"{PG_BASE_URL}_{WORKER}" if PG_BASE_URL and WORKER else PG_BASE_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_blocking(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    # First requested from inside an async fixture: work on a thread with its own event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        if PG_URL != PG_BASE_URL:
            pool.submit(asyncio.run, _create_database(PG_BASE_URL, PG_URL)).result()
        pool.submit(upgrade_blocking, PG_URL).result()
    return PG_URL


async def _create_database(base_url: str, url: str) -> None:
    """Create this worker's database next to the one CI made, fresh on every run."""
    name = make_url(url).database
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


# What these prove happens on Slack's side of bxhours — signatures, hostile and malformed payloads,
# permissions, texts in every language, Block Kit limits, log lines and metrics — or is the shape of
# a command's output (the reminder and summary commands; tests marked ``sqlite_only``). The database
# is incidental to them, so they run on SQLite only; everything about storing, locking, queueing and
# tenancy runs on both databases. (Keeps CI under 15 minutes.)
SQLITE_ONLY_MODULES = frozenset(
    {
        "test_fuzz_payloads.py",
        "test_hostile_values.py",
        "test_permissions.py",
        "test_malformed_payloads.py",
        "test_true_apologies.py",
        "test_slack_plumbing.py",
        "test_front_door_garbage.py",
        "test_front_door_unverified.py",
        "test_every_surface_languages.py",
        "test_entries_languages.py",
        "test_home_languages.py",
        "test_languages.py",
        "test_timers_views.py",
        "test_write_back_languages.py",
        "test_interaction_logs.py",
        "test_metrics.py",
        "test_saved_languages.py",
        "test_sync_invoice_languages.py",
        "test_reminders_cli.py",
        "test_summary_cli.py",
    }
)


# The longest files (seconds on both databases, measured with --durations), started first: pytest-xdist
# hands out whole files in collection order (--dist loadfile), and the top-level process tests sort
# last, so one worker used to run them alone for minutes at the end. Longest first packs the workers.
LONG_MODULES = {
    "test_push_faults.py": 125,
    "test_scale_out.py": 80,
    "test_every_surface_languages.py": 65,
    "test_cli.py": 60,
    "test_cli_sync.py": 60,
    "test_preview_matches_bexio.py": 58,
    "test_crash.py": 47,
    "test_tenant_isolation.py": 40,
    "test_demo.py": 25,
    "test_fuzz_payloads.py": 23,
    "test_reminders_cli.py": 17,
    "test_write_back_cli.py": 10,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -LONG_MODULES.get(item.path.name, 0))  # stable: files stay whole
    on_postgres = [
        item
        for item in items
        if (item.path.name in SQLITE_ONLY_MODULES or item.get_closest_marker("sqlite_only"))
        and getattr(getattr(item, "callspec", None), "params", {}).get("database_url") == "postgres"
    ]
    if on_postgres:
        skipped = set(map(id, on_postgres))
        items[:] = [item for item in items if id(item) not in skipped]
        config.hook.pytest_deselected(items=on_postgres)


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL one truncated."""
    if request.param == "sqlite":
        path = tmp_path / "bxhours.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        database = Database(url)
        try:
            await _truncate(database)
        finally:
            await database.dispose()
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def _truncate(database: Database) -> None:
    tables = ", ".join(table.name for table in reversed(Base.metadata.sorted_tables))
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack Web API on a free port, for tests that start `bxhours` processes."""
    fake = FakeSlack()
    runner = await fake.start()
    yield fake
    await runner.cleanup()
