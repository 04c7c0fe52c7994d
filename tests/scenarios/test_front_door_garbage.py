"""Issue 12 §2: garbage bodies. The signature is verified over the raw bytes before anything is
decoded or parsed: unsigned garbage is 401, signed garbage is 400 — never a 500, never a traceback,
and nothing is stored or sent either way."""

from __future__ import annotations

import logging

import pytest

from bxhours.fakes.stack import Stack
from tests.scenarios.front_door import footprint, post_raw, settled, signed_headers, tracebacks

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

GARBAGE: dict[str, tuple[bytes, str]] = {
    "not UTF-8": (b"command=%2Flog-hours&text=\xff\xfe\xfa", FORM),
    "not UTF-8 JSON": (b'{"type": "event_callback", "x": "\xc3\x28"}', JSON),
    "unknown charset": (
        b"command=%2Flog-hours&text=1h",
        "application/x-www-form-urlencoded; charset=klingon",
    ),
    "unknown charset JSON": (b'{"type": "event_callback"}', "application/json; charset=x-unknown-42"),
    "payload empty": (b"payload=", FORM),
    "payload not URL-decodable": (b"payload=%ZZ%7B", FORM),
    "payload of invalid UTF-8 escapes": (b"payload=%FF%FE%7B%7D", FORM),
    "payload not JSON": (b"payload=hello", FORM),
    "payload a JSON array": (b"payload=%5B1%5D", FORM),
    "payload a JSON string": (b"payload=%22x%22", FORM),
    "payload null": (b"payload=null", FORM),
    "JSON {": (b"{", JSON),
    "JSON [1]": (b"[1]", JSON),
    "JSON null": (b"null", JSON),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, JSON),
    "deep nesting in payload": (b"payload=" + b"%5B" * 50_000, FORM),
    "empty body": (b"", FORM),
    "form without equals": (b"just garbage &&&", FORM),
}
UNREADABLE = [name for name in GARBAGE if "charset" not in name]
"""What a verified body cannot be (a charset parameter alone is no reason: see the last test)."""


@pytest.mark.parametrize("name", list(GARBAGE))
async def test_unsigned_garbage_is_401(stack: Stack, name: str, caplog: pytest.LogCaptureFixture) -> None:
    body, content_type = GARBAGE[name]
    before = await footprint(stack)
    response = await post_raw(stack, body, {"content-type": content_type})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid request"}
    await settled(stack)
    assert await footprint(stack) == before
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("name", UNREADABLE)
async def test_signed_garbage_is_400(stack: Stack, name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body, content_type = GARBAGE[name]
    before = await footprint(stack)
    response = await post_raw(stack, body, signed_headers(body, content_type))
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    await settled(stack)
    assert await footprint(stack) == before
    assert tracebacks(caplog) == []


async def test_a_signed_unknown_charset_is_read_as_the_utf8_slack_sends(stack: Stack) -> None:
    """The charset parameter is not looked at: Slack sends UTF-8 whatever a proxy says."""
    body = b"command=%2Flog-hours&text=help&user_id=U01ANDREA&team_id=T0001BX"
    response = await post_raw(
        stack, body, signed_headers(body, "application/x-www-form-urlencoded; charset=klingon")
    )
    assert response.status_code == 200
    assert "/log-hours DURATION" in response.text
