"""POST /bexio/webhook: authentication, validation, 202 and coalescing into durable jobs (issue 7 §1–§4)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from bxhours.fakes.stack import Stack
from storage.models import Job
from webhooks.endpoint import sign
from webhooks.notifications import CHANGE_JOB


def secret(stack: Stack) -> str:
    value = stack.runtime.settings.bexio_webhook_secret
    assert value is not None
    return value.get_secret_value()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def post_signed(
    http: httpx.AsyncClient,
    stack: Stack,
    body: bytes,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
) -> httpx.Response:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Bxhours-Timestamp": ts,
        "X-Bxhours-Signature": signature or sign(secret(stack), ts, body),
    }
    return await http.post(f"{stack.url}/bexio/webhook", content=body, headers=headers)


async def change_jobs(stack: Stack) -> list[Job]:
    async with stack.runtime.db.system_session() as session:
        return list(await session.scalars(select(Job).where(Job.kind == CHANGE_JOB).order_by(Job.id)))


@pytest.fixture
async def quiet_stack(stack: Stack) -> Stack:
    """Queued change jobs must stay visible: keep the stack's worker from running them."""
    stack.runtime.worker.handlers.pop(CHANGE_JOB, None)
    stack.runtime.worker.concurrency = 0
    return stack


async def test_valid_signature_is_accepted_with_202(http: httpx.AsyncClient, quiet_stack: Stack) -> None:
    body = json.dumps({"resource": "contact", "id": 7, "action": "updated"}).encode()
    response = await post_signed(http, quiet_stack, body)
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "jobs": 1}
    jobs = await change_jobs(quiet_stack)
    assert [(j.dedup_key, j.payload) for j in jobs] == [
        ("contact:7", {"resource": "contact", "id": 7, "action": "updated"})
    ]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong", "signature does not match"),
        ("missing", "missing X-Bxhours-Timestamp"),
        ("stale", "more than 5 minutes"),
        ("future", "more than 5 minutes"),
        ("not-a-number", "unix seconds"),
        ("400-digits", "unix seconds"),
    ],
)
async def test_bad_signatures_are_401_and_queue_nothing(
    http: httpx.AsyncClient, quiet_stack: Stack, case: str, expected: str
) -> None:
    body = b'{"resource": "contact", "id": 7}'
    now = int(time.time())
    if case == "wrong":
        response = await post_signed(http, quiet_stack, body, signature="sha256=" + "0" * 64)
    elif case == "missing":
        response = await http.post(f"{quiet_stack.url}/bexio/webhook", content=body)
    elif case == "not-a-number":
        headers = {"X-Bxhours-Timestamp": "yesterday", "X-Bxhours-Signature": "sha256=00"}
        response = await http.post(f"{quiet_stack.url}/bexio/webhook", content=body, headers=headers)
    elif case == "400-digits":  # issue 12 §2: was an OverflowError and a 500
        response = await post_signed(http, quiet_stack, body, timestamp=int("9" * 400))
    else:
        ts = now - 301 if case == "stale" else now + 301
        # Correctly signed, but replayed: the timestamp is part of what is signed.
        response = await post_signed(http, quiet_stack, body, timestamp=ts)
    assert response.status_code == 401
    assert expected in response.json()["error"]
    assert await change_jobs(quiet_stack) == []


async def test_a_body_changed_after_signing_is_refused(http: httpx.AsyncClient, quiet_stack: Stack) -> None:
    ts = str(int(time.time()))
    signature = sign(secret(quiet_stack), ts, b'{"resource":"contact","id":7}')
    headers = {"X-Bxhours-Timestamp": ts, "X-Bxhours-Signature": signature}
    response = await http.post(
        f"{quiet_stack.url}/bexio/webhook", content=b'{"resource":"contact","id":8}', headers=headers
    )
    assert response.status_code == 401


async def test_path_token(
    http: httpx.AsyncClient, quiet_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = secret(quiet_stack)
    good = await http.post(f"{quiet_stack.url}/bexio/webhook/{token}", json={"resource": "project", "id": 3})
    bad = await http.post(
        f"{quiet_stack.url}/bexio/webhook/not-the-token", json={"resource": "project", "id": 3}
    )
    assert good.status_code == 202
    assert bad.status_code == 401
    assert bad.json() == {"error": "the token in the URL is not valid"}
    assert [j.dedup_key for j in await change_jobs(quiet_stack)] == ["project:3"]
    # The access log line is written just after the response went out: wait for it.
    for _ in range(100):
        access_lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
        if sum("/bexio/webhook/***" in line for line in access_lines) >= 2:
            break
        await asyncio.sleep(0.02)
    assert sum("/bexio/webhook/***" in line for line in access_lines) >= 2
    server_lines = [
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    ]  # httpx = this test
    assert not [line for line in server_lines if token in line]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"resource": "article", "id": 1}', "resource must be one of contact, project"),
        (b'{"resource": "contact", "id": "7"}', "id must be a positive integer"),
        (b'{"resource": "contact", "id": true}', "id must be a positive integer"),
        (
            b'{"resource": "contact", "id": 7, "action": "archived"}',
            "action must be created, updated or deleted",
        ),
        (b"[]", "at least one notification"),
        (b'[{"resource": "contact"}, 5]', "notification 1 must be a JSON object"),
        (json.dumps([{"resource": "contact", "id": i + 1} for i in range(1001)]).encode(), "at most 1000"),
        # issue 12 §2: each of these was a 500
        (b'{"resource": "contact", "id": 9223372036854775808}', "below 2^63"),
        (b'{"resource": "contact", "id": ' + b"7" * 5000 + b"}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=lambda value: value[:40] if isinstance(value, bytes) else None,
)
async def test_malformed_bodies_are_400_with_a_reason(
    http: httpx.AsyncClient, quiet_stack: Stack, body: bytes, expected: str
) -> None:
    response = await post_signed(http, quiet_stack, body)
    assert response.status_code == 400
    assert expected in response.json()["error"]
    assert await change_jobs(quiet_stack) == []


async def test_too_large_body_is_413(http: httpx.AsyncClient, quiet_stack: Stack) -> None:
    body = b'{"resource": "contact", "id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = await post_signed(http, quiet_stack, body)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


async def test_burst_about_few_entities_coalesces(http: httpx.AsyncClient, quiet_stack: Stack) -> None:
    notes = [{"resource": "contact", "id": 1 + (i % 50), "action": "updated"} for i in range(2000)]
    notes += [{"resource": "tax"}] * 10  # the whole resource
    bodies = [json.dumps(notes[i : i + 100]).encode() for i in range(0, len(notes), 100)]
    responses = await asyncio.gather(*(post_signed(http, quiet_stack, body) for body in bodies))
    assert {r.status_code for r in responses} == {202}
    async with quiet_stack.runtime.db.system_session() as session:
        count = await session.scalar(select(func.count()).select_from(Job).where(Job.kind == CHANGE_JOB))
    assert count == 51
    keys = {j.dedup_key for j in await change_jobs(quiet_stack)}
    assert "tax:*" in keys
    assert "contact:50" in keys
