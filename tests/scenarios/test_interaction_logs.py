"""Issue 18 §2 and §6: logs that say what happened.

Exactly one ``slack interaction`` line per Slack request, with its kind, command or action id,
tenant, user, outcome and durations — and never what the person typed; the request id of that line
on the access line and on the lines of the jobs the request queued; the import's own line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator

import pytest

from bexio.sandbox import RunningSandbox, build_state
from bot.views import hours_modal, log_hours
from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.slack_client import date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA, Stack
from bxhours.logs import JsonFormatter, RedactingFilter, TextFormatter
from storage.db import Database
from tests.factories import LoggingStack, click, logging_stack, send

NOTE = "zebra kite 4711 of Mia's private afternoon"
FORM_NOTE = "quokka lantern 0815 in the form"
SEARCH = "qwzx-search"


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo", timesheets=60)


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


def interactions(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.interactions"]


def rendered(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured line as an operator would read it, in text and in JSON."""
    text, as_json = TextFormatter(), JsonFormatter()
    lines: list[str] = []
    for record in caplog.records:
        RedactingFilter().filter(record)
        lines += [text.format(record), as_json.format(record)]
    return "\n".join(lines)


async def test_one_line_per_interaction_and_never_what_was_typed(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = ls.stack.slack

    # 1. A one-line /log-hours with a note, 2. its Undo button.
    reply = await send(ls, ANDREA, "/log-hours", f"2h30 Website Relaunch / Umsetzung: {NOTE}")
    assert reply.text.startswith("✓ 2:30 h")
    await click(ls, ANDREA, reply.button(log_hours.UNDO_ACTION, "Undo"))

    # 3. The form, 4. its project type-ahead, 5. a refused submission, 6. a saved one.
    assert (await slack.command("/log-hours", "", user_id=ANDREA)).text == ""
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    assert (await slack.options(ANDREA, hours_modal.PROJECT_ACTION, SEARCH, view=view)).status == 200
    activity_block = next(
        b["block_id"] for b in view["blocks"] if b["block_id"].startswith(hours_modal.ACTIVITY_BLOCK)
    )
    website = str(ls.company.projects["Website Relaunch"])
    state = {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value("2026-11-20")},
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(website, kind="external_select")
        },
        activity_block: {hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Umsetzung"]))},
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value("25h")},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value(FORM_NOTE)},
    }
    refused = await slack.submit_view(ANDREA, view, state)
    assert refused.json["response_action"] == "errors"
    state[hours_modal.DURATION_BLOCK] = {hours_modal.DURATION_ACTION: text_value("3h")}
    saved = await slack.submit_view(ANDREA, view, state)
    assert saved.json["response_action"] == "update"
    await ls.stack.runtime.drain(10)

    lines = interactions(caplog)
    seen = [(r.kind, r.action, r.outcome) for r in lines]  # type: ignore[attr-defined]
    assert seen == [
        ("command", "/log-hours", "ok"),
        ("block_actions", log_hours.UNDO_ACTION, "ok"),
        ("command", "/log-hours", "ok"),
        ("options", hours_modal.PROJECT_ACTION, "ok"),
        ("view_submission", hours_modal.CALLBACK_ID, "rejected"),
        ("view_submission", hours_modal.CALLBACK_ID, "ok"),
    ], seen
    for line in lines:
        assert line.getMessage() == "slack interaction"
        assert line.user == ANDREA and line.tenant == ls.tenant_id  # type: ignore[attr-defined]
        assert line.team  # type: ignore[attr-defined]
        assert 0 < line.ack_ms <= line.ms  # type: ignore[attr-defined]

    # Requests that are written down carry their inbox id, the same as their access line.
    ids = [getattr(line, "request", None) for line in lines]
    assert ids[3] is None  # an options load writes nothing down
    written = [i for i in ids if i is not None]
    assert len(written) == 5 and len(set(written)) == 5
    access = " ".join(r.getMessage() for r in caplog.records if r.name == "aiohttp.access")
    assert set(re.findall(r"request=(\w+)", access)) == set(written)

    everything = rendered(caplog)
    for typed in (NOTE, "zebra kite", FORM_NOTE, "quokka", SEARCH, "2h30 Website"):
        assert typed not in everything, typed

    # The same fields as key=value in text and as keys in JSON.
    text = TextFormatter().format(lines[0])
    assert re.search(
        r"slack interaction kind=command action=/log-hours tenant=\d+ team=\w+ user=U01ANDREA outcome=ok ack_ms=[\d.]+ ms=[\d.]+ request=\w+$",
        text,
    ), text
    as_json = json.loads(JsonFormatter().format(lines[0]))
    assert {"kind", "action", "tenant", "team", "user", "outcome", "ack_ms", "ms", "request"} <= set(as_json)
    assert as_json["message"] == "slack interaction" and as_json["outcome"] == "ok"


def _import_over(call: SlackCall) -> bool:
    return str(call.params.get("text", "")).startswith("Import from bexio finished")


async def test_the_request_id_joins_the_command_and_the_job_it_queued(
    stack: Stack, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert "started" in response.text
    await stack.fake.wait_for("chat.update", _import_over, timeout=30)
    for _ in range(100):
        if [r for r in caplog.records if r.getMessage() == "job finished"]:
            break
        await asyncio.sleep(0.05)
    await stack.runtime.drain(10)

    [command] = [r for r in interactions(caplog) if r.action == "/bx-sync"]  # type: ignore[attr-defined]
    [job] = [r for r in caplog.records if r.getMessage() == "job finished"]
    assert job.request == command.request  # type: ignore[attr-defined]
    assert (job.kind, job.outcome, job.attempt, job.tenant) == ("import.full", "done", 1, stack.tenant_id)  # type: ignore[attr-defined]
    assert job.ms > 0 and job.queued_ms >= 0  # type: ignore[attr-defined]

    [finished] = [r for r in caplog.records if r.getMessage() == "import finished"]
    assert finished.outcome == "done" and finished.tenant == stack.tenant_id  # type: ignore[attr-defined]
    assert finished.added > 0 and finished.skipped == 0 and finished.bexio_calls > 10  # type: ignore[attr-defined]
    assert "customers:+" in finished.changes and "timesheets:+" in finished.changes  # type: ignore[attr-defined]
    # Finishing included: recording the run and updating the message count in its seconds.
    assert finished.seconds >= finished.import_seconds > 0  # type: ignore[attr-defined]
    text = TextFormatter().format(finished)
    assert re.search(
        r"import finished tenant=\d+ run=\d+ outcome=done changed=\d+ .* seconds=[\d.]+$", text
    ), text
