"""The real client against the bexio sandbox with faults on (issue 3 §12).

Reads must complete through 429 storms, 5xx bursts and timeouts; a write whose answer is lost must
be reported as "may have happened" and be findable by its api_reference afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.errors import BexioAuthError, BexioWriteUncertain
from bexio.payloads import InvoiceCreate, KbPositionCustomCreate
from bexio.sandbox import RunningSandbox, build_state, serve_sandbox


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo")) as running:
        yield running


def client_for(sandbox: RunningSandbox, **options: object) -> BexioClient:
    return BexioClient(
        sandbox.url,
        StaticTokenAuth(sandbox.token),
        auth_url=f"{sandbox.url}/realms/bexio",
        sleep=no_sleep,
        **options,  # type: ignore[arg-type]
    )


def invoice(api_reference: str) -> InvoiceCreate:
    return InvoiceCreate(
        title="Leistungen November 2026",
        contact_id=2,
        user_id=1,
        mwst_type=0,
        mwst_is_net=True,
        api_reference=api_reference,
        positions=(
            KbPositionCustomCreate(
                amount=Decimal("12.5"),
                unit_price=Decimal("150"),
                text="Umsetzung",
                unit_id=2,
                account_id=121,
                tax_id=14,
            ),
        ),
    )


async def test_reads_complete_through_a_429_storm(sandbox: RunningSandbox) -> None:
    expected = len(
        [
            c
            for cid, c in sandbox.state.tables["contact"].items()
            if cid not in sandbox.state.archived["contact"]
        ]
    )
    sandbox.state.faults.update({"rate_429": 0.6, "seed": 7})
    async with client_for(sandbox, page_size=10, max_rate_limit_waits=200) as client:
        contacts = await client.contacts.all()
        assert len(contacts) == expected
        assert client.stats.rate_limited > 5


async def test_reads_complete_through_5xx_bursts(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.update({"rate_5xx": 0.4, "seed": 3})
    sandbox.state.faults.script("GET /2.0/pr_project", [500, 502, 503])
    async with client_for(sandbox, max_retries=12) as client:
        projects = await client.projects.all()
        timesheets = [t async for page in client.timesheets.pages() for t in page]
    assert len(projects) == len(sandbox.state.tables["pr_project"]) - len(
        sandbox.state.archived["pr_project"]
    )
    assert len(timesheets) == len(sandbox.state.tables["timesheet"])


async def test_reads_complete_through_timeouts(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.hang_seconds = 2.0
    sandbox.state.faults.script("GET /3.0/users", ["timeout", "timeout"])
    async with client_for(sandbox, timeout=0.3) as client:
        users = await client.users.list()
    assert len(users) == len(sandbox.state.tables["user"])
    assert len(sandbox.state.calls_to("GET", "/3.0/users")) == 3


async def test_timed_out_create_may_have_happened_and_is_found_by_reference(sandbox: RunningSandbox) -> None:
    reference = str(uuid.uuid4())
    sandbox.state.faults.hang_seconds = 2.0
    sandbox.state.faults.script("POST /2.0/kb_invoice", ["timeout_after_write"])
    async with client_for(sandbox, timeout=0.5) as client:
        with pytest.raises(BexioWriteUncertain) as caught:
            await client.invoices.create(invoice(reference))
        assert caught.value.may_have_happened
        assert len(sandbox.state.calls_to("POST", "/2.0/kb_invoice")) == 1  # never retried blindly
        found = await client.invoices.find_by_api_reference(reference)
    assert found is not None
    assert found.api_reference == reference


async def test_partial_create_500_is_uncertain_not_failed(sandbox: RunningSandbox) -> None:
    reference = str(uuid.uuid4())
    sandbox.state.faults.script("POST /2.0/kb_invoice", ["partial"])
    async with client_for(sandbox) as client:
        with pytest.raises(BexioWriteUncertain):
            await client.invoices.create(invoice(reference))
        assert await client.invoices.find_by_api_reference(reference) is not None


async def test_plain_500_on_create_leaves_nothing(sandbox: RunningSandbox) -> None:
    reference = str(uuid.uuid4())
    sandbox.state.faults.script("POST /2.0/kb_invoice", [500])
    async with client_for(sandbox) as client:
        with pytest.raises(BexioWriteUncertain):
            await client.invoices.create(invoice(reference))
        assert await client.invoices.find_by_api_reference(reference) is None
        created = await client.invoices.create(invoice(reference))
    assert created.document_nr


async def test_revoked_token_is_a_clear_auth_error(sandbox: RunningSandbox) -> None:
    sandbox.state.tokens.revoke(sandbox.token)
    async with client_for(sandbox) as client:
        with pytest.raises(BexioAuthError, match="expired or revoked") as caught:
            await client.users.me()
    assert sandbox.token not in str(caught.value)
