"""Translating between aiohttp and Bolt, with the one Bolt bug bxhours must work around.

Bolt 1.30's ``parse_body`` treats any form body that contains the substring ``payload`` as an
interactivity request and reads its ``payload`` field; a slash command such as
``/log-hours 1h Website: API payload check`` therefore parses to ``{}`` and Bolt answers 404
(../shared/slack-payloads.md §1). We build the request as Bolt does and, when that happened to a
plain form (a command), parse it as the form it is. The raw body is untouched, so the signature is
still verified against exactly the bytes Slack sent.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

FORM = "application/x-www-form-urlencoded"


async def to_bolt_request(request: web.Request) -> AsyncBoltRequest:
    raw = await request.text()
    bolt_request = AsyncBoltRequest(body=raw, query=request.query_string, headers=dict(request.headers))
    if _misparsed_form(bolt_request):
        bolt_request.body = dict(parse_qsl(raw, keep_blank_values=True))
        bolt_request.context = build_async_context(AsyncBoltContext(), bolt_request.body)
    return bolt_request


def _misparsed_form(bolt_request: AsyncBoltRequest) -> bool:
    raw = bolt_request.raw_body
    if bolt_request.body or not raw or raw.startswith("{"):
        return False
    if bolt_request.content_type not in (None, FORM):
        return False
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    return "payload" not in fields and bool(fields)


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
