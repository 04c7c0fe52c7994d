"""Helpers of the front-door tests (issue 12 §1–§3, §9): raw requests to the real endpoint, and what
they must not leave behind."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from sqlalchemy import func, select

from bxhours.fakes.stack import SIGNING_SECRET, Stack
from storage.models import Expense, Job, SlackRequest, TimeEntry


@dataclass
class Footprint:
    """Everything a request could leave behind: Slack calls, response_url posts, rows, jobs."""

    calls: int
    hooks: int
    requests: int
    entries: int
    expenses: int
    jobs: int


async def footprint(stack: Stack) -> Footprint:
    db = stack.runtime.db
    async with db.system_session() as session:
        requests = await session.scalar(select(func.count()).select_from(SlackRequest))
        jobs = await session.scalar(select(func.count()).select_from(Job))
    async with db.session(stack.tenant_id) as session:
        entries = await session.scalar(select(func.count()).select_from(TimeEntry))
        expenses = await session.scalar(select(func.count()).select_from(Expense))
    return Footprint(
        len(stack.fake.calls),
        len(stack.fake.hooks),
        int(requests or 0),
        int(entries or 0),
        int(expenses or 0),
        int(jobs or 0),
    )


async def settled(stack: Stack) -> None:
    """Give anything a request might have started the time to show (handlers run after the ack)."""
    await asyncio.sleep(0.3)
    await stack.runtime.drain(5)


async def post_raw(
    stack: Stack, body: bytes, headers: Mapping[str, str | bytes] | None = None, path: str = "/slack/events"
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(stack.url + path, content=body, headers=dict(headers or {}))


def signed_headers(
    body: bytes | str,
    content_type: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | str | None = None,
) -> dict[str, str]:
    """Headers that sign exactly these bytes, as Slack would."""
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest}",
    }


def command_body(
    stack: Stack, text: str, *, user_id: str, response_url: str | None = None, command: str = "/log-hours"
) -> str:
    return urlencode(
        {
            "token": "deprecated",
            "team_id": stack.fake.team_id,
            "channel_id": "C0GENERAL",
            "user_id": user_id,
            "user_name": "someone",
            "command": command,
            "text": text,
            "response_url": response_url or stack.fake.response_url("commands"),
            "trigger_id": f"1.{int(time.time())}.front-door",
        }
    )


def interactive_body(payload: dict[str, Any]) -> str:
    return "payload=" + quote(json.dumps(payload))


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.exc_info is not None or "Traceback" in record.getMessage()
    ]


def warnings(caplog: pytest.LogCaptureFixture, logger: str = "bot.front_door") -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno >= logging.WARNING]
