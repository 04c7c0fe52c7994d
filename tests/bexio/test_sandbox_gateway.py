"""The sandbox's gateway: headers, auth, scopes, rate limits, paging and ordering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bexio.sandbox import ManualClock, RunningSandbox, build_state, serve_sandbox
from bexio.scopes import BXHOURS_SCOPES

ACCEPT = {"Accept": "application/json"}


@pytest.fixture
def clock() -> ManualClock:
    # 10 seconds into a minute: the rate-limit window resets in 50 s.
    return ManualClock(datetime(2026, 6, 18, 12, 55, 10, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo", clock=clock)) as running:
        yield running


@pytest.fixture
async def api(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {**ACCEPT, "Authorization": f"Bearer {sandbox.token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


async def test_missing_or_wrong_accept_header_is_refused_with_415(api: httpx.AsyncClient) -> None:
    for accept in ("*/*", "text/html", ""):
        response = await api.get("/2.0/contact", headers={"Accept": accept})
        assert response.status_code == 415
        assert response.json() == {"message": "You did not specify a valid Accept-Header"}
    assert (
        await api.get("/2.0/contact", headers={"Accept": "application/json, text/plain"})
    ).status_code == 200


async def test_bad_tokens_get_bexios_401(sandbox: RunningSandbox, clock: ManualClock) -> None:
    state = sandbox.state
    short_lived = state.issue_pat()
    revoked = state.issue_pat()
    state.tokens.revoke(revoked)
    clock.advance(days=59)
    async with httpx.AsyncClient(base_url=sandbox.url, headers=ACCEPT) as client:
        assert (
            await client.get("/2.0/contact", headers={"Authorization": f"Bearer {short_lived}"})
        ).status_code == 200
        clock.advance(days=1, seconds=1)  # a personal access token lives 60 days
        for headers in (
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": f"Bearer {short_lived}"},
            {"Authorization": f"Bearer {revoked}"},
            {"Authorization": f"Basic {sandbox.token}"},
        ):
            response = await client.get("/2.0/contact", headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error_code": 401, "message": "Invalid token."}
        assert (
            await client.get("/2.0/contact", headers={"Authorization": f"Bearer {sandbox.token}"})
        ).is_success


async def chunked(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_a_body_without_content_length_is_refused_with_411(api: httpx.AsyncClient) -> None:
    # A streamed body goes out chunked, without Content-Length.
    response = await api.post(
        "/2.0/contact/search",
        content=chunked(b'[{"field":"name_1","value":"AG"}]'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 411
    assert response.json() == {"error_code": 411, "message": "Length Required"}
    assert (
        await api.post("/2.0/contact/search", json=[{"field": "name_1", "value": "AG"}])
    ).status_code == 200


async def test_scopes_are_enforced_and_write_implies_read(sandbox: RunningSandbox) -> None:
    state = sandbox.state

    def oauth_token(*scopes: str) -> str:
        return state.tokens.issue_oauth_access(
            state.now(),
            client_id="test",
            scopes=frozenset(scopes),
            user_id=1,
            lifetime=state.settings.oauth_access_lifetime,
        ).token

    reader, writer = oauth_token("contact_show"), oauth_token("contact_edit")
    async with httpx.AsyncClient(base_url=sandbox.url, headers=ACCEPT) as client:

        async def status(token: str, method: str, path: str) -> int:
            response = await client.request(
                method,
                path,
                headers={"Authorization": f"Bearer {token}"},
                json={} if method == "POST" else None,
            )
            return response.status_code

        assert await status(reader, "GET", "/2.0/contact") == 200
        assert await status(reader, "GET", "/3.0/users") == 200  # bexio's pseudo-scope "general"
        assert await status(reader, "POST", "/2.0/contact") == 403
        assert await status(reader, "GET", "/2.0/kb_invoice") == 403
        assert await status(writer, "GET", "/2.0/contact") == 200
        assert await status(writer, "POST", "/2.0/contact") == 422  # allowed; the empty body is refused
        refusal = await client.get("/2.0/timesheet", headers={"Authorization": f"Bearer {reader}"})
        assert refusal.json()["error_code"] == 403
        assert "monitoring_show" in refusal.json()["message"]


async def test_the_scopes_bxhours_asks_for_cover_every_call_it_makes(sandbox: RunningSandbox) -> None:
    """bxhours creates a customer's bexio contact when it first invoices them: that needs
    ``contact_edit``, which the research's suggested scope list lacked (a 403 on a real account)."""
    state = sandbox.state
    token = state.tokens.issue_oauth_access(
        state.now(),
        client_id="test",
        scopes=frozenset(BXHOURS_SCOPES),
        user_id=1,
        lifetime=state.settings.oauth_access_lifetime,
    ).token
    headers = {**ACCEPT, "Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        for path in (
            "/2.0/contact",
            "/2.0/pr_project",
            "/2.0/timesheet",
            "/2.0/client_service",
            "/2.0/accounts",
            "/3.0/taxes",
            "/3.0/banking/accounts",
            "/2.0/kb_invoice",
        ):
            assert (await client.get(path)).status_code == 200, path
        contact = await client.post(
            "/2.0/contact", json={"contact_type_id": 1, "name_1": "Neukunde AG", "user_id": 1, "owner_id": 1}
        )
        assert contact.status_code == 201, contact.text
        invoice = await client.post(
            "/2.0/kb_invoice", json={"contact_id": contact.json()["id"], "user_id": 1}
        )
        assert invoice.status_code == 201, invoice.text


