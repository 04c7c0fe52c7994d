"""Paging and search through the real client, with respx replaying recorded bexio answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import respx
from pydantic import TypeAdapter

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.models import Contact, Tax, User
from bexio.pacing import Pacer
from bexio.search import Criterion
from bexio.testing import FakeTime
from tests.bexio.recorded import SHARED

BASE = "https://api.bexio.test"
TOKEN = "pat-for-paging-tests"


def recorded(name: str) -> tuple[int, dict[str, str], str]:
    raw = json.loads((SHARED / "bexio-recorded" / name).read_text(encoding="utf-8"))
    headers = {key: value for key, value in raw["headers"].items() if key.lower() != "content-length"}
    return raw["statusCode"], headers, raw["data"]


def slicing(records: list[Any], headers: dict[str, str], *, total_count: bool) -> Any:
    """A bexio list endpoint over ``records``: honours limit/offset like bexio does."""

    def handler(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        extra = {"x-total-count": str(len(records)), "x-limit": str(limit), "x-offset": str(offset)}
        return httpx.Response(
            200, json=records[offset : offset + limit], headers={**headers, **(extra if total_count else {})}
        )

    return handler


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def client(fake_time: FakeTime) -> AsyncIterator[BexioClient]:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    async with BexioClient(
        BASE, StaticTokenAuth(TOKEN), pacer=pacer, sleep=fake_time.sleep, rng=random.Random(7)
    ) as bexio:
        yield bexio


@pytest.fixture
def bexio_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_2_0_list_asks_for_2000_and_stops_on_a_short_page(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    status, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    route = bexio_api.get("/2.0/contact").mock(
        return_value=httpx.Response(status, headers=headers, text=body)
    )

    contacts = await client.contacts.all()

    assert len(contacts) == len(json.loads(body))
    assert all(isinstance(contact, Contact) for contact in contacts)
    assert route.call_count == 1
    params = route.calls.last.request.url.params
    assert (params["limit"], params["offset"]) == ("2000", "0")


async def test_paging_walks_offsets_until_the_short_page(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    _, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    records = json.loads(body)  # 16 contacts
    route = bexio_api.get("/2.0/contact").mock(side_effect=slicing(records, headers, total_count=False))
    client.page_size = 5

    sizes = [len(page) async for page in client.contacts.pages()]

    assert sizes == [5, 5, 5, 1]
    assert [call.request.url.params["offset"] for call in route.calls] == ["0", "5", "10", "15"]


async def test_a_full_last_page_costs_one_empty_call_on_2_0(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    _, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    records = json.loads(body)[:10]
    route = bexio_api.get("/2.0/contact").mock(side_effect=slicing(records, headers, total_count=False))
    client.page_size = 5

    assert [len(page) async for page in client.contacts.pages()] == [5, 5]
    assert route.call_count == 3  # 2.0 has no total: only the empty page proves the end


async def test_3_0_total_count_saves_the_extra_call(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    _, headers, body = recorded("Users/fetch-a-list-of-users.json")
    template = json.loads(body)[0]
    users = [{**template, "id": n, "email": f"u{n}@example.ch"} for n in range(1, 5)]
    route = bexio_api.get("/3.0/users").mock(side_effect=slicing(users, headers, total_count=True))
    client.page_size = 2

    listed = await client.users.list()

    assert [user.id for user in listed] == [1, 2, 3, 4]
    assert route.call_count == 2


async def test_recorded_3_0_answer_with_total_count_needs_one_call(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    status, headers, body = recorded("Users/fetch-a-list-of-users.json")
    assert headers["x-total-count"] == "1"
    route = bexio_api.get("/3.0/users").mock(return_value=httpx.Response(status, headers=headers, text=body))

    users = await client.users.list()

    assert users == [User.model_validate(json.loads(body)[0])]
    assert route.call_count == 1


async def test_taxes_without_total_count_page_like_2_0(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    status, headers, body = recorded("Taxes/fetch-a-list-of-taxes-scoped_active-types_sales_tax.json")
    assert "x-total-count" not in headers
    route = bexio_api.get("/3.0/taxes").mock(return_value=httpx.Response(status, headers=headers, text=body))

    taxes = await client.taxes.list(scope="active", types="sales_tax", date=date(2026, 6, 18))

    assert [tax.code for tax in taxes] == ["UN81", "UR26"]
    assert all(isinstance(tax, Tax) for tax in taxes)
    params = route.calls.last.request.url.params
    assert (params["scope"], params["types"], params["date"]) == ("active", "sales_tax", "2026-06-18")


async def test_pages_are_fetched_only_when_the_caller_asks(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    _, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    route = bexio_api.get("/2.0/contact").mock(
        side_effect=slicing(json.loads(body), headers, total_count=False)
    )
    client.page_size = 4

    calls_seen = []
    async for page in client.contacts.pages(order_by="name_1_desc"):
        assert len(page) == 4
        calls_seen.append(route.call_count)
        if len(calls_seen) == 2:
            break

    assert calls_seen == [1, 2]  # streaming: nothing is read ahead or buffered
    assert route.call_count == 2  # stopping early costs no further call
    assert route.calls.last.request.url.params["order_by"] == "name_1_desc"


async def test_archived_contacts_are_asked_for_explicitly(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    route = bexio_api.get("/2.0/contact").mock(return_value=httpx.Response(200, json=[]))

    assert await client.contacts.all() == []
    assert "show_archived" not in route.calls.last.request.url.params
    assert await client.contacts.all(show_archived=True) == []
    assert route.calls.last.request.url.params["show_archived"] == "true"


async def test_search_posts_criteria_and_pages(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    _, headers, body = recorded("Invoices/search-invoices.json")
    invoices = json.loads(body)
    route = bexio_api.post("/2.0/kb_invoice/search").mock(
        side_effect=slicing(invoices, headers, total_count=False)
    )
    client.page_size = 3
    criteria = [Criterion("kb_item_status_id", "=", 7), Criterion("updated_at", ">=", "2026-06-18 14:00:00")]

    found = await client.invoices.search(criteria, order_by="updated_at_desc")

    assert [invoice.id for invoice in found] == [invoice["id"] for invoice in invoices]
    request = route.calls.last.request
    assert json.loads(request.content) == [
        {"field": "kb_item_status_id", "value": 7, "criteria": "="},
        {"field": "updated_at", "value": "2026-06-18 14:00:00", "criteria": ">="},
    ]
    assert request.headers["content-type"] == "application/json"
    assert request.url.params["order_by"] == "updated_at_desc"
    assert route.call_count == len(invoices) // 3 + 1  # full pages, then the short (or empty) one


async def test_every_call_sends_accept_and_bearer(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    bexio_api.get("/2.0/unit").mock(return_value=httpx.Response(200, json=[{"id": 1, "name": "Stk"}]))
    bexio_api.post("/2.0/contact_group").mock(
        return_value=httpx.Response(201, json={"id": 7, "name": "Kunden"})
    )

    await client.units.list()
    group = await client.contact_groups.create("Kunden")

    assert group.name == "Kunden"
    for call in bexio_api.calls:
        assert call.request.headers["accept"] == "application/json"
        assert call.request.headers["authorization"] == f"Bearer {TOKEN}"
    create = bexio_api.calls.last.request
    assert create.headers["content-type"] == "application/json"
    assert int(create.headers["content-length"]) == len(create.content)


async def test_stats_count_calls_per_route_and_bytes(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    status, headers, body = recorded("Invoices/fetch-an-invoice.json")
    bexio_api.get(path__regex=r"^/2\.0/kb_invoice/\d+$").mock(
        return_value=httpx.Response(status, headers=headers, text=body)
    )

    await client.invoices.get(1)
    await client.invoices.get(2)

    assert client.stats.calls == {"GET /2.0/kb_invoice/{id}": 2}
    assert client.stats.total_calls == 2
    assert client.stats.bytes_received == 2 * len(body.encode())
    assert client.stats.retries == 0


# --- reading ahead (issue 18 §3) ---------------------------------------------------------------------


async def _read_ahead(client: BexioClient, path: str, ahead: int) -> list[int]:
    sizes = []
    async for page in client.pages(path, TypeAdapter(list[Contact]), ahead=ahead):
        sizes.append(len(page))
    return sizes


@pytest.mark.parametrize(
    ("records", "ahead", "calls", "at_most"),
    [
        (3, 3, 1, 1),  # fits one page: one call, nothing read ahead
        (13, 3, 3, 4),  # 5, 5, 3: the ramp reads one page ahead after the first, so at most one is wasted
        (20, 3, 5, 7),  # four full pages: the empty fifth proves the end, at most two more are wasted
        (20, 0, 5, 5),  # ahead=0 is the plain walk
    ],
)
async def test_reading_ahead_returns_the_same_pages_and_wastes_at_most_ahead_calls(
    client: BexioClient, bexio_api: respx.MockRouter, records: int, ahead: int, calls: int, at_most: int
) -> None:
    _, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    contacts = [{**json.loads(body)[0], "id": i + 1} for i in range(records)]
    route = bexio_api.get("/2.0/contact").mock(side_effect=slicing(contacts, headers, total_count=False))
    client.page_size = 5

    sizes = await _read_ahead(client, "/2.0/contact", ahead)

    assert sizes == [5] * (records // 5) + ([records % 5] if records % 5 else [])
    assert calls <= route.call_count <= at_most


async def test_reading_ahead_never_passes_a_known_total(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    _, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    contacts = [{**json.loads(body)[0], "id": i + 1} for i in range(20)]
    route = bexio_api.get("/3.0/users").mock(side_effect=slicing(contacts, headers, total_count=True))
    client.page_size = 5

    assert await _read_ahead(client, "/3.0/users", 3) == [5, 5, 5, 5]
    assert route.call_count == 4  # X-Total-Count: not one call wasted


async def test_a_caller_that_stops_early_leaves_nothing_running(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    _, headers, body = recorded("Contacts/fetch-a-list-of-contacts.json")
    contacts = [{**json.loads(body)[0], "id": i + 1} for i in range(50)]
    bexio_api.get("/2.0/contact").mock(side_effect=slicing(contacts, headers, total_count=False))
    client.page_size = 5
    pages = client.pages("/2.0/contact", TypeAdapter(list[Contact]), ahead=3)
    async with contextlib.aclosing(pages):
        async for _page in pages:
            break
    await asyncio.sleep(0)
    assert [task for task in asyncio.all_tasks() if "request" in repr(task.get_coro())] == []
