"""Issue 12 §9: acknowledged means stored. A command is written down (its inbox row committed) before
Slack gets the acknowledgement; a database that cannot take the row in time gets an honest "busy";
what a dead process acknowledged is finished by the next one, exactly once, and the person is
answered then — by DM when the response_url has expired. (The kill -9 test is tests/test_crash.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import make_url, select, text, update

from bot.front_door import BUSY_TEXT
from bot.inbox import new_request_id
from bxhours.fakes.stack import ANDREA
from storage.db import Database
from storage.inbox import PENDING
from storage.models import SlackRequest
from tests.factories import LoggingStack, entries, logging_stack
from tests.scenarios.front_door import command_body, post_raw, settled, signed_headers

FORM = "application/x-www-form-urlencoded"
LINE = "1h Website Relaunch / Umsetzung: inbox"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


async def _rows(ls: LoggingStack) -> list[SlackRequest]:
    async with ls.db.system_session() as session:
        return list(await session.scalars(select(SlackRequest).order_by(SlackRequest.received_at)))


def _hooks_to(ls: LoggingStack, url: str) -> list[dict[str, Any]]:
    path = url.removeprefix(ls.stack.fake.base_url)
    return [body for hook_path, body in ls.stack.fake.hooks if hook_path == path]


async def _write_down(ls: LoggingStack, body: str, *, received_at: datetime, applied: bool = False) -> str:
    """The row a killed process left: acknowledged, pending, its lease lapsed."""
    request_id = new_request_id()
    store = ls.stack.runtime.front_door.store
    async with store.transaction() as session:
        await store.insert(
            session,
            [
                {
                    "id": request_id,
                    "tenant_id": ls.tenant_id,
                    "replay_key": "v0=" + request_id * 4,
                    "kind": "command",
                    "name": "/log-hours",
                    "user_id": ANDREA,
                    "content_type": FORM,
                    "body": body,
                    "status": PENDING,
                    "attempts": 0,
                    "received_at": received_at,
                    "lease_until": ls.clock.now() - timedelta(seconds=1),
                    "applied_at": received_at if applied else None,
                    "finished_at": None,
                }
            ],
        )
    return request_id


async def test_a_command_is_written_down_before_it_is_acknowledged(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = ls.stack.fake.response_url("commands")
    body = command_body(ls.stack, LINE, user_id=ANDREA, response_url=url)
    answer = await post_raw(ls.stack, body.encode(), signed_headers(body, FORM))
    assert answer.status_code == 200
    rows = await _rows(ls)  # right at the acknowledgement: the row is committed
    assert [(r.kind, r.name, r.user_id) for r in rows] == [("command", "/log-hours", ANDREA)]
    await ls.stack.fake.wait_for_hook(lambda b: "1:00 h" in str(b.get("text")))
    await settled(ls.stack)
    await asyncio.sleep(0.2)  # the done mark is written with the inbox's next group commit
    (row,) = await _rows(ls)
    assert row.status == "done" and row.applied_at is not None
    assert any(f"request={row.id}" in r.getMessage() for r in caplog.records), "the request id is logged"


@contextlib.asynccontextmanager
async def _sqlite_writer_held(database_url: str) -> AsyncIterator[None]:
    """What a long import transaction does to every other writer. Taken without blocking the loop:
    a transaction of the server's (on this loop) may hold the lock for a moment and must finish."""
    conn = sqlite3.connect(make_url(database_url).database or "", timeout=0, isolation_level=None)
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError:
            await asyncio.sleep(0.005)
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@contextlib.asynccontextmanager
async def _writer_held(db: Database, database_url: str) -> AsyncIterator[None]:
    if db.is_sqlite:
        async with _sqlite_writer_held(database_url):
            yield
        return
    async with db.engine.connect() as conn:
        await conn.execute(text("BEGIN"))
        await conn.execute(text("LOCK TABLE slack_requests IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await conn.rollback()


async def test_a_database_that_cannot_take_the_row_gets_an_honest_busy(
    ls: LoggingStack, database_url: str
) -> None:
    ls.stack.runtime.front_door.inbox.busy_after = 0.5
    url = ls.stack.fake.response_url("commands")
    body = command_body(ls.stack, LINE, user_id=ANDREA, response_url=url)
    async with _writer_held(ls.db, database_url):
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await post_raw(ls.stack, body.encode(), signed_headers(body, FORM))
        waited = loop.time() - started
    assert answer.status_code == 200
    assert answer.text == BUSY_TEXT
    assert waited < 3.0  # within Slack's patience
    await settled(ls.stack)
    await asyncio.sleep(0.5)  # the writer got the lock meanwhile: the busy row must not appear
    assert await _rows(ls) == []
    assert await entries(ls.db, ls.tenant_id) == []
    assert _hooks_to(ls, url) == []


async def test_what_a_dead_process_acknowledged_is_finished_and_answered(ls: LoggingStack) -> None:
    url = ls.stack.fake.response_url("commands")
    request_id = await _write_down(
        ls, command_body(ls.stack, LINE, user_id=ANDREA, response_url=url), received_at=ls.clock.now()
    )
    assert await ls.stack.runtime.front_door.recover_once() == 1
    await settled(ls.stack)
    assert [e.note for e in await entries(ls.db, ls.tenant_id)] == ["inbox"]
    assert [h["text"].split("\n")[0][:8] for h in _hooks_to(ls, url)] == ["✓ 1:00 h"]
    await asyncio.sleep(0.2)
    (row,) = await _rows(ls)
    assert (row.id, row.status) == (request_id, "done")
    assert await ls.stack.runtime.front_door.recover_once() == 0  # done: never run again


async def test_a_write_committed_before_the_crash_is_not_repeated(ls: LoggingStack) -> None:
    """The entry was committed (and its row marked applied in the same transaction), then the process
    died before the row was done: the next run writes nothing and tells the person it went through."""
    url = ls.stack.fake.response_url("commands")
    body = command_body(ls.stack, LINE, user_id=ANDREA, response_url=url)
    assert (await post_raw(ls.stack, body.encode(), signed_headers(body, FORM))).status_code == 200
    await ls.stack.fake.wait_for_hook(lambda b: "1:00 h" in str(b.get("text")))
    await settled(ls.stack)
    await asyncio.sleep(0.2)
    async with ls.db.system_session() as session:  # as the killed process left it
        await session.execute(
            update(SlackRequest).values(status=PENDING, lease_until=ls.clock.now() - timedelta(seconds=1))
        )
    assert await ls.stack.runtime.front_door.recover_once() == 1
    await settled(ls.stack)
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    said = [h["text"] for h in _hooks_to(ls, url)]
    assert len(said) == 2 and said[1].startswith(
        "✓ Your `/log-hours 1h Website Relaunch / Umsetzung: inbox` went through"
    )
    assert not any("nothing was changed" in t for t in said)


async def test_after_30_minutes_the_answer_comes_by_dm(ls: LoggingStack) -> None:
    url = ls.stack.fake.response_url("commands")
    await _write_down(
        ls,
        command_body(ls.stack, LINE, user_id=ANDREA, response_url=url),
        received_at=ls.clock.now() - timedelta(minutes=40),
    )
    await ls.stack.runtime.front_door.recover_once()
    await settled(ls.stack)
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    assert _hooks_to(ls, url) == []
    dms = await ls.stack.fake.wait_for("chat.postMessage", lambda c: "1:00 h" in str(c.params.get("text")))
    assert dms[-1].params["channel"] == "D01ANDREA"


async def test_an_acknowledged_reply_is_passed_on_after_a_restart(ls: LoggingStack) -> None:
    """A command answered in its acknowledgement (here: help) is told by response_url after a restart."""
    url = ls.stack.fake.response_url("commands")
    await _write_down(
        ls, command_body(ls.stack, "help", user_id=ANDREA, response_url=url), received_at=ls.clock.now()
    )
    await ls.stack.runtime.front_door.recover_once()
    await settled(ls.stack)
    assert ["/log-hours DURATION" in h["text"] for h in _hooks_to(ls, url)] == [True]


async def test_two_servers_recovering_at_once_finish_a_request_once(
    ls: LoggingStack, database_url: str
) -> None:
    from bxhours.fakes.stack import run_stack

    url = ls.stack.fake.response_url("commands")
    for n in range(5):
        await _write_down(
            ls,
            command_body(
                ls.stack, f"1h Website Relaunch / Umsetzung: recovered {n}", user_id=ANDREA, response_url=url
            ),
            received_at=ls.clock.now(),
        )
    async with run_stack(database_url, now=ls.clock.now) as other:
        counts = await asyncio.gather(
            ls.stack.runtime.front_door.recover_once(), other.runtime.front_door.recover_once()
        )
        await settled(other)
    await settled(ls.stack)
    assert sum(counts) == 5
    assert sorted(e.note for e in await entries(ls.db, ls.tenant_id)) == [f"recovered {n}" for n in range(5)]


async def test_a_request_that_keeps_failing_is_given_up_with_a_word_to_the_person(ls: LoggingStack) -> None:
    url = ls.stack.fake.response_url("commands")
    request_id = await _write_down(
        ls, command_body(ls.stack, LINE, user_id=ANDREA, response_url=url), received_at=ls.clock.now()
    )
    async with ls.db.system_session() as session:
        await session.execute(update(SlackRequest).values(attempts=3))
    await ls.stack.runtime.front_door.recover_once()
    await settled(ls.stack)
    assert await entries(ls.db, ls.tenant_id) == []
    (row,) = await _rows(ls)
    assert (row.id, row.status) == (request_id, "failed")
    assert request_id in str(ls.stack.fake.calls_to("chat.postMessage")[-1].params["text"])


async def test_busy_is_said_the_way_each_kind_of_request_can_show_it(
    ls: LoggingStack, database_url: str
) -> None:
    """A form gets the words under its first field, a button an ephemeral message, an event a 503
    (Slack delivers it again) — and none of them is stored or acted on."""
    ls.stack.runtime.front_door.inbox.busy_after = 0.3
    view = {
        "id": "V0BUSY",
        "type": "modal",
        "callback_id": "log_hours_modal",
        "hash": "1",
        "title": {"type": "plain_text", "text": "Log hours"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Hours"}},
            {"type": "input", "block_id": "duration", "label": {"type": "plain_text", "text": "Duration"},
             "element": {"type": "plain_text_input", "action_id": "duration"}},
        ],
    }  # fmt: skip
    slack = ls.stack.slack
    async with _writer_held(ls.db, database_url):
        form = await slack.submit_view(
            ANDREA, view, {"duration": {"duration": {"type": "plain_text_input", "value": "2h"}}}
        )
        button = await slack.block_action(ANDREA, "log_hours_undo", value="1")
        event = await slack.open_home(ANDREA)
    assert form.status == 200
    assert form.json == {"response_action": "errors", "errors": {"duration": BUSY_TEXT}}
    assert button.status == 200
    await ls.stack.fake.wait_for_hook(lambda b: b.get("text") == BUSY_TEXT)
    assert event.status == 503
    await settled(ls.stack)
    await asyncio.sleep(0.3)
    assert await _rows(ls) == []
    assert not ls.stack.fake.calls_to("views.publish")
