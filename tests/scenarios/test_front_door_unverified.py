"""Issue 12 §1: a request whose signature was not verified gets 401 and does nothing at all.

The attack of the issue: ``X-Slack-Request-Timestamp: abc`` made slack_sdk raise before the signature
was compared, and the error handler then posted to the attacker's ``response_url`` (or DM'd the
channel id in ``user.id``). Every forged variant here must leave no footprint: no Slack call, no
response_url post, no inbox row, no entry, no job, no traceback — and at most one sampled WARNING.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.handlers import errors
from bxhours.fakes.stack import ANDREA, SIGNING_SECRET, Stack
from tests.scenarios.front_door import (
    command_body,
    footprint,
    interactive_body,
    post_raw,
    settled,
    signed_headers,
    tracebacks,
    warnings,
)

FORM = "application/x-www-form-urlencoded"


def _forgeries(body: str) -> dict[str, dict[str, str | bytes]]:
    """Header sets that must all be refused for ``body``: each is 'almost' Slack's."""
    good = signed_headers(body, FORM)
    ts = good["x-slack-request-timestamp"]

    def with_ts(value: str) -> dict[str, str | bytes]:
        digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{value}:{body}".encode(), hashlib.sha256).hexdigest()
        ts_header = value if value.isascii() else value.encode()  # raw UTF-8 bytes in the header
        return {
            "content-type": FORM,
            "x-slack-request-timestamp": ts_header,
            "x-slack-signature": f"v0={digest}",
        }

    return {
        "timestamp abc": with_ts("abc"),
        "timestamp 12.5": with_ts("12.5"),
        "timestamp with sign": with_ts(f"+{ts}"),
        "timestamp 400 digits": with_ts("9" * 400),
        "timestamp in unicode digits": with_ts("١٢٣٤٥٦٧٨٩٠"),
        "timestamp missing": {"content-type": FORM, "x-slack-signature": good["x-slack-signature"]},
        "signature missing": {"content-type": FORM, "x-slack-request-timestamp": ts},
        "no headers": {"content-type": FORM},
        "signature v1": {**good, "x-slack-signature": good["x-slack-signature"].replace("v0=", "v1=")},
        "signature not hex": {**good, "x-slack-signature": "v0=" + "z" * 64},
        "signature upper case": {**good, "x-slack-signature": good["x-slack-signature"].upper()},
        "signature of other bytes": signed_headers(body + "&x=1", FORM),
        "signed with another secret": signed_headers(body, FORM, secret="not-the-secret-0123456789"),
        "stale": signed_headers(body, FORM, timestamp=int(time.time()) - 310),
        "from the future": signed_headers(body, FORM, timestamp=int(time.time()) + 310),
    }


def _bodies(stack: Stack) -> dict[str, str]:
    hook = stack.fake.response_url("commands")
    victim = stack.fake.response_url("actions")
    user = {"id": ANDREA, "username": "andrea", "team_id": stack.fake.team_id}
    return {
        "command": command_body(
            stack, "1h Website Relaunch / Umsetzung: forged", user_id=ANDREA, response_url=hook
        ),
        "button": interactive_body(
            {
                "type": "block_actions",
                "team": {"id": stack.fake.team_id},
                "user": user,
                "response_url": victim,
                "actions": [{"action_id": "log_hours_undo", "value": "1", "type": "button"}],
            }
        ),
        "view": interactive_body(
            {
                "type": "view_submission",
                "team": {"id": stack.fake.team_id},
                "user": {**user, "id": "C0ATTACKER"},
                "view": {"id": "V1", "callback_id": "settings", "state": {"values": {}}},
            }
        ),
    }


@pytest.mark.parametrize("kind", ["command", "button", "view"])
async def test_a_forged_request_gets_401_and_leaves_no_footprint(
    stack: Stack, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = _bodies(stack)[kind]
    before = await footprint(stack)
    for name, headers in _forgeries(body).items():
        response = await post_raw(stack, body.encode(), headers)
        assert response.status_code == 401, name
        assert response.json() == {"error": "invalid request"}, name
    await settled(stack)
    assert await footprint(stack) == before
    assert tracebacks(caplog) == []
    assert len(warnings(caplog)) <= 1, [r.getMessage() for r in warnings(caplog)]


async def test_the_non_numeric_timestamp_of_the_issue_reaches_nobody(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """The exact probe of the report: a valid-looking request, ``X-Slack-Request-Timestamp: abc``."""
    attacker_hook = stack.fake.response_url("attacker")
    body = command_body(stack, "week", user_id="C0ATTACKER", response_url=attacker_hook)
    before = await footprint(stack)
    response = await post_raw(
        stack,
        body.encode(),
        {"content-type": FORM, "x-slack-request-timestamp": "abc", "x-slack-signature": "v0=" + "0" * 64},
    )
    assert response.status_code == 401
    await settled(stack)
    assert await footprint(stack) == before
    assert not [path for path, _ in stack.fake.hooks if "attacker" in path]
    assert tracebacks(caplog) == []


async def test_a_flood_of_forgeries_is_one_log_line(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = command_body(stack, "1h x", user_id=ANDREA)
    for n in range(200):
        headers = {"content-type": FORM, "x-slack-request-timestamp": str(n), "x-slack-signature": "v0=1"}
        assert (await post_raw(stack, body.encode(), headers)).status_code == 401
    # Our side only (the test's own HTTP client logs each request too).
    lines = [r for r in caplog.records if "slack/events" in r.getMessage() and r.name != "httpx"]
    assert len(lines) == 1, [r.getMessage() for r in lines]  # the sampled warning; no access line each
    assert lines[0].levelno == logging.WARNING
    assert tracebacks(caplog) == []


async def test_bolt_refuses_a_signed_request_that_did_not_come_through_the_front_door(stack: Stack) -> None:
    """Bolt's own check is off; its replacement lets through only what the front door verified and
    marked — even a correctly signed request handed to Bolt directly is refused, before auth.test."""
    body = command_body(stack, "help", user_id=ANDREA)
    request = AsyncBoltRequest(body=body, headers=signed_headers(body, FORM))
    calls = len(stack.fake.calls)
    response = await stack.runtime.bolt.async_dispatch(request)
    assert response.status == 401
    assert len(stack.fake.calls) == calls


async def test_the_error_handler_answers_no_unverified_request(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    hook = stack.fake.response_url("attacker")
    body: dict[str, Any] = {"command": "/log-hours", "user_id": ANDREA, "response_url": hook}
    calls, hooks = len(stack.fake.calls), len(stack.fake.hooks)
    for context in (None, {}, {"bxhours_verified": True}):
        await errors.report_failure(RuntimeError("boom"), None, body, stack.runtime.slack, context)
    assert (len(stack.fake.calls), len(stack.fake.hooks)) == (calls, hooks)
    assert tracebacks(caplog) == []
