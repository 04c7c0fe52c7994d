"""Fault injection: scripted and seeded failures, partial creates, timeouts, the admin API."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bexio.sandbox import Faults, ManualClock, RunningSandbox, build_state, serve_sandbox

CLIENT_TIMEOUT = httpx.Timeout(10.0, read=2.0)
"""A hang is noticed after 2 s; connecting and sending may take longer on a loaded machine (CI)."""


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    state = build_state("demo", clock=ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC)))
    state.faults.hang_seconds = 20  # far beyond the client's timeout; shutdown ends the hang
    async with serve_sandbox(state) as running:
        yield running


@pytest.fixture
async def api(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers, timeout=CLIENT_TIMEOUT) as client:
        yield client


def invoice(reference: str) -> dict[str, Any]:
    return {
        "contact_id": 2,
        "user_id": 1,
        "api_reference": reference,
        "positions": [
            {
                "type": "KbPositionCustom",
                "amount": "3",
                "unit_price": "150",
                "tax_id": 14,
                "account_id": 121,
                "unit_id": 2,
            }
        ],
    }


def invoices_with(sandbox: RunningSandbox, reference: str) -> list[dict[str, Any]]:
    return [i for i in sandbox.state.tables["kb_invoice"].values() if i["api_reference"] == reference]


async def test_scripted_faults_are_consumed_in_order(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.script("POST /2.0/kb_invoice", [500, "timeout", 201])
    reference = str(uuid.uuid4())

    failed = await api.post("/2.0/kb_invoice", json=invoice(reference))
    assert (failed.status_code, failed.json()) == (
        500,
        {"error_code": 500, "message": "Internal Server Error"},
    )
    assert invoices_with(sandbox, reference) == []

    with pytest.raises(httpx.ReadTimeout):
        await api.post("/2.0/kb_invoice", json=invoice(reference))
    assert invoices_with(sandbox, reference) == []

    created = await api.post("/2.0/kb_invoice", json=invoice(reference))
    assert created.status_code == 201
    assert len(invoices_with(sandbox, reference)) == 1
    assert sandbox.state.faults.scripts == {}
    calls = sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    assert [(call.status, call.fault) for call in calls] == [(500, "500"), (504, "timeout"), (201, None)]


async def test_a_partial_create_stores_the_invoice_but_answers_500(
    api: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.script("POST /2.0/kb_invoice", ["partial"])
    reference = str(uuid.uuid4())
    answer = await api.post("/2.0/kb_invoice", json=invoice(reference))
    assert answer.status_code == 500
    assert "id" not in answer.json()
    (stored,) = invoices_with(sandbox, reference)
    found = await api.post(
        "/2.0/kb_invoice/search", json=[{"field": "api_reference", "value": reference, "criteria": "="}]
    )
    assert [item["id"] for item in found.json()] == [stored["id"]]


async def test_a_timeout_after_the_write_leaves_the_invoice(
    api: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.script("POST /2.0/kb_invoice", ["timeout_after_write"])
    reference = str(uuid.uuid4())
    with pytest.raises(httpx.ReadTimeout):
        await api.post("/2.0/kb_invoice", json=invoice(reference))
    assert len(invoices_with(sandbox, reference)) == 1


async def test_scripts_match_route_patterns(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.script("GET /2.0/contact/{id}", [503])
    assert (await api.get("/2.0/contact")).status_code == 200
    assert (await api.get("/2.0/contact/2")).status_code == 503
    assert (await api.get("/2.0/contact/2")).status_code == 200


async def test_random_faults_replay_with_their_seed(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    faults = sandbox.state.faults

    async def trial() -> list[int]:
        faults.reseed(7)
        return [(await api.get("/2.0/unit")).status_code for _ in range(30)]

    faults.rate_5xx = 0.5
    first, second = await trial(), await trial()
    assert first == second
    assert {200, 500} == set(first)
    faults.rate_5xx, faults.error_status = 0.0, 503


async def test_a_429_storm_carries_rate_limit_headers(
    api: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.rate_429 = 1.0
    storm = [await api.get("/2.0/contact") for _ in range(5)]
    for answer in storm:
        assert answer.status_code == 429
        assert answer.headers["ratelimit-remaining"] == "0"
        assert answer.headers["Retry-After"] == answer.headers["ratelimit-reset"]
    sandbox.state.faults.clear()
    assert (await api.get("/2.0/contact")).status_code == 200


async def test_partial_creates_only_hit_creates(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.rate_partial_create = 1.0
    count = len(sandbox.state.tables["contact"])
    assert (await api.get("/2.0/contact")).status_code == 200
    body = {"contact_type_id": 1, "name_1": "Halb AG", "user_id": 1, "owner_id": 1}
    assert (await api.post("/2.0/contact", json=body)).status_code == 500
    assert len(sandbox.state.tables["contact"]) == count + 1


async def test_added_latency_delays_every_call(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.latency_ms = 150
    started = time.perf_counter()
    assert (await api.get("/2.0/unit")).status_code == 200
    assert time.perf_counter() - started >= 0.15


async def test_the_admin_api_controls_a_sandbox_in_another_process(
    api: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=CLIENT_TIMEOUT) as admin:
        configured = await admin.post(
            "/_sandbox/faults", json={"scripts": {"POST /2.0/kb_invoice": [503, "pass"]}, "latency_ms": 0}
        )
        assert configured.json()["scripts"] == {"POST /2.0/kb_invoice": [503, "pass"]}
        assert (await admin.get("/_sandbox/faults")).json()["scripts"] == {
            "POST /2.0/kb_invoice": [503, "pass"]
        }
        reference = str(uuid.uuid4())
        assert (await api.post("/2.0/kb_invoice", json=invoice(reference))).status_code == 503
        assert (await api.post("/2.0/kb_invoice", json=invoice(reference))).status_code == 201

        calls = (
            await admin.get("/_sandbox/calls", params={"method": "POST", "path": "/2.0/kb_invoice"})
        ).json()
        assert [(call["status"], call["fault"]) for call in calls] == [(503, "503"), (201, None)]
        assert calls[0]["json_body"]["api_reference"] == reference
        assert (await admin.post("/_sandbox/reset-calls")).json()["success"] is True
        assert (await admin.get("/_sandbox/calls")).json() == []

        refused = await admin.post("/_sandbox/faults", json={"rate_5xx": 2})
        assert refused.status_code == 400
        assert "probability" in refused.json()["message"]
        assert (
            await admin.post("/_sandbox/faults", json={"scripts": {"POST /x": ["explode"]}})
        ).status_code == 400

        revoked = await admin.post("/_sandbox/tokens/revoke", json={"token": sandbox.token})
        assert revoked.json() == {"success": True, "revoked": 1}
        assert (await api.get("/2.0/contact")).status_code == 401


def test_fault_settings_are_validated() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="unknown fault settings: rate_fire"):
        faults.update({"rate_fire": 0.1})
    with pytest.raises(ValueError, match="error_status must be a 5xx status"):
        faults.update({"error_status": 404})
    with pytest.raises(ValueError, match="not a fault outcome"):
        faults.script("POST /2.0/kb_invoice", ["boom"])
    with pytest.raises(ValueError, match="script route must look like"):
        faults.script("kb_invoice", [500])
    faults.update({"rate_429": 0.25, "scripts": {"GET /2.0/contact": ["429", "timeout"]}, "seed": 3})
    assert faults.to_json()["scripts"] == {"GET /2.0/contact": [429, "timeout"]}
    assert (faults.rate_429, faults.seed) == (0.25, 3)
    faults.update({"clear": True})
    assert (faults.rate_429, faults.scripts) == (0.0, {})


async def test_gateway_errors_come_as_html(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.script("GET /2.0/contact", [502, 500])
    gateway = await api.get("/2.0/contact")
    assert gateway.status_code == 502
    assert gateway.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in gateway.text
    server = await api.get("/2.0/contact")
    assert (server.status_code, server.json()["error_code"]) == (500, 500)
