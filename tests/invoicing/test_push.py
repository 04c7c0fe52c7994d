"""The push job against the sandbox: a draft exactly as previewed, entries billed, bexio's answer stored."""

from __future__ import annotations

from decimal import Decimal

from services.invoicing import InvoiceRequest, Selection
from tests.invoicing_fixtures import ANDREA, InvoicingEnv, invoicing

__all__ = ["invoicing"]


async def test_submit_and_push_creates_one_draft(invoicing: InvoicingEnv) -> None:
    env = invoicing
    first, last = env.last_month
    project = env.project(1)  # billed per activity
    for day, minutes in ((first, 150), (last, 45)):
        await env.work.entry(
            user_id=env.user(1), project_id=project, activity_id=env.activity(4), day=day, minutes=minutes
        )
    customer = env.customer_of(1)
    preview = await env.service.preview(env.tenant_id, Selection(customer, period_to=last))
    assert preview is not None
    assert len(preview.lines) == 1
    submitted = await env.service.submit(
        env.tenant_id, InvoiceRequest(Selection(customer, period_to=last), actor=ANDREA)
    )
    assert await env.settle(submitted.invoice_id) == "created"
    invoice = await env.invoice(submitted.invoice_id)
    drafts = env.drafts_for(submitted.uuid)
    assert len(drafts) == 1
    assert invoice.bexio_id == drafts[0]["id"]
    assert Decimal(drafts[0]["total"]) == invoice.total == invoice.bexio_total
