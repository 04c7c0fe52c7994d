"""Scenario fixtures: the real server on loopback, a fake Slack, and (later) the bexio sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bxhours.fakes.stack import Stack, run_stack


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    async with run_stack(database_url) as running:
        yield running
