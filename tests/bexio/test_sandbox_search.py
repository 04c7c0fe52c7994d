"""`POST …/search`: every criterion, on each endpoint's searchable fields, combined with AND.

Expected results come from plain Python over the sandbox's own tables, written out here
independently of the sandbox's search code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bexio.sandbox import ManualClock, RunningSandbox, build_state, serve_sandbox

Record = dict[str, Any]


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    state = build_state("demo", clock=ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC)))
    async with serve_sandbox(state) as running:
        yield running


@pytest.fixture
async def api(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


async def search_ids(api: httpx.AsyncClient, resource: str, *criteria: dict[str, Any]) -> list[int]:
    response = await api.post(f"/2.0/{resource}/search", params={"limit": 2000}, json=list(criteria))
    assert response.status_code == 200, response.text
    return [record["id"] for record in response.json()]


def active_contacts(sandbox: RunningSandbox) -> list[Record]:
    archived = sandbox.state.archived["contact"]
    return [c for c in sandbox.state.tables["contact"].values() if c["id"] not in archived]


def ids(records: list[Record], keep: Callable[[Record], bool]) -> list[int]:
    return [record["id"] for record in records if keep(record)]


CONTACT_CASES: list[tuple[dict[str, Any], Callable[[Record], bool]]] = [
    ({"field": "name_1", "value": "ag"}, lambda c: "ag" in c["name_1"].lower()),
    ({"field": "name_1", "value": "AG", "criteria": "like"}, lambda c: "ag" in c["name_1"].lower()),
    ({"field": "name_1", "value": "ag", "criteria": "not_like"}, lambda c: "ag" not in c["name_1"].lower()),
    ({"field": "name_1", "value": "BEXIO ag", "criteria": "="}, lambda c: c["name_1"] == "bexio AG"),
    ({"field": "name_1", "value": "bexio AG", "criteria": "equal"}, lambda c: c["name_1"] == "bexio AG"),
    ({"field": "id", "value": 10, "criteria": "!="}, lambda c: c["id"] != 10),
    ({"field": "id", "value": "10", "criteria": "not_equal"}, lambda c: c["id"] != 10),
    ({"field": "id", "value": 50, "criteria": ">"}, lambda c: c["id"] > 50),
    ({"field": "id", "value": 50, "criteria": "greater_than"}, lambda c: c["id"] > 50),
    ({"field": "id", "value": 50, "criteria": ">="}, lambda c: c["id"] >= 50),
    ({"field": "id", "value": 50, "criteria": "greater_equal"}, lambda c: c["id"] >= 50),
    ({"field": "id", "value": 5, "criteria": "<"}, lambda c: c["id"] < 5),
    ({"field": "id", "value": 5, "criteria": "less_than"}, lambda c: c["id"] < 5),
    ({"field": "id", "value": 5, "criteria": "<="}, lambda c: c["id"] <= 5),
    ({"field": "id", "value": 5, "criteria": "less_equal"}, lambda c: c["id"] <= 5),
    ({"field": "nr", "value": 12, "criteria": "="}, lambda c: c["nr"] == "000012"),
    ({"field": "contact_group_ids", "criteria": "is_null"}, lambda c: c["contact_group_ids"] is None),
    ({"field": "contact_group_ids", "criteria": "not_null"}, lambda c: c["contact_group_ids"] is not None),
    ({"field": "contact_group_ids", "value": "6"}, lambda c: "6" in (c["contact_group_ids"] or "\0")),
    ({"field": "id", "value": [2, 3, 999], "criteria": "in"}, lambda c: c["id"] in (2, 3)),
    (
        {"field": "city", "value": ["zürich", "Bern"], "criteria": "in"},
        lambda c: c["city"] in ("Zürich", "Bern"),
    ),
    ({"field": "id", "value": [2, 3], "criteria": "not_in"}, lambda c: c["id"] not in (2, 3)),
    ({"field": "mail_second", "value": "", "criteria": "="}, lambda c: c["mail_second"] == ""),
    (
        {"field": "updated_at", "value": "2026-01-01", "criteria": ">="},
        lambda c: c["updated_at"] >= "2026-01-01",
    ),
]


@pytest.mark.parametrize(("criterion", "expected"), CONTACT_CASES)
async def test_contact_search_criteria(
    api: httpx.AsyncClient,
    sandbox: RunningSandbox,
    criterion: dict[str, Any],
    expected: Callable[[Record], bool],
) -> None:
    wanted = ids(active_contacts(sandbox), expected)
    assert wanted, "the demo data should make every criterion match something"
    assert await search_ids(api, "contact", criterion) == wanted


async def test_conditions_combine_with_and(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    found = await search_ids(
        api,
        "contact",
        {"field": "contact_type_id", "value": 1, "criteria": "="},
        {"field": "city", "value": "zürich", "criteria": "="},
    )
    wanted = ids(active_contacts(sandbox), lambda c: c["contact_type_id"] == 1 and c["city"] == "Zürich")
    assert found == wanted
    assert wanted


async def test_searches_page_and_order_like_lists(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    criterion = [{"field": "name_1", "value": "a"}]
    response = await api.post(
        "/2.0/contact/search", params={"order_by": "name_1_desc", "limit": 5}, json=criterion
    )
    names = [contact["name_1"] for contact in response.json()]
    everything = sorted(
        (c["name_1"] for c in active_contacts(sandbox) if "a" in c["name_1"].lower()),
        key=str.casefold,
        reverse=True,
    )
    assert names == everything[:5]


async def test_other_endpoints_search_their_own_fields(
    api: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    tables = sandbox.state.tables
    timesheets = list(tables["timesheet"].values())
    assert await search_ids(api, "timesheet", {"field": "pr_project_id", "value": 3, "criteria": "="}) == ids(
        timesheets, lambda t: t["pr_project_id"] == 3
    )
    assert (
        await search_ids(api, "timesheet", {"field": "user_id", "value": [1, 2], "criteria": "in"})
        == ids(timesheets, lambda t: t["user_id"] in (1, 2))[:2000]
    )
    projects = list(tables["pr_project"].values())
    assert await search_ids(api, "pr_project", {"field": "name", "value": "website"}) == ids(
        projects, lambda p: "website" in p["name"].lower()
    )
    invoices = list(tables["kb_invoice"].values())
    assert await search_ids(api, "kb_invoice", {"field": "total", "value": "1500", "criteria": ">"}) == ids(
        invoices, lambda i: Decimal(i["total"]) > 1500
    )
    assert await search_ids(api, "contact_group", {"field": "name", "value": "kunden", "criteria": "="}) == [
        6
    ]
    assert await search_ids(api, "language", {"field": "iso_639_1", "value": "fr", "criteria": "="}) == [2]
    accounts = await search_ids(api, "accounts", {"field": "account_type", "value": 1, "criteria": "="})
    assert accounts == ids(list(tables["account"].values()), lambda a: a["account_type"] == 1)


@pytest.mark.parametrize(
    ("resource", "criterion", "message"),
    [
        ("contact", {"field": "remarks", "value": "x"}, "remarks: is not a searchable field here."),
        ("pr_project", {"field": "nr", "value": "1"}, "nr: is not a searchable field here."),
        (
            "timesheet",
            {"field": "date", "value": "2026-01-01", "criteria": ">="},
            "date: is not a searchable",
        ),
        (
            "contact",
            {"field": "name_1", "value": "x", "criteria": "matches"},
            "name_1: unknown criteria 'matches'.",
        ),
        (
            "contact",
            {"field": "id", "value": 3, "criteria": "in"},
            "id: criteria 'in' needs a list of values.",
        ),
        ("contact", {"value": "x"}, "0: every search condition needs a 'field'."),
    ],
)
async def test_invalid_searches_are_refused_with_422(
    api: httpx.AsyncClient, resource: str, criterion: dict[str, Any], message: str
) -> None:
    response = await api.post(f"/2.0/{resource}/search", json=[criterion])
    assert response.status_code == 422
    assert response.json()["error_code"] == 422
    assert response.json()["errors"][0].startswith(message)


async def test_a_search_body_must_be_an_array(api: httpx.AsyncClient) -> None:
    response = await api.post("/2.0/contact/search", json={"field": "name_1", "value": "x"})
    assert response.status_code == 422
