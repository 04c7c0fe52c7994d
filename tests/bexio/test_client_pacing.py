"""The pacer follows bexio's own rate-limit headers and a local budget, on a fake clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.pacing import Pacer, RouteClass, route_class
from bexio.search import Criterion
from bexio.testing import FakeTime

BASE = "https://api.bexio.test"


def answer(remaining: int, reset: int, limit: int = 1000, body: object = None) -> httpx.Response:
    return httpx.Response(
        200,
        json=[{"id": 1, "name": "Stk"}] if body is None else body,
        headers={
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
            "x-ratelimit-limit-minute": str(limit),
            "x-ratelimit-remaining-minute": str(remaining),
        },
    )


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pacer(fake_time: FakeTime) -> Pacer:
    return Pacer(clock=fake_time.clock, sleep=fake_time.sleep)


@pytest.fixture
async def client(fake_time: FakeTime, pacer: Pacer) -> AsyncIterator[BexioClient]:
    async with BexioClient(
        BASE, StaticTokenAuth("pat"), pacer=pacer, sleep=fake_time.sleep, rng=random.Random(1)
    ) as bexio:
        yield bexio


@pytest.fixture
def bexio_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/2.0/contact", RouteClass.GENERAL),
        ("/2.0/contact/search", RouteClass.LIMITED),
        ("/2.0/kb_invoice/12/pdf", RouteClass.LIMITED),
        ("/2.0/kb_invoice/12", RouteClass.GENERAL),
        ("/2.0/searchable_thing", RouteClass.GENERAL),
    ],
)
def test_search_and_pdf_routes_have_their_own_budget(path: str, expected: RouteClass) -> None:
    assert route_class(path) is expected


async def test_one_call_left_waits_for_the_reset(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    bexio_api.get("/2.0/unit").mock(
        side_effect=[answer(remaining=1, reset=30), answer(remaining=999, reset=60)]
    )

    await client.units.list()
    assert fake_time.sleeps == []
    await client.units.list()

    assert fake_time.total_slept == pytest.approx(30, abs=0.5)


async def test_nothing_left_waits_for_the_reset(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    bexio_api.get("/2.0/unit").mock(
        side_effect=[answer(remaining=0, reset=12), answer(remaining=999, reset=60)]
    )

    await client.units.list()
    await client.units.list()

    assert fake_time.total_slept == pytest.approx(12)
    assert client.stats.waited_seconds == pytest.approx(12)


async def test_plenty_left_means_no_wait(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    bexio_api.get("/2.0/unit").mock(return_value=answer(remaining=937, reset=46))

    for _ in range(20):
        await client.units.list()

    assert fake_time.sleeps == []


async def test_few_left_are_spread_over_the_window(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    # 10 of 1000 left, 50 s to go: one call every ~5 s instead of ten at once and then 429s.
    responses = [answer(remaining=10 - n, reset=50 - 5 * n) for n in range(10)]
    bexio_api.get("/2.0/unit").mock(side_effect=responses)

    start = fake_time.now
    for _ in range(10):
        await client.units.list()

    elapsed = fake_time.now - start
    assert 40 <= elapsed <= 50
    assert max(fake_time.sleeps) <= 5.5


async def test_spreading_uses_the_limit_bexio_reports(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    # 40 of 250 left on the search route is 16 %: below the 20 % line, so calls get spread.
    bexio_api.post("/2.0/contact/search").mock(
        return_value=answer(remaining=40, reset=40, limit=250, body=[])
    )

    await client.contacts.search([Criterion("name_1", "like", "a")])
    await client.contacts.search([Criterion("name_1", "like", "a")])

    assert fake_time.total_slept == pytest.approx(1.0, abs=0.01)


async def test_a_hold_delays_only_its_route_class(pacer: Pacer, fake_time: FakeTime) -> None:
    pacer.hold(RouteClass.GENERAL, 25)

    waited_limited = await pacer.acquire(RouteClass.LIMITED)
    waited_general = await pacer.acquire(RouteClass.GENERAL)

    assert waited_limited == 0
    assert waited_general == pytest.approx(25)


async def test_local_bucket_caps_a_burst_at_the_per_minute_rate(pacer: Pacer, fake_time: FakeTime) -> None:
    start = fake_time.now
    for _ in range(250):
        await pacer.acquire(RouteClass.LIMITED)
    elapsed = fake_time.now - start

    # 25 calls of burst, then 250/min = one call every 0.24 s.
    assert elapsed == pytest.approx((250 - 25) * 60 / 250, rel=0.01)


async def test_general_bucket_allows_1000_per_minute(pacer: Pacer, fake_time: FakeTime) -> None:
    start = fake_time.now
    for _ in range(1100):
        await pacer.acquire(RouteClass.GENERAL)

    assert fake_time.now - start == pytest.approx((1100 - 100) * 60 / 1000, rel=0.01)


async def test_concurrent_callers_share_one_budget(pacer: Pacer, fake_time: FakeTime) -> None:
    pacer.observe(RouteClass.GENERAL, {"ratelimit-remaining": "0", "ratelimit-reset": "10"})

    waits = await asyncio.gather(*(pacer.acquire(RouteClass.GENERAL) for _ in range(5)))

    assert all(wait == pytest.approx(10) for wait in waits)
    assert fake_time.now == pytest.approx(1010)
