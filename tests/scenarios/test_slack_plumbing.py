"""Signed requests through real HTTP to /slack/events: verification, help, unknown commands, the payload bug."""

from __future__ import annotations

import time

import httpx

from bexio.sandbox import RunningSandbox
from bxhours.fakes.stack import ANDREA, Stack, run_stack
from storage.db import Database


async def test_signed_command_is_answered_quickly(stack: Stack) -> None:
    started = time.monotonic()
    response = await stack.slack.command("/log-hours", "help", user_id=ANDREA)
    elapsed = time.monotonic() - started
    assert response.status == 200
    assert "/log-hours DURATION" in response.text
    assert elapsed < 3.0


async def test_wrong_signature_is_refused(stack: Stack) -> None:
    response = await stack.slack.command("/log-hours", "help", user_id=ANDREA, signature="v0=" + "0" * 64)
    assert response.status == 401
    assert response.json == {"error": "invalid request"}


async def test_stale_timestamp_is_refused(stack: Stack) -> None:
    response = await stack.slack.command(
        "/log-hours", "help", user_id=ANDREA, timestamp=int(time.time()) - 360
    )
    assert response.status == 401


async def test_unsigned_request_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(stack.url + "/slack/events", content=b"command=%2Flog-hours&text=help")
    assert response.status_code == 401


async def test_unknown_command_gets_friendly_answer(stack: Stack) -> None:
    response = await stack.slack.command("/timesheet", "", user_id=ANDREA)
    assert response.status == 200
    assert "I don't know the command `/timesheet`" in response.text
    assert "Traceback" not in response.text


async def test_unknown_subcommand_gets_the_help(stack: Stack) -> None:
    response = await stack.slack.command("/bx-sync", "frobnicate", user_id=ANDREA)
    assert response.status == 200
    assert "`/bx-sync frobnicate` is not something I know" in response.text
    assert "/bx-sync status" in response.text


async def test_word_payload_in_a_command_still_works(stack: Stack) -> None:
    """Bolt 1.30 answers 404 to any form body containing "payload"; bxhours must not."""
    response = await stack.slack.command("/bx-sync", "payload", user_id=ANDREA)
    assert response.status == 200
    assert "`/bx-sync payload` is not something I know" in response.text


async def test_each_command_has_help(stack: Stack) -> None:
    for command, expected in [
        ("/log-hours", "/log-hours DURATION"),
        ("/log-expense", "/log-expense AMOUNT"),
        ("/invoice", "draft invoice"),
        ("/bx-sync", "/bx-sync status"),
    ]:
        response = await stack.slack.command(command, "help", user_id=ANDREA)
        assert response.status == 200
        assert expected in response.text


async def test_app_home_is_published(stack: Stack) -> None:
    response = await stack.slack.open_home(ANDREA)
    assert response.status == 200
    calls = await stack.fake.wait_for("views.publish")
    assert calls[0].params["user_id"] == ANDREA
    assert calls[0].params["view"]["type"] == "home"


async def test_healthz(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(stack.url + "/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["db"] == "ok"
    assert body["version"]


async def test_healthz_names_the_database_when_it_is_down(stack: Stack) -> None:
    working = stack.runtime.db
    stack.runtime.db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(stack.url + "/healthz")
    finally:
        await stack.runtime.db.dispose()
        stack.runtime.db = working
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["db"].startswith("down")


async def test_shutdown_lets_acknowledged_handlers_finish(
    database_url: str, db: Database, sandbox: RunningSandbox
) -> None:
    """Slack got its 200 before the work was done; stopping the server must not cut that work off."""
    async with run_stack(database_url, bexio_url=sandbox.url, bexio_token=sandbox.token) as stack:
        response = await stack.slack.open_home(ANDREA)
        assert response.status == 200
        fake = stack.fake
        assert not fake.calls_to("views.publish")  # acknowledged, the App Home not yet published
    assert [call.params["user_id"] for call in fake.calls_to("views.publish")] == [ANDREA]
