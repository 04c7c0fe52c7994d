"""Signed requests through real HTTP to /slack/events: verification, help, unknown commands, the payload bug."""

from __future__ import annotations

import re
import time

import httpx
import pytest

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


async def test_a_failing_command_gets_an_apology_with_a_reference(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database exploded: password=hunter2")

    monkeypatch.setattr(stack.runtime.services.week, "load", broken)
    before = len(stack.fake.hooks)
    response = await stack.slack.command("/log-hours", "week", user_id=ANDREA)
    assert response.status == 200
    body = await stack.fake.wait_for_hook(lambda b: any(b is h for _p, h in stack.fake.hooks[before:]))
    reference = re.search(r"reference: `([0-9a-f]{8})`", body["text"])
    assert reference is not None, body
    assert body["response_type"] == "ephemeral"
    assert "hunter2" not in body["text"] and "Traceback" not in body["text"]
    assert any(reference.group(1) in record.getMessage() for record in caplog.records)


async def test_a_failing_modal_submission_apologises_in_the_dm(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view submission has no response_url: the apology must still reach the person."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(stack.runtime.services.invoicing, "mapping_rows", broken)
    view = {"id": "V0MAPPING", "type": "modal", "callback_id": "account_mapping", "hash": "1", "blocks": []}
    await stack.slack.submit_view(ANDREA, view, {})
    calls = await stack.fake.wait_for("chat.postMessage")
    assert calls[-1].params["channel"] == ANDREA
    assert "something went wrong on our side" in calls[-1].params["text"]
    assert "boom" not in calls[-1].params["text"]


async def test_a_failed_app_home_refresh_does_not_turn_a_saved_change_into_an_error(stack: Stack) -> None:
    """The mapping is stored before the App Home is re-rendered; Slack failing then is no failure."""
    stack.fake.fail_next("views.publish", "internal_error")
    view = {"id": "V0MAPPING", "type": "modal", "callback_id": "account_mapping", "hash": "1", "blocks": []}
    response = await stack.slack.submit_view(ANDREA, view, {})
    assert response.status == 200
    await stack.fake.wait_for("views.publish")
    await stack.runtime.drain()
    assert not stack.fake.calls_to("chat.postMessage")
