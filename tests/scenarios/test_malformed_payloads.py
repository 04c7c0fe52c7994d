"""Issue 12 §8: signed but malformed payloads get a clear answer within Slack's 3 seconds — a field
error or an ephemeral message — never a 500, never silence, never a traceback in the log."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from bot.views import account_mapping, hours_modal, invoice_modal, log_hours, new_customer, settings_modal
from bot.views import week as week_view
from bxhours.fakes.slack_client import SlackResponse
from bxhours.fakes.stack import ANDREA
from storage.db import Database
from tests.factories import LoggingStack, entries, logging_stack, send

FORMS = [
    hours_modal.CALLBACK_ID,
    "log_expense_modal",
    invoice_modal.CALLBACK_ID,
    account_mapping.CALLBACK_ID,
    settings_modal.CALLBACK_ID,
    new_customer.CALLBACK_ID,
    week_view.DELETE_CALLBACK_ID,
]
GARBAGE_STATES: list[Any] = [
    {"day": "abc", "duration": [1, 2], "note": {"note": 5}},
    {"project": {"log_hours_project": {"selected_option": "x"}}, "invoice_customer": None},
    {"activity.1": {"log_hours_activity": {"selected_option": {"value": 7, "text": "x"}}}},
    {"invoice_lines:abc:0": {"invoice_lines": {"selected_options": "all"}}},
    {"map:activity:1": {"mapping_account": {"selected_option": {"value": "x", "text": {"text": 1}}}}},
    {"setting:allow_future_dates": {"value": {"value": ["yes"]}}},
    {"customer_name": {"value": {"value": "\x00" * 5}}},
    [],
    "values",
]


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks


async def _timed(call: Any) -> tuple[SlackResponse, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def _submit_raw(ls: LoggingStack, view: dict[str, Any], values: Any) -> SlackResponse:
    """A view submission whose state values may be anything (the simulator only writes objects)."""
    payload = ls.stack.slack._envelope(ANDREA, "view_submission")
    payload["view"] = {**view, "state": {"values": values}}
    return await ls.stack.slack.post(
        "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize("callback_id", FORMS)
async def test_view_state_values_that_are_not_objects_get_an_answer(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture, callback_id: str
) -> None:
    view = {
        "id": "V0GARBAGE",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": "",
        "blocks": [{"type": "input", "block_id": "day", "element": {"type": "datepicker"}}],
    }
    for values in GARBAGE_STATES:
        response, elapsed = await _timed(_submit_raw(ls, view, values))
        assert response.status == 200, (callback_id, values, response.text)
        assert elapsed < 3.0
        body = response.json
        assert body is None or body.get("response_action") in ("errors", "update"), body
    await ls.stack.runtime.drain(10)
    _no_traceback(caplog)
    assert await entries(ls.db, ls.tenant_id) == []


async def test_the_hours_form_with_garbage_state_shows_field_errors(ls: LoggingStack) -> None:
    response = await ls.stack.slack.command("/log-hours", "", user_id=ANDREA)
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    response = await _submit_raw(ls, view, {"day": "abc", "project": [], "duration": {"duration": [90]}})
    assert response.json["response_action"] == "errors"
    assert set(response.json["errors"]) >= {hours_modal.DAY_BLOCK, hours_modal.PROJECT_BLOCK}


async def test_a_command_without_user_id_is_answered(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture
) -> None:
    fields = {
        "team_id": ls.stack.fake.team_id,
        "command": "/log-hours",
        "text": "1h Website Relaunch / Umsetzung",
        "response_url": ls.stack.fake.response_url(),
        "trigger_id": "1.2.3",
    }
    response, elapsed = await _timed(
        ls.stack.slack.post(urlencode(fields), "application/x-www-form-urlencoded")
    )
    assert response.status == 200 and elapsed < 3.0
    assert "Slack did not say who sent this" in response.text
    assert await entries(ls.db, ls.tenant_id) == []
    _no_traceback(caplog)


async def test_an_undo_button_whose_value_is_not_an_id_is_answered(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture
) -> None:
    await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    before = len(ls.stack.fake.hooks)
    response, elapsed = await _timed(ls.stack.slack.block_action(ANDREA, log_hours.UNDO_ACTION, value="abc"))
    assert response.status == 200 and elapsed < 3.0
    answer = await ls.stack.fake.wait_for_hook(
        lambda b: any(b is h for _p, h in ls.stack.fake.hooks[before:])
    )
    assert answer["text"].startswith("That request arrived damaged (the entry “abc” is not an id)")
    assert answer["response_type"] == "ephemeral"
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    _no_traceback(caplog)


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (hours_modal.UNDO_ACTION, "1e3"),
        (log_hours.UNDO_ACTION, "9" * 40),
        (week_view.MENU_ACTION, None),
        ("bx_sync_retry_job", "-1"),
        (account_mapping.PAGE_ACTION, "next"),
    ],
)
async def test_damaged_button_values_are_answered_not_crashed_on(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture, action_id: str, value: str | None
) -> None:
    views = {
        hours_modal.UNDO_ACTION: {"id": "V1", "type": "modal", "callback_id": "log_hours_modal_done"},
        account_mapping.PAGE_ACTION: {
            "id": "V2",
            "type": "modal",
            "callback_id": account_mapping.CALLBACK_ID,
        },
        week_view.MENU_ACTION: {"id": "V3", "type": "home", "callback_id": ""},
    }
    dms, hooks = len(ls.stack.fake.calls_to("chat.postMessage")), len(ls.stack.fake.hooks)
    response, elapsed = await _timed(
        ls.stack.slack.block_action(ANDREA, action_id, value=value, view=views.get(action_id))
    )
    assert response.status == 200 and elapsed < 3.0
    await ls.stack.runtime.drain(10)
    said = [c.params["text"] for c in ls.stack.fake.calls_to("chat.postMessage")[dms:]]
    said += [h["text"] for _p, h in ls.stack.fake.hooks[hooks:]]
    assert any("damaged" in text for text in said), said
    _no_traceback(caplog)


async def test_an_action_whose_view_is_not_an_object_is_answered(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture
) -> None:
    payload = ls.stack.slack._envelope(ANDREA, "block_actions")
    payload["actions"] = [
        {"action_id": hours_modal.ACTIVITY_ACTION, "block_id": "activity", "type": "static_select"}
    ]
    payload["view"] = "V0123"
    payload["container"] = {"type": "view", "view_id": "V0123"}
    response, elapsed = await _timed(
        ls.stack.slack.post("payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded")
    )
    assert response.status == 200 and elapsed < 3.0
    await ls.stack.runtime.drain(10)
    _no_traceback(caplog)


@pytest.mark.parametrize("user", [9, -61203100837])
async def test_an_event_bolt_cannot_read_is_400(ls: LoggingStack, user: object) -> None:
    response = await ls.stack.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert response.status == 400


async def test_a_nul_character_is_refused_before_it_reaches_the_database(
    ls: LoggingStack, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL cannot store one (SQLite can): a form, a command or a search with one is answered."""
    view = {
        "id": "V0NUL",
        "type": "modal",
        "callback_id": new_customer.CALLBACK_ID,
        "private_metadata": "",
        "blocks": [
            {"type": "input", "block_id": new_customer.NAME_BLOCK, "element": {"type": "plain_text_input"}}
        ],
    }
    values = {new_customer.NAME_BLOCK: {"value": {"type": "plain_text_input", "value": "Hotel\x00AG"}}}
    response = await _submit_raw(ls, view, values)
    assert response.json["response_action"] == "errors"
    assert "NUL character" in response.json["errors"][new_customer.NAME_BLOCK]
    reply = await send(ls, ANDREA, "/bx-sync", "link <@U09GUEST|gina> gina\x00@guest.example")
    assert "NUL character" in reply.text
    options = await ls.stack.slack.options(
        ANDREA,
        invoice_modal.CUSTOMER_ACTION,
        "Alp\x00",
        view={"id": "V1", "type": "modal", "callback_id": "invoice_modal"},
    )
    assert options.json == {"options": []}
    await ls.stack.runtime.drain(10)
    _no_traceback(caplog)
