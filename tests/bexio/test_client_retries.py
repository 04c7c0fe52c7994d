"""429s, 5xx bursts, timeouts and error answers, replayed through the real client."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.errors import (
    BexioAuthError,
    BexioError,
    BexioNotFound,
    BexioPermissionError,
    BexioRateLimited,
    BexioUnavailable,
    BexioUnexpectedResponse,
    BexioValidationError,
    BexioWriteUncertain,
)
from bexio.pacing import Pacer
from bexio.payloads import ContactCreate, InvoiceCreate, KbPositionCustomCreate
from bexio.testing import FakeTime
from tests.bexio.recorded import SHARED

BASE = "https://api.bexio.test"
MAX_RETRIES = 3


def recorded(name: str) -> httpx.Response:
    raw = json.loads((SHARED / "bexio-recorded" / name).read_text(encoding="utf-8"))
    headers = {key: value for key, value in raw["headers"].items() if key.lower() != "content-length"}
    return httpx.Response(raw["statusCode"], headers=headers, text=raw["data"])


def rate_limited(reset: int, retry_after: str | None = None) -> httpx.Response:
    headers = {
        "ratelimit-limit": "1000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(reset),
        "x-ratelimit-limit-minute": "1000",
        "x-ratelimit-remaining-minute": "0",
    }
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return httpx.Response(429, headers=headers, json={"message": "API rate limit exceeded"})


def invoice_payload() -> InvoiceCreate:
    return InvoiceCreate(
        contact_id=1,
        user_id=1,
        api_reference="bxhours:test-1",
        positions=(
            KbPositionCustomCreate(amount=1, unit_price=100, text="Beratung", tax_id=14, account_id=95),
        ),
    )


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def client(fake_time: FakeTime) -> AsyncIterator[BexioClient]:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    async with BexioClient(
        BASE,
        StaticTokenAuth("pat-token"),
        pacer=pacer,
        sleep=fake_time.sleep,
        max_retries=MAX_RETRIES,
        rng=random.Random(3),
    ) as bexio:
        yield bexio


@pytest.fixture
def bexio_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


# --- 429 ------------------------------------------------------------------------------------------


async def test_429_waits_for_the_reset_then_succeeds(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = bexio_api.get("/2.0/contact_group").mock(
        side_effect=[rate_limited(reset=17), recorded("ContactGroups/fetch-a-list-of-contact-groups.json")]
    )

    groups = await client.contact_groups.list()

    assert [group.name for group in groups][:1] == ["Partner"]
    assert route.call_count == 2
    assert fake_time.sleeps == [pytest.approx(17)]
    assert client.stats.rate_limited == 1
    assert client.stats.retries == 1


async def test_retry_after_wins_over_the_reset(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    bexio_api.get("/2.0/unit").mock(
        side_effect=[rate_limited(reset=40, retry_after="3"), recorded("Units/fetch-a-list-of-units.json")]
    )

    assert len(await client.units.list()) == 2
    assert fake_time.sleeps == [pytest.approx(3)]


async def test_retry_after_as_http_date(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    bexio_api.get("/2.0/unit").mock(
        side_effect=[rate_limited(reset=59, retry_after=when), recorded("Units/fetch-a-list-of-units.json")]
    )

    await client.units.list()

    assert 15 < fake_time.sleeps[0] <= 20


async def test_429_on_a_write_is_retried_because_bexio_did_not_do_it(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = bexio_api.post("/2.0/kb_invoice").mock(
        side_effect=[rate_limited(reset=5), recorded("Invoices/create-an-invoice.json")]
    )

    invoice = await client.invoices.create(invoice_payload())

    assert invoice.document_nr == "RE-00002"
    assert route.call_count == 2
    assert fake_time.sleeps == [pytest.approx(5)]


async def test_endless_429s_end_in_rate_limited(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    route = bexio_api.get("/2.0/unit").mock(return_value=rate_limited(reset=1))

    with pytest.raises(BexioRateLimited) as raised:
        await client.units.list()

    assert route.call_count == 21  # the first call and 20 waits
    assert raised.value.status == 429


# --- 5xx, timeouts, connection errors --------------------------------------------------------------


async def test_5xx_burst_on_a_read_is_retried_with_growing_backoff(
    client: BexioClient, bexio_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = bexio_api.get("/2.0/contact").mock(
        side_effect=[
            httpx.Response(503, json={"error_code": 503, "message": "Service Unavailable"}),
            httpx.Response(502, text="<html>Bad gateway</html>"),
            httpx.Response(500),
            recorded("Contacts/fetch-a-list-of-contacts.json"),
        ]
    )

    contacts = await client.contacts.all()

    assert len(contacts) == 16
    assert route.call_count == 4
    assert len(fake_time.sleeps) == 3
    for attempt, slept in enumerate(fake_time.sleeps):
        ceiling = 0.5 * 2**attempt
        assert ceiling / 2 <= slept <= ceiling  # exponential, with jitter in the upper half
    assert client.stats.retries == 3


async def test_a_read_gives_up_after_max_retries(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    route = bexio_api.get("/2.0/contact").mock(
        return_value=httpx.Response(503, json={"error_code": 503, "message": "Wartungsarbeiten"})
    )

    with pytest.raises(BexioUnavailable) as raised:
        await client.contacts.all()

    assert route.call_count == MAX_RETRIES + 1
    assert raised.value.status == 503
    assert raised.value.message == "Wartungsarbeiten"
    assert not raised.value.may_have_happened


async def test_timeouts_on_a_read_are_retried(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    route = bexio_api.get("/3.0/users/me").mock(
        side_effect=[
            httpx.ReadTimeout("read timed out"),
            httpx.RemoteProtocolError("server disconnected"),
            recorded("Users/fetch-authenticated-user.json"),
        ]
    )

    me = await client.users.me()

    assert me.is_superadmin is True
    assert route.call_count == 3


async def test_a_search_is_a_read_and_is_retried(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    route = bexio_api.post("/2.0/kb_invoice/search").mock(
        side_effect=[httpx.Response(500), recorded("Invoices/search-invoices.json")]
    )

    found = await client.invoices.find_by_api_reference("4cd39391-b884-44ec-9bb4-5f54f40cb5cf")

    assert found is not None
    assert found.id == 2
    assert route.call_count == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, json={"error_code": 500, "message": "Internal Server Error"}),
        httpx.Response(504, text="gateway timeout"),
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.RemoteProtocolError("connection lost"),
    ],
    ids=["500", "504", "read-timeout", "write-timeout", "connection-lost"],
)
async def test_a_create_that_may_have_happened_is_never_repeated(
    client: BexioClient, bexio_api: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    route = bexio_api.post("/2.0/kb_invoice").mock(
        side_effect=[failure, recorded("Invoices/create-an-invoice.json")]
    )

    with pytest.raises(BexioWriteUncertain) as raised:
        await client.invoices.create(invoice_payload())

    assert route.call_count == 1
    assert raised.value.may_have_happened is True
    assert isinstance(raised.value, BexioUnavailable)
    assert (raised.value.method, raised.value.path) == ("POST", "/2.0/kb_invoice")
    assert "may have happened" in str(raised.value)


@pytest.mark.parametrize("action", ["delete", "issue", "cancel"])
async def test_deletes_and_actions_are_writes_too(
    client: BexioClient, bexio_api: respx.MockRouter, action: str
) -> None:
    route = bexio_api.route(path__regex=r"^/2\.0/kb_invoice/9(/\w+)?$").mock(return_value=httpx.Response(502))

    with pytest.raises(BexioWriteUncertain):
        await getattr(client.invoices, action)(9)

    assert route.call_count == 1


async def test_a_write_whose_connection_never_opened_is_retried(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    route = bexio_api.post("/2.0/contact").mock(
        side_effect=[httpx.ConnectError("connection refused"), recorded("Contacts/create-contact.json")]
    )

    contact = await client.contacts.create(
        ContactCreate(contact_type_id=1, name_1="Neu AG", user_id=1, owner_id=1)
    )

    assert contact.nr == "000032"
    assert route.call_count == 2


# --- error answers ----------------------------------------------------------------------------------


async def test_422_keeps_bexio_errors_verbatim(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    errors = [
        "positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]",
        'global: Unexpected extra form field named "x".',
    ]
    bexio_api.post("/2.0/kb_invoice").mock(
        return_value=httpx.Response(
            422,
            json={
                "error_code": 422,
                "message": "The form could not be saved due to the following errors:",
                "errors": errors,
            },
        )
    )

    with pytest.raises(BexioValidationError) as raised:
        await client.invoices.create(invoice_payload())

    assert raised.value.errors == errors
    assert raised.value.message == "The form could not be saved due to the following errors:"
    assert errors[0] in str(raised.value)
    assert not raised.value.may_have_happened


async def test_409_from_a_recorded_answer(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    bexio_api.delete("/3.0/taxes/7").mock(return_value=recorded("Taxes/delete-a-tax.json"))

    with pytest.raises(BexioError) as raised:
        await client.request("DELETE", "/3.0/taxes/7")

    assert (raised.value.status, raised.value.message) == (409, "tax can not be deleted")
    assert str(raised.value) == "bexio DELETE /3.0/taxes/7 (409): tax can not be deleted"


async def test_404_and_payroll_410_are_not_found(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    bexio_api.get("/2.0/kb_invoice/404").mock(
        return_value=httpx.Response(404, json={"error_code": 404, "message": "Page not found"})
    )
    bexio_api.get("/4.0/payroll/employees/e-1").mock(
        return_value=httpx.Response(
            410,
            json={"status": 410, "title": "Gone", "detail": "employee deleted"},
            headers={"content-type": "application/problem+json"},
        )
    )

    with pytest.raises(BexioNotFound, match="Page not found"):
        await client.invoices.get(404)
    with pytest.raises(BexioNotFound, match="Gone: employee deleted"):
        await client.payroll.employee("e-1")


async def test_403_names_the_missing_scope(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    forbidden = httpx.Response(403, json={"error_code": 403, "message": "Forbidden"})
    bexio_api.post("/2.0/kb_invoice").mock(return_value=forbidden)
    bexio_api.get("/2.0/timesheet").mock(return_value=forbidden)
    bexio_api.get("/3.0/users").mock(return_value=forbidden)

    with pytest.raises(BexioPermissionError) as write:
        await client.invoices.create(invoice_payload())
    with pytest.raises(BexioPermissionError) as read:
        await client.timesheets.all()
    with pytest.raises(BexioPermissionError) as general:
        await client.users.list()

    assert write.value.missing_scope == "kb_invoice_edit"
    assert "kb_invoice_edit" in str(write.value)
    assert read.value.missing_scope == "monitoring_show"
    assert general.value.missing_scope is None
    assert "right" in str(general.value)


async def test_401_with_a_personal_token_is_final(client: BexioClient, bexio_api: respx.MockRouter) -> None:
    route = bexio_api.get("/3.0/users/me").mock(
        return_value=httpx.Response(401, json={"error_code": 401, "message": "Invalid token."})
    )

    with pytest.raises(BexioAuthError) as raised:
        await client.users.me()

    assert route.call_count == 1
    assert raised.value.message == "bexio connection expired or revoked"


async def test_an_unreadable_success_body_is_reported_not_leaked(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    bexio_api.get("/2.0/unit").mock(return_value=httpx.Response(200, text="<html>maintenance</html>"))
    bexio_api.get("/2.0/language").mock(
        return_value=httpx.Response(200, json=[{"id": "x", "name": "Deutsch"}])
    )

    with pytest.raises(BexioUnexpectedResponse, match="unexpected answer"):
        await client.units.list()
    with pytest.raises(BexioUnexpectedResponse, match=r"first at 0\.id"):
        await client.languages.list()


async def test_a_failed_action_is_not_taken_for_success(
    client: BexioClient, bexio_api: respx.MockRouter
) -> None:
    bexio_api.post("/2.0/kb_invoice/5/issue").mock(return_value=httpx.Response(200, json={"success": False}))

    with pytest.raises(BexioError, match="not successful"):
        await client.invoices.issue(5)
