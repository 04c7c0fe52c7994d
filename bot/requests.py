"""From HTTP to Bolt: verify the raw bytes, then parse, then build the Bolt request — in that order.

Nothing of a request is decoded, parsed or looked at before its signature is verified over the exact
bytes Slack sent (``v0:<timestamp>:<raw body>``, HMAC-SHA256 with the signing secret — the current one
or, while it is rotated, the previous one). A timestamp that is not plain unix seconds, a signature that
is not ``v0=<hex>``, a stale or future timestamp or a wrong digest all end the same way: 401, and not a
single byte of the body was read as text (issue 12 §1, §2).

A verified body that cannot be read (not UTF-8, not form-encoded or JSON as it claims, a ``payload``
that is not a JSON object) is 400. Parsing is ours, not Bolt's: Bolt 1.30's ``parse_body`` reads any form
body containing the substring ``payload`` as an interactivity request, so
``/log-hours 1h Website: API payload check`` would reach no handler (../shared/slack-payloads.md §1).

The Bolt request is then marked verified in its context with an object only this module holds;
``require_verified`` (the Bolt app's first middleware after the SSL check) refuses any request without
that mark, so Bolt never acts on a request that did not come through here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_SKEW_SECONDS = 300
"""Slack's replay window: a request signed more than 5 minutes before (or after) now is refused."""
MAX_TIMESTAMP_DIGITS = 12
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
INVALID_REQUEST = {"error": "invalid request"}
"""The body of every 401, as Bolt answers it: it says nothing about what was wrong."""


class _Verified:
    """The mark of a verified request in its Bolt context. Only this module has the instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<verified>"


_MARK = _Verified()
_VERIFIED_KEY = "bxhours_verified"


@dataclass(frozen=True)
class SlackSignatures:
    """Checks ``X-Slack-Signature`` over the raw body with each accepted secret."""

    secrets: Sequence[str]
    clock: Callable[[], float] = time.time

    def problem(self, headers: Mapping[str, str], raw: bytes) -> str | None:
        """Why the request is not Slack's, or None when it is. Reads the headers and hashes the bytes;
        never decodes the body."""
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not timestamp or not signature:
            return "no signature"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
            return "a timestamp that is not unix seconds"
        if abs(self.clock() - int(timestamp)) > MAX_SKEW_SECONDS:
            return "a timestamp more than 5 minutes off"
        if not (signature.isascii() and _SIGNATURE.fullmatch(signature)):
            return "a malformed signature"
        base = b"v0:" + timestamp.encode() + b":" + raw
        given = signature.encode()
        for secret in self.secrets:
            expected = b"v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest().encode()
            if hmac.compare_digest(expected, given):
                return None
        return "a wrong signature"


class Unreadable(ValueError):
    """A verified body that is not what Slack sends: answered 400."""


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose signature was verified, with its body parsed."""

    raw: str
    body: dict[str, Any]
    content_type: str
    signature: str
    headers: dict[str, str]
    query: str = ""


def parse(raw_bytes: bytes, content_type: str | None) -> tuple[str, dict[str, Any]]:
    """The text and the fields of a verified body; ``Unreadable`` when it is neither Slack's JSON nor
    its form encoding. Slack sends UTF-8 whatever the header says."""
    try:
        raw = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8") from None
    if not raw.strip():
        raise Unreadable("the body is empty")
    if content_type == JSON_TYPE or raw.startswith("{"):
        return raw, _json_object(raw, "the body")
    try:
        fields = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise Unreadable("the body is not form-encoded") from None
    form: dict[str, Any] = {}
    for key, value in fields:
        form.setdefault(key, value)  # the first value, as Bolt reads forms
    if "payload" in form:
        return raw, _json_object(form["payload"], "payload")
    return raw, form


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Unreadable(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is not a JSON object")
    return value


def bolt_request(verified: VerifiedRequest, context: dict[str, Any] | None = None) -> AsyncBoltRequest:
    """A Bolt request for a verified one, its body already parsed (Bolt does not parse it again)."""
    request = AsyncBoltRequest(
        body="", query=verified.query, headers={**verified.headers, "content-type": verified.content_type}
    )
    request.raw_body = verified.raw
    request.body = verified.body
    request.context = build_async_context(AsyncBoltContext(context or {}), verified.body)
    request.context[_VERIFIED_KEY] = _MARK
    return request


def is_verified(context: Mapping[str, Any] | None) -> bool:
    """Whether a Bolt context belongs to a request built by ``bolt_request`` (so: verified)."""
    return context is not None and context.get(_VERIFIED_KEY) is _MARK


async def require_verified(
    req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[None]]
) -> BoltResponse:
    """Bolt middleware (``before_authorize``): nothing unverified gets past, not even to auth.test."""
    if not is_verified(req.context):
        return BoltResponse(status=401, body=INVALID_REQUEST)
    await next()
    return resp


def content_type_of(request: web.Request) -> str:
    """The media type without parameters; an unknown charset is not even looked at."""
    raw = request.headers.get("Content-Type", "")
    return raw.split(";", 1)[0].strip().lower() or FORM


def to_aiohttp_response(bolt_response: BoltResponse) -> web.Response:
    content_type = bolt_response.headers.pop(
        "content-type", ["application/json" if bolt_response.body.startswith("{") else "text/plain"]
    )[0]
    content_type = re.sub(r";\s*charset=utf-8", "", content_type)
    return web.Response(
        status=bolt_response.status,
        body=bolt_response.body,
        headers=bolt_response.first_headers_without_set_cookie(),
        content_type=content_type,
    )
