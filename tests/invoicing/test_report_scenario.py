"""Issue 15 §3 end to end, through signed Slack requests: a biller submits `/invoice`, the worker
creates the draft, and the biller's DM gets the link and then the timesheet report as a file,
uploaded through the fake Slack's three steps — a PDF whose totals are the draft's."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader

from bexio.sandbox import RunningSandbox
from bxhours.fakes.invoicing_seed import SeededCompany
from bxhours.fakes.stack import ANDREA, Stack
from core.money import format_money
from tests.scenarios.conftest import demo_state_factory, sandbox, stack
from tests.scenarios.test_invoice_modal import (
    InvoiceModal,
    _customer_of,
    _invoice_row,
    _last_month,
    _work,
    company,
)

__all__ = ["company", "demo_state_factory", "sandbox", "stack"]


async def test_the_biller_gets_the_report_after_the_draft(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, _last = _last_month(stack)
    await _work(stack).entry(
        user_id=company.users[1],
        project_id=company.projects[1],
        activity_id=company.activities[4],
        day=first,
        minutes=150,
        note="Kick-off beim Kunden",
    )
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    await modal.submit()
    await modal.result()
    invoice = await _invoice_row(stack)
    draft = sandbox.state.tables["kb_invoice"][invoice.bexio_id]

    await stack.fake.wait_for("files.completeUploadExternal", timeout=20)
    [shared] = stack.fake.uploaded_files(stack.fake.dm_channel(ANDREA))
    assert shared.filename == f"Leistungsrapport-{invoice.document_nr}.pdf"
    assert shared.initial_comment is not None and str(invoice.bexio_id) in shared.initial_comment
    assert shared.content is not None
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(shared.content)).pages)
    assert "Kick-off beim Kunden" in text
    assert f"Total {format_money(Decimal(draft['total']))}" in text
    # The link first, then the report, both in Andrea's DM.
    kinds = ["files" in message for message in stack.fake.dm_messages(ANDREA)]
    assert kinds[-2:] == [False, True]