async def test_every_answer_carries_the_rate_limit_headers(api: httpx.AsyncClient) -> None:
    answers = [
        await api.get("/2.0/contact"),
        await api.get("/2.0/contact/999999"),
        await api.post("/2.0/contact", json={}),
        await api.get("/2.0/contact", headers={"Accept": "*/*"}),
        await api.put("/2.0/kb_invoice/1", json={}),
    ]
    assert [answer.status_code for answer in answers] == [200, 404, 422, 415, 405]
    remaining = []
    for answer in answers:
        assert answer.headers["ratelimit-limit"] == answer.headers["x-ratelimit-limit-minute"] == "1000"
        assert answer.headers["ratelimit-remaining"] == answer.headers["x-ratelimit-remaining-minute"]
        assert answer.headers["ratelimit-reset"] == "50"
        remaining.append(int(answer.headers["ratelimit-remaining"]))
    assert remaining == [999, 998, 997, 996, 995]


async def test_past_the_minutes_budget_bexio_answers_429_until_the_window_resets(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    search = [{"field": "name_1", "value": "AG"}]
    for expected_remaining in range(249, -1, -1):
        response = await api.post("/2.0/contact/search", json=search)
        assert response.status_code == 200
        assert response.headers["ratelimit-remaining"] == str(expected_remaining)
    refused = await api.post("/2.0/contact/search", json=search)
    assert refused.status_code == 429
    assert refused.headers["ratelimit-limit"] == "250"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["Retry-After"] == refused.headers["ratelimit-reset"] == "50"
    # Counters are per route group: the 1000/min budget is untouched by contact searches.
    other = await api.get("/2.0/contact")
    assert other.status_code == 200
    assert other.headers["ratelimit-remaining"] == "999"

    clock.advance(49)
    assert (await api.post("/2.0/contact/search", json=search)).status_code == 429
    clock.advance(1)
    renewed = await api.post("/2.0/contact/search", json=search)
    assert renewed.status_code == 200
    assert renewed.headers["ratelimit-remaining"] == "249"
    assert renewed.headers["ratelimit-reset"] == "60"


async def test_invoice_search_and_pdf_share_the_250_budget(api: httpx.AsyncClient) -> None:
    for _ in range(125):
        assert (
            await api.post("/2.0/kb_invoice/search", json=[{"field": "title", "value": "x"}])
        ).status_code == 200
        assert (await api.get("/2.0/kb_invoice/1/pdf")).status_code == 200
    assert (await api.get("/2.0/kb_invoice/1/pdf")).status_code == 429
    assert (await api.get("/2.0/kb_invoice/1")).status_code == 200


async def test_3_0_lists_carry_totals_and_2_0_lists_are_bare_arrays(api: httpx.AsyncClient) -> None:
    users = await api.get("/3.0/users", params={"limit": 4, "offset": 2})
    assert (users.headers["X-Limit"], users.headers["X-Offset"], users.headers["X-Total-Count"]) == (
        "4",
        "2",
        "15",
    )
    assert [user["id"] for user in users.json()] == [3, 4, 5, 6]
    assert "X-Total-Count" not in (await api.get("/3.0/taxes")).headers
    contacts = await api.get("/2.0/contact")
    assert isinstance(contacts.json(), list)
    assert "X-Total-Count" not in contacts.headers


async def test_paging_defaults_to_500_caps_at_2000_and_walks_with_offset(api: httpx.AsyncClient) -> None:
    assert len((await api.get("/2.0/timesheet")).json()) == 500
    pages = []
    offset = 0
    while True:
        page = (await api.get("/2.0/timesheet", params={"limit": 5000, "offset": offset})).json()
        pages.append(len(page))
        offset += len(page)
        if len(page) < 2000:
            break
    assert pages == [2000, 2000, 2000, 0]
    ids = [
        record["id"]
        for offset in (0, 2000, 4000)
        for record in (await api.get("/2.0/timesheet", params={"limit": 2000, "offset": offset})).json()
    ]
    assert ids == sorted(set(ids))
    assert len(ids) == 6000
    bad = await api.get("/2.0/timesheet", params={"limit": "many"})
    assert bad.status_code == 422
    assert "limit" in bad.json()["message"]


async def test_order_by_follows_each_endpoints_whitelist(api: httpx.AsyncClient) -> None:
    names = [c["name_1"] for c in (await api.get("/2.0/contact", params={"order_by": "name_1_desc"})).json()]
    assert names == sorted(names, key=str.casefold, reverse=True)
    dated = (await api.get("/2.0/timesheet", params={"order_by": "date_desc,id", "limit": 50})).json()
    keys = [(record["date"], -record["id"]) for record in dated]
    assert keys == sorted(keys, reverse=True)
    refused = await api.get("/2.0/contact", params={"order_by": "mail"})
    assert refused.status_code == 422
    assert "order_by" in refused.json()["message"]
    assert (await api.get("/2.0/pr_project", params={"order_by": "updated_at"})).status_code == 422


async def test_unknown_routes_and_verbs_answer_in_json(api: httpx.AsyncClient) -> None:
    missing = await api.get("/2.0/no_such_resource")
    assert (missing.status_code, missing.json()) == (404, {"error_code": 404, "message": "Page not found"})
    assert (await api.get("/2.0/client_service/1")).status_code == 404  # bexio has no GET by id here
    put = await api.put("/2.0/kb_invoice/1", json={"title": "x"})
    assert (put.status_code, put.json()["error_code"]) == (405, 405)


async def test_every_call_is_recorded_with_its_route(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    await api.get("/2.0/contact/2")
    await api.post("/2.0/contact/search", json=[{"field": "city", "value": "Zürich"}])
    await api.get("/2.0/contact/3", headers={"Authorization": "Bearer nope"})
    calls = sandbox.state.calls_to("GET", "/2.0/contact/{id}")
    assert [(call.path, call.status) for call in calls] == [("/2.0/contact/2", 200), ("/2.0/contact/3", 401)]
    (search,) = sandbox.state.calls_to("POST", "/2.0/contact/search")
    assert search.json_body == [{"field": "city", "value": "Zürich"}]
    assert search.at == sandbox.state.now()
    sandbox.state.reset_calls()
    assert sandbox.state.calls == []
