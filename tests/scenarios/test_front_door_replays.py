"""Issue 12 §3: a captured signed request replayed within Slack's 5 minutes does nothing (answer 200),
in this process and in another on the same database; Events API retries (new timestamp, new
signature, same ``event_id``) run once; while the signing secret is rotated both are accepted."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from bot.views import week as week_view
from bxhours.fakes.stack import ANDREA, SIGNING_SECRET, run_stack
from storage.db import Database
from tests.factories import LoggingStack, entries, logging_stack
from tests.scenarios.front_door import (
    command_body,
    footprint,
    interactive_body,
    post_raw,
    settled,
    signed_headers,
)

FORM = "application/x-www-form-urlencoded"
LINE = "1h Website Relaunch / Umsetzung: replayed"
PREVIOUS_SECRET = "the-secret-being-rotated-out-0123"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


def _hooks_to(ls: LoggingStack, url: str) -> list[dict[str, object]]:
    path = url.removeprefix(ls.stack.fake.base_url)
    return [body for hook_path, body in ls.stack.fake.hooks if hook_path == path]


async def _wait_for_hooks(ls: LoggingStack, url: str, count: int) -> None:
    for _ in range(100):
        if len(_hooks_to(ls, url)) >= count:
            return
        await asyncio.sleep(0.05)


async def test_a_replayed_command_is_stored_once_and_answered_once(ls: LoggingStack) -> None:
    url = ls.stack.fake.response_url("commands")
    body = command_body(ls.stack, LINE, user_id=ANDREA, response_url=url)
    headers = signed_headers(body, FORM)
    answers = [await post_raw(ls.stack, body.encode(), headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    await _wait_for_hooks(ls, url, 1)
    await settled(ls.stack)
    assert [e.note for e in await entries(ls.db, ls.tenant_id)] == ["replayed"]
    assert len(_hooks_to(ls, url)) == 1


async def test_replays_arriving_together_are_stored_once(ls: LoggingStack) -> None:
    url = ls.stack.fake.response_url("commands")
    body = command_body(ls.stack, LINE, user_id=ANDREA, response_url=url)
    headers = signed_headers(body, FORM)
    answers = await asyncio.gather(*(post_raw(ls.stack, body.encode(), headers) for _ in range(10)))
    assert {a.status_code for a in answers} == {200}
    await _wait_for_hooks(ls, url, 1)
    await settled(ls.stack)
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    assert len(_hooks_to(ls, url)) == 1


async def test_a_replay_to_another_server_on_the_same_database_does_nothing(
    ls: LoggingStack, database_url: str
) -> None:
    """Two servers behind a load balancer (each its own engine, pool and memory): the database's
    unique replay key refuses the second, on SQLite and on PostgreSQL."""
    url = ls.stack.fake.response_url("commands")
    body = command_body(ls.stack, LINE, user_id=ANDREA, response_url=url)
    headers = signed_headers(body, FORM)
    async with run_stack(database_url, now=ls.clock.now) as other:
        first, second = await asyncio.gather(
            post_raw(ls.stack, body.encode(), headers), post_raw(other, body.encode(), headers)
        )
        assert (first.status_code, second.status_code) == (200, 200)
        await settled(other)
    await _wait_for_hooks(ls, url, 1)
    await settled(ls.stack)
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    assert len(_hooks_to(ls, url)) == 1


async def test_an_event_retried_by_slack_runs_once(ls: LoggingStack) -> None:
    """Slack retries an event with a new timestamp and signature and the same event_id."""
    event = {
        "token": "deprecated",
        "team_id": ls.stack.fake.team_id,
        "api_app_id": "A0BXHOURS",
        "type": "event_callback",
        "event_id": "Ev0RETRIED",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": ANDREA, "channel": "D01ANDREA", "tab": "home"},
    }
    body = json.dumps(event)
    first = await post_raw(ls.stack, body.encode(), signed_headers(body, "application/json"))
    retry_body = json.dumps(event, indent=1)  # other bytes, so another signature
    retry_headers = {
        **signed_headers(retry_body, "application/json", timestamp=int(time.time()) + 1),
        "x-slack-retry-num": "1",
        "x-slack-retry-reason": "http_timeout",
    }
    assert first.status_code == 200
    await ls.stack.fake.wait_for("views.publish")
    retried = await post_raw(ls.stack, retry_body.encode(), retry_headers)
    assert retried.status_code == 200
    await settled(ls.stack)
    assert len(ls.stack.fake.calls_to("views.publish")) == 1


async def test_a_replayed_read_only_click_is_ignored_too(ls: LoggingStack) -> None:
    """A button that only re-renders has no inbox row; its replay is refused by signature in memory."""
    payload = {
        "type": "block_actions",
        "team": {"id": ls.stack.fake.team_id},
        "user": {"id": ANDREA, "username": "andrea", "team_id": ls.stack.fake.team_id},
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"id": "V0HOME", "type": "home", "private_metadata": "", "callback_id": "", "hash": "1"},
        "actions": [{"action_id": week_view.NAV_ACTIONS[0], "type": "button", "value": "2026-11-16"}],
    }
    body = interactive_body(payload)
    headers = signed_headers(body, FORM)
    assert (await post_raw(ls.stack, body.encode(), headers)).status_code == 200
    await ls.stack.fake.wait_for("views.publish")
    before = await footprint(ls.stack)
    assert (await post_raw(ls.stack, body.encode(), headers)).status_code == 200
    await settled(ls.stack)
    assert await footprint(ls.stack) == before


async def test_a_replay_older_than_five_minutes_is_refused(ls: LoggingStack) -> None:
    body = command_body(ls.stack, LINE, user_id=ANDREA)
    stale = signed_headers(body, FORM, timestamp=int(time.time()) - 310)
    assert (await post_raw(ls.stack, body.encode(), stale)).status_code == 401
    await settled(ls.stack)
    assert await entries(ls.db, ls.tenant_id) == []


async def test_both_secrets_are_accepted_while_one_is_rotated(db: Database, database_url: str) -> None:
    async with run_stack(
        database_url, extra_settings={"slack_signing_secret_previous": PREVIOUS_SECRET}
    ) as stack:
        for secret in (SIGNING_SECRET, PREVIOUS_SECRET):
            body = command_body(stack, "help", user_id=ANDREA)
            answer = await post_raw(stack, body.encode(), signed_headers(body, FORM, secret=secret))
            assert answer.status_code == 200, secret
            assert "/log-hours DURATION" in answer.text
        body = command_body(stack, "help", user_id=ANDREA)
        other = await post_raw(
            stack, body.encode(), signed_headers(body, FORM, secret="a-third-secret-0123456789")
        )
        assert other.status_code == 401


async def test_without_a_previous_secret_only_the_current_one_counts(db: Database, database_url: str) -> None:
    async with run_stack(database_url) as stack:
        body = command_body(stack, "help", user_id=ANDREA)
        answer = await post_raw(stack, body.encode(), signed_headers(body, FORM, secret=PREVIOUS_SECRET))
        assert answer.status_code == 401
