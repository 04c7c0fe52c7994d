"""`bxhours settings set write_back_hours true` from the command line (issue 16 §4): the CLI's change
is noticed like the Settings modal's — every admin gets the back-fill offer in a DM — and turning
it off again offers nothing."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.views import write_back
from bxhours.fakes.slack_api import FakeSlack
from tests.processes import run_cli, service_env

ADMIN = "U01ANDREA"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user(ADMIN, "andrea.keller@alpenblick.example", "Andrea Keller", is_admin=True)
    fake.add_user("U02MIA", "mia.schmid@alpenblick.example", "Mia Schmid")
    runner = await fake.start()
    yield fake
    await runner.cleanup()


async def test_turning_write_back_on_from_the_cli_offers_admins_a_backfill(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("CLI processes; the settings hook itself runs on PostgreSQL in tests/scenarios")
    env = service_env(fake_slack, database_url, BXHOURS_ADMINS=ADMIN, BXHOURS_LANGUAGE="en")

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(run_cli, list(args), env, tmp_path)

    turned_on = await run("settings", "set", "write_back_hours", "yes")
    assert turned_on.returncode == 0, turned_on.stderr
    assert turned_on.stdout.strip() == "write_back_hours = true"
    offers = [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if write_back.OFFER_ACTION in str(call.params.get("blocks"))
    ]
    assert len(offers) == 1
    assert "never billable there" in offers[0].params["text"]

    again = await run("settings", "set", "write_back_hours", "true")
    assert again.returncode == 0, again.stderr
    turned_off = await run("settings", "set", "write_back_hours", "false")
    assert turned_off.returncode == 0, turned_off.stderr
    offers_now = [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if write_back.OFFER_ACTION in str(call.params.get("blocks"))
    ]
    assert len(offers_now) == 1, "setting it to what it was, or off, offers nothing"
