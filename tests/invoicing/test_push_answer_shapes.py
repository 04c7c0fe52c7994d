"""Issue 11 §3: a draft bexio created is a created draft, whatever shape bexio answered it in.

bexio's answer to ``POST /2.0/kb_invoice`` is rewritten on its way back — positions no reader
knows how to read, a total that is not a number, taxes that are not a list — the way an answer in
a shape nobody recorded would arrive. The push must still record the draft (id and number) at once:
no "bexio did not answer for sure", no retry, exactly one draft.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest

from services.invoicing import InvoiceRequest, Selection
from tests.invoicing_fixtures import ANDREA, InvoicingEnv, invoicing_env

_TLS = ssl.create_default_context()


class OddAnswers(httpx.AsyncBaseTransport):
    """Passes every call to the sandbox; rewrites the body of a successful invoice create."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(verify=_TLS)
        self.rewritten = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "POST" or request.url.path != "/2.0/kb_invoice" or response.status_code != 201:
            return response
        body = json.loads(await response.aread())
        await response.aclose()
        body["total"] = {"amount": body["total"], "currency": "CHF"}
        body["taxs"] = "8.1%"
        body["positions"] = [*({"kind": "custom", **position} for position in body["positions"][:1]), 7]
        body["is_valid_from"] = "sometime"
        self.rewritten += 1
        return httpx.Response(
            201, headers={"content-type": "application/json"}, content=json.dumps(body).encode()
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def odd(database_url: str) -> AsyncIterator[tuple[InvoicingEnv, OddAnswers]]:
    transport = OddAnswers()
    async with invoicing_env(database_url, transport=lambda: transport) as env:
        yield env, transport


async def test_a_draft_answered_in_an_unexpected_shape_is_recorded_as_created(
    odd: tuple[InvoicingEnv, OddAnswers],
) -> None:
    env, transport = odd
    first, last = env.last_month
    await env.work.entry(
        user_id=env.user(1), project_id=env.project(1), activity_id=env.activity(4), day=first, minutes=90
    )
    selection = Selection(env.customer_of(1), period_to=last)
    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))

    assert await env.settle(submitted.invoice_id) == "created"

    assert transport.rewritten == 1
    [draft] = env.drafts_for(submitted.uuid)
    invoice = await env.invoice(submitted.invoice_id)
    assert (invoice.bexio_id, invoice.document_nr) == (draft["id"], draft["document_nr"])
    assert invoice.bexio_total is None  # the total could not be read: shown as unknown, not guessed
    assert len(env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")) == 1  # no second create
    assert len(env.sandbox.state.calls_to("POST", "/2.0/kb_invoice/search")) == 1  # one attempt, no retry
    [(outcome, _person, _view)] = env.reporter.outcomes
    assert outcome.created and outcome.document_nr == draft["document_nr"]
