"""Scenario fixtures: the real server on loopback, a fake Slack and the bexio sandbox (demo company).

Each test gets its own sandbox state, so a test may change bexio data (``sandbox.state.tables``),
inject faults (``sandbox.state.faults``) and read the recorded bexio calls (``sandbox.state.calls``).

The fake Slack is as strict as Slack about Block Kit: a test fails at teardown when bxhours sent a
view or message Slack would refuse (or blocks without fallback text), even if bxhours only logged
the refusal. A test that provokes a refusal on purpose says so with
``stack.fake.expect_refusal("views.open", "…")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bxhours.fakes.stack import Stack, run_stack
from storage.db import Database
from tests.scenarios.hosted import browser, companies, hosted  # noqa: F401 - hosted-mode fixtures


@pytest.fixture(scope="session")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo")


@pytest.fixture
async def sandbox(demo_state_factory) -> AsyncIterator[RunningSandbox]:  # type: ignore[no-untyped-def]
    async with serve_sandbox(demo_state_factory()) as running:
        yield running


@pytest.fixture
async def stack(database_url: str, db: Database, sandbox: RunningSandbox) -> AsyncIterator[Stack]:
    """``db`` first: on PostgreSQL it empties the tables, so no test sees another's rows."""
    async with run_stack(database_url, bexio_url=sandbox.url, bexio_token=sandbox.token) as running:
        yield running
