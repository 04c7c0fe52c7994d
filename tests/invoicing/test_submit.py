"""Submitting: every refusal names its field and changes nothing; a concurrent invoice over the same
entries fails cleanly; what is offered follows the rules of the selection."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.invoice_lines import Grouping
from services.invoicing import Field, InvoiceRefused, InvoiceRequest, PreviewChanged, Selection
from services.invoicing.read_only import entry_edit_refusal, expense_edit_refusal
from storage.models import Activity, DocumentSetting, Invoice, Job, TimeEntry
from tests.invoicing_fixtures import ANDREA, MIA, InvoicingEnv, invoicing

__all__ = ["invoicing"]


async def _entry(
    env: InvoicingEnv, minutes: int = 60, *, project: int = 1, days_back: int = 0, **extra: object
) -> int:
    first, _last = env.last_month
    return await env.work.entry(
        user_id=env.user(1),
        project_id=env.project(project),
        activity_id=env.activity(4),
        day=first + timedelta(days=days_back),
        minutes=minutes,
        **extra,  # type: ignore[arg-type]
    )


def _request(env: InvoicingEnv, project: int = 1, **fields: object) -> InvoiceRequest:
    _first, last = env.last_month
    return InvoiceRequest(Selection(env.customer_of(project), period_to=last), actor=ANDREA, **fields)  # type: ignore[arg-type]


async def _count(env: InvoicingEnv, model: type) -> int:  # type: ignore[type-arg]
    async with env.db.session(env.tenant_id) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _refusal(env: InvoicingEnv, request: InvoiceRequest) -> InvoiceRefused:
    with pytest.raises(InvoiceRefused) as caught:
        await env.service.submit(env.tenant_id, request)
    assert await _count(env, Invoice) == 0
    async with env.db.session(env.tenant_id) as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0
    return caught.value


async def test_nothing_to_invoice_and_nothing_ticked(invoicing: InvoicingEnv) -> None:
    env = invoicing
    refused = await _refusal(env, _request(env))
    assert "Nothing to invoice" in refused.errors[Field.LINES]
    await _entry(env)
    refused = await _refusal(env, _request(env, ticked=frozenset()))
    assert refused.errors[Field.LINES] == "Tick at least one line to invoice."


async def test_unmapped_activity_blocks_its_line(invoicing: InvoicingEnv) -> None:
    env = invoicing
    async with env.db.session(env.tenant_id) as session:
        activity = await session.get(Activity, env.activity(4))
        assert activity is not None
        activity.bexio_account_id = None
    await _entry(env)
    refused = await _refusal(env, _request(env))
    message = "Umsetzung has no bexio account — map it in the App Home → Account mapping"
    assert refused.errors[Field.LINES] == message
    assert list(refused.line_errors.values()) == [message]


async def test_own_numbering_refused_while_bexio_numbers_automatically_and_vice_versa(
    invoicing: InvoicingEnv,
) -> None:
    env = invoicing
    await _entry(env)
    refused = await _refusal(env, _request(env, use_bexio_numbering=False))
    assert "bexio numbers invoices automatically" in refused.errors[Field.NUMBERING]
    async with env.db.session(env.tenant_id) as session:
        setting = await session.scalar(
            select(DocumentSetting).where(DocumentSetting.kb_item_class == "KbInvoice")
        )
        assert setting is not None
        setting.use_automatic_enumeration = False
    refused = await _refusal(env, _request(env, use_bexio_numbering=True))
    assert "Automatic numbering is off in bexio" in refused.errors[Field.NUMBERING]
    assert f"RE-{env.today.year}-0001" in refused.errors[Field.NUMBERING]


async def test_missing_rate_and_bad_payment_term_are_reported_together(invoicing: InvoicingEnv) -> None:
    env = invoicing
    await _entry(env, rate=None)
    refused = await _refusal(env, _request(env, payment_days=400))
    assert "Umsetzung has no hourly rate" in refused.errors[Field.LINES]
    assert refused.errors[Field.PAYMENT_DAYS] == "The payment term is 0 to 365 days."


async def test_more_than_150_lines_suggests_a_coarser_grouping(invoicing: InvoicingEnv) -> None:
    env = invoicing
    for day in range(151):
        await _entry(env, 15, days_back=-day - 200)
    _first, last = env.last_month
    request = InvoiceRequest(
        Selection(env.customer_of(1), period_to=last, grouping=Grouping.PER_ENTRY), actor=ANDREA
    )
    refused = await _refusal(env, request)
    assert "151 lines are more than the 150" in refused.errors[Field.GROUPING]
    assert "group by activity instead" in refused.errors[Field.GROUPING]


async def test_changed_work_since_the_preview_is_refused(invoicing: InvoicingEnv) -> None:
    env = invoicing
    await _entry(env)
    await env.work.expense(
        user_id=env.user(1),
        project_id=env.project(1),
        category_id=env.company.categories["Spesen"],
        day=env.last_month[0],
        amount=Decimal("20.00"),
    )
    selection = _request(env).selection
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None and len(preview.lines) == 2
    # Unticking a line changes what is billed, not what was seen.
    unticked = await env.service.preview(env.tenant_id, selection, ticked=frozenset({preview.lines[0].key}))
    assert unticked is not None and unticked.fingerprint == preview.fingerprint
    await _entry(env, 30)  # logged by someone while the modal was open
    refused = await _refusal(env, _request(env, fingerprint=preview.fingerprint))
    assert isinstance(refused, PreviewChanged)
    assert "changed since this preview" in refused.errors[Field.LINES]


async def test_entries_someone_else_is_invoicing_are_named(invoicing: InvoicingEnv) -> None:
    env = invoicing
    await _entry(env)
    selection = _request(env).selection
    seen_by_mia = await env.service.preview(env.tenant_id, selection)
    assert seen_by_mia is not None
    await env.service.submit(env.tenant_id, _request(env))  # Andrea was quicker
    request = InvoiceRequest(selection, actor=MIA, fingerprint=seen_by_mia.fingerprint)
    with pytest.raises(InvoiceRefused) as caught:
        await env.service.submit(env.tenant_id, request)
    assert not isinstance(caught.value, PreviewChanged)
    assert f"being invoiced by <@{ANDREA}> right now" in caught.value.errors[Field.LINES]
    assert list(caught.value.line_errors) == [line.key for line in seen_by_mia.lines]
    assert await _count(env, Invoice) == 1


async def test_concurrent_invoices_over_the_same_entries_reserve_them_once(invoicing: InvoicingEnv) -> None:
    env = invoicing
    for day in range(20):
        await _entry(env, 45, days_back=day)
    request = _request(env)
    results = await asyncio.gather(
        *(env.service.submit(env.tenant_id, request) for _ in range(4)), return_exceptions=True
    )
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InvoiceRefused)]
    assert len(accepted) == 1 and len(refused) == 3, results
    assert await _count(env, Invoice) == 1
    async with env.db.session(env.tenant_id) as session:
        holders = set(await session.scalars(select(TimeEntry.invoice_id)))
    assert holders == {accepted[0].invoice_id}


async def test_imported_hours_only_when_the_setting_covers_them(invoicing: InvoicingEnv) -> None:
    env = invoicing
    first, _last = env.last_month
    await _entry(env, 60, source="bexio")
    selection = _request(env).selection
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None and preview.lines == ()
    await env.service.settings.set(
        env.tenant_id, "invoice_imported_hours_since", (first + timedelta(days=1)).isoformat(), actor="test"
    )
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None and preview.lines == ()
    await env.service.settings.set(
        env.tenant_id, "invoice_imported_hours_since", first.isoformat(), actor="test"
    )
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None and len(preview.lines) == 1


async def test_activity_tax_setting_and_time_rounding_apply(invoicing: InvoicingEnv) -> None:
    env = invoicing
    await _entry(env, 50)
    await _entry(env, 5, days_back=1)
    await env.service.settings.set(env.tenant_id, "activity_tax:Umsetzung", "UR26", actor="test")
    await env.service.settings.set(env.tenant_id, "time_rounding", "15:up", actor="test")
    preview = await env.service.preview(env.tenant_id, _request(env).selection)
    assert preview is not None
    [line] = preview.lines
    assert line.tax is not None and line.tax.code == "UR26"
    assert line.minutes == 75 and line.quantity == Decimal("1.25")


async def test_invoiced_entries_are_read_only(invoicing: InvoicingEnv) -> None:
    env = invoicing
    entry = await _entry(env)
    expense = await env.work.expense(
        user_id=env.user(1),
        project_id=env.project(1),
        category_id=env.company.categories["Spesen"],
        day=env.last_month[0],
        amount=Decimal("12.00"),
    )
    async with env.db.session(env.tenant_id) as session:
        assert await entry_edit_refusal(session, entry) is None
    submitted = await env.service.submit(env.tenant_id, _request(env))
    async with env.db.session(env.tenant_id) as session:
        assert "being invoiced right now" in (await entry_edit_refusal(session, entry) or "")
    await env.settle(submitted.invoice_id)
    number = (await env.invoice(submitted.invoice_id)).document_nr
    async with env.db.session(env.tenant_id) as session:
        assert await entry_edit_refusal(session, entry) == (
            f"This entry is on invoice {number} and can no longer be changed or deleted."
        )
        assert f"on invoice {number}" in (await expense_edit_refusal(session, expense) or "")
