"""The push job: one invoice becomes exactly one draft in bexio, however often the job runs.

Every attempt starts by searching bexio for the invoice's ``api_reference`` (its uuid):

* found → adopt it: a previous attempt created it and its answer, or our commit, was lost;
* not found → create it (``POST /2.0/kb_invoice``).

A timeout, a 5xx, a 429 storm or a crash after the POST leaves the invoice pending and the job is
retried later — and searches first again, so it never creates a second draft. Only a definite
refusal of a create (422) ends the invoice as failed: bexio's messages are stored verbatim, the
reserved entries and expenses are released and the own number is given back. On success bexio's
id, number, status and total are stored and the items become billed; bexio's total is compared
with the preview's, and a difference is logged and shown, never hidden.

Each run of the job ends in one ``invoice push`` log line: the invoice, its outcome (created, refused,
unchanged — decided by an earlier run —, or retry), bexio's draft id and number, and how many calls
to bexio it took.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.client import BexioClient
from bexio.errors import (
    BexioAuthError,
    BexioError,
    BexioPermissionError,
    BexioValidationError,
)
from bexio.models import Invoice as BexioInvoice
from core.i18n import _
from core.invoice_lines import InvoiceLine as CoreLine
from core.invoice_lines import LineKind
from core.invoice_totals import compute_totals
from core.money import quantize_money
from core.taxes import Tax
from services.invoicing.bexio_customers import BexioCustomers
from services.invoicing.document_language import document_language
from services.invoicing.drafts import DraftLine, draft_payload, invoice_url
from services.invoicing.items import move_items
from services.invoicing.numbering import assign_own_number, release_own_number
from services.invoicing.preview import customer_ref, invoice_currency
from services.invoicing.reporting import DraftOutcome, InvoiceReporter, LineSummary, ReportFile
from services.invoicing.selection import BILLED, OPEN, RESERVED
from services.invoicing.units import DraftUnits, draft_units
from services.settings import SettingsService, TenantSettings
from storage.db import Database
from storage.jobs import ClaimedJob
from storage.models import Account, AuditLog, Customer, Invoice, Project, User
from storage.models import InvoiceLine as InvoiceLineRow
from storage.models import Tax as TaxRow

log = logging.getLogger(__name__)

ClientFactory = Callable[[int], AbstractAsyncContextManager[BexioClient]]


class NoBexioUser(Exception):
    """Nobody in bxhours is linked to a bexio user who could own the draft."""


@dataclass(frozen=True)
class _Context:
    """What one attempt needs, read in one short transaction (never held across bexio calls)."""

    invoice: Invoice
    lines: tuple[InvoiceLineRow, ...]
    customer: Customer
    project_bexio_id: int | None
    bexio_user_id: int | None
    units: DraftUnits
    language: str
    """The draft's language: the one its lines were written in at submit (older invoices: the
    customer's now)."""
    number_format: str
    settings: TenantSettings


class Pusher:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        clients: ClientFactory,
        customers: BexioCustomers,
        reporter: InvoiceReporter,
        now: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.settings = settings
        self.clients = clients
        self.customers = customers
        self.reporter = reporter
        self.now = now
        self._locks: dict[int, asyncio.Lock] = {}
        self._calls: dict[int, int] = {}
        """bexio calls of an invoice's latest push (one push per invoice at a time: its lock)."""

    async def run_job(self, job: ClaimedJob) -> dict[str, Any]:
        """The ``invoice.push`` job handler; raising hands the job back to the queue for a retry."""
        invoice_id = int(job.payload["invoice_id"])
        view_id = job.payload.get("view_id")
        started = time.perf_counter()
        fields: dict[str, Any] = {"tenant": job.tenant_id, "invoice": invoice_id}
        try:
            outcome, changed = await self.push(job.tenant_id, invoice_id)
        except BexioError as exc:
            fields.update(outcome="retry", error=type(exc).__name__)
            fields.update(bexio_calls=self._calls.get(invoice_id, 0), ms=_ms(started))
            log.warning("invoice push", extra=fields)
            await self._report_waiting(job, invoice_id, _waiting_reason(exc), view_id)
            raise
        finally:
            calls = self._calls.pop(invoice_id, 0)
        result = "unchanged" if not changed else "created" if outcome.created else "refused"
        fields.update(outcome=result, draft=outcome.bexio_id, number=outcome.document_nr)
        fields.update(bexio_calls=calls, ms=_ms(started))
        log.log(logging.WARNING if result == "refused" else logging.INFO, "invoice push", extra=fields)
        if changed:
            await self._report(job.tenant_id, outcome, view_id)
        return {
            "invoice_id": invoice_id,
            "created": outcome.created,
            "bexio_id": outcome.bexio_id,
            "outcome": result,
        }

    async def push(self, tenant_id: int, invoice_id: int) -> tuple[DraftOutcome, bool]:
        """Bring the invoice to bexio; returns its outcome and whether this call decided it."""
        lock = self._locks.setdefault(invoice_id, asyncio.Lock())
        async with lock:
            context = await self._load(tenant_id, invoice_id)
            if context.invoice.status != "pending":
                return await self._outcome(tenant_id, invoice_id), False
            async with self.clients(tenant_id) as client:
                try:
                    found = await client.invoices.find_by_api_reference(context.invoice.uuid)
                    if found is None:
                        try:
                            found = await self._create(tenant_id, context, client)
                        except BexioValidationError as exc:
                            errors = tuple(exc.errors) or (exc.message,)
                            await self._refused(tenant_id, invoice_id, errors, refusal_hint(errors))
                            return await self._outcome(tenant_id, invoice_id), True
                        except NoBexioUser as exc:
                            await self._refused(tenant_id, invoice_id, (str(exc),), None)
                            return await self._outcome(tenant_id, invoice_id), True
                finally:
                    self._calls[invoice_id] = client.stats.total_calls
            await self._created(tenant_id, invoice_id, found)
            return await self._outcome(tenant_id, invoice_id), True

    # --- one attempt ------------------------------------------------------------------------

    async def _create(self, tenant_id: int, context: _Context, client: BexioClient) -> BexioInvoice:
        invoice = context.invoice
        if context.bexio_user_id is None:
            raise NoBexioUser(
                _(
                    "No bexio user can own this draft: link your Slack user to your bexio user "
                    "(`/bx-sync link`), then invoice again."
                )
            )
        contact_id = context.customer.bexio_id
        if contact_id is None:
            contact_id = await self.customers.ensure_contact(
                tenant_id,
                context.customer.id,
                client,
                bexio_user_id=context.bexio_user_id,
                settings=context.settings,
            )
        document_nr = None
        if invoice.numbering == "own":
            document_nr = await assign_own_number(
                self.db, tenant_id, invoice.id, context.number_format, self.now
            )
        payload = draft_payload(
            api_reference=invoice.uuid,
            contact_id=contact_id,
            user_id=context.bexio_user_id,
            title=invoice.title,
            invoice_date=invoice.invoice_date,
            payment_days=invoice.payment_days,
            intro=invoice.intro,
            project_bexio_id=context.project_bexio_id,
            document_nr=document_nr,
            lines=[
                DraftLine(row.kind, row.text, row.quantity, row.unit_price, row.tax_bexio_id, row.account_id)
                for row in context.lines
            ],
            units=context.units,
            reference=invoice.reference,
            service=(
                (invoice.service_from, invoice.service_to)
                if invoice.service_from is not None and invoice.service_to is not None
                else None
            ),
            language=context.language,
        )
        created = await client.invoices.create(payload)
        log.info("invoice %s: draft %s created in bexio (%s)", invoice.id, created.id, created.document_nr)
        return created

    async def _load(self, tenant_id: int, invoice_id: int) -> _Context:
        async with self.db.session(tenant_id) as session:
            invoice = await session.get(Invoice, invoice_id)
            if invoice is None:
                raise LookupError(f"invoice {invoice_id} does not exist")
            customer = await session.get(Customer, invoice.customer_id)
            assert customer is not None
            lines = tuple(
                await session.scalars(
                    select(InvoiceLineRow)
                    .where(InvoiceLineRow.invoice_id == invoice_id)
                    .order_by(InvoiceLineRow.position)
                )
            )
            settings = await self.settings.load(tenant_id, session=session)
            return _Context(
                invoice=invoice,
                lines=lines,
                customer=customer,
                project_bexio_id=await _project_bexio_id(session, invoice, lines),
                bexio_user_id=await _bexio_user_id(session, invoice.created_by),
                units=await draft_units(session),
                language=invoice.language or await document_language(session, settings, customer.id),
                number_format=settings.get("invoice_number_format"),
                settings=settings,
            )

    # --- recording the outcome --------------------------------------------------------------

    async def _created(self, tenant_id: int, invoice_id: int, draft: BexioInvoice) -> None:
        now = self.now()
        async with self.db.session(tenant_id) as session:
            invoice = await session.get(Invoice, invoice_id, with_for_update=True)
            assert invoice is not None
            if invoice.status != "pending":
                return
            invoice.status = "created"
            invoice.bexio_id = draft.id
            invoice.document_nr = draft.document_nr or invoice.own_number
            invoice.bexio_status_id = draft.kb_item_status_id
            invoice.bexio_total = quantize_money(draft.total) if draft.total is not None else None
            invoice.error = None
            invoice.updated_at = now
            await move_items(session, invoice_id, RESERVED, BILLED, now)
            difference = (
                invoice.bexio_total - invoice.total
                if invoice.bexio_total is not None and invoice.total is not None
                else None
            )
            if difference:
                log.warning(
                    "invoice %s: bexio's total %s differs from the preview's %s by %s",
                    invoice_id,
                    invoice.bexio_total,
                    invoice.total,
                    difference,
                )
            session.add(
                AuditLog(
                    actor="worker",
                    action="invoice.created",
                    subject_type="invoice",
                    subject_id=str(invoice_id),
                    details={
                        "bexio_id": draft.id,
                        "document_nr": invoice.document_nr,
                        "bexio_total": str(invoice.bexio_total),
                        "preview_total": str(invoice.total),
                    },
                    created_at=now,
                )
            )

    async def _refused(
        self, tenant_id: int, invoice_id: int, errors: Sequence[str], hint: str | None
    ) -> None:
        now = self.now()
        async with self.db.session(tenant_id) as session:
            invoice = await session.get(Invoice, invoice_id, with_for_update=True)
            assert invoice is not None
            if invoice.status != "pending":
                return
            invoice.status = "failed"
            invoice.error = "\n".join([*errors, *([hint] if hint else [])])
            invoice.updated_at = now
            await release_own_number(session, invoice_id)
            await move_items(session, invoice_id, RESERVED, OPEN, now)
            session.add(
                AuditLog(
                    actor="worker",
                    action="invoice.refused",
                    subject_type="invoice",
                    subject_id=str(invoice_id),
                    details={"errors": list(errors)},
                    created_at=now,
                )
            )
        log.warning("invoice %s refused by bexio: %s", invoice_id, "; ".join(errors))

    async def _outcome(self, tenant_id: int, invoice_id: int) -> DraftOutcome:
        async with self.db.session(tenant_id) as session:
            return await load_outcome(session, invoice_id)

    # --- reporting --------------------------------------------------------------------------

    async def _report(self, tenant_id: int, outcome: DraftOutcome, view_id: str | None) -> None:
        person = await self._person(tenant_id, outcome.invoice_id)
        if outcome.created and person is not None:
            outcome = replace(outcome, report=await self._report_file(tenant_id, outcome.invoice_id))
        try:
            await self.reporter.finished(tenant_id, outcome, slack_user_id=person, view_id=view_id)
        except Exception:  # telling people must never undo or repeat the push
            log.exception("could not report the outcome of invoice %s", outcome.invoice_id)

    async def _report_file(self, tenant_id: int, invoice_id: int) -> ReportFile | None:
        """The draft's timesheet report for the biller (issue 15 §3); None when it cannot be made —
        the draft exists, and ``bxhours invoice report`` makes the report again any time."""
        from services.invoicing.report_pdf import load_report, report_file  # it reads outcomes from here

        try:
            async with self.db.session(tenant_id) as session:
                settings = await self.settings.load(tenant_id, session=session)
                report = await load_report(session, settings, invoice_id)
            return await asyncio.to_thread(report_file, report)
        except Exception:
            log.exception("could not make the timesheet report of invoice %s", invoice_id)
            return None

    async def _report_waiting(
        self, job: ClaimedJob, invoice_id: int, reason: str, view_id: str | None
    ) -> None:
        person = await self._person(job.tenant_id, invoice_id)
        try:
            await self.reporter.waiting(
                job.tenant_id, invoice_id, reason, slack_user_id=person, view_id=view_id
            )
        except Exception:
            log.exception("could not report the delay of invoice %s", invoice_id)

    async def _person(self, tenant_id: int, invoice_id: int) -> str | None:
        async with self.db.session(tenant_id) as session:
            created_by = await session.scalar(select(Invoice.created_by).where(Invoice.id == invoice_id))
        return created_by if created_by and created_by != "cli" else None


async def load_outcome(session: AsyncSession, invoice_id: int) -> DraftOutcome:
    """The outcome of an invoice as stored (for reports, the command line and the demo)."""
    invoice = await session.get(Invoice, invoice_id)
    assert invoice is not None
    customer = await session.get(Customer, invoice.customer_id)
    assert customer is not None
    rows = tuple(
        await session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.invoice_id == invoice_id)
            .order_by(InvoiceLineRow.position)
        )
    )
    accounts = await account_numbers(session, {row.account_id for row in rows if row.account_id is not None})
    taxes = await _taxes(session, {row.tax_bexio_id for row in rows if row.tax_bexio_id is not None})
    currency = await invoice_currency(session)
    totals = compute_totals([_core_line(row, taxes) for row in rows], currency.round_factor)
    errors = tuple((invoice.error or "").splitlines()) if invoice.status == "failed" else ()
    return DraftOutcome(
        invoice_id=invoice.id,
        uuid=invoice.uuid,
        customer=customer_ref(customer).name,
        title=invoice.title,
        created=invoice.status == "created",
        bexio_id=invoice.bexio_id,
        document_nr=invoice.document_nr,
        url=invoice_url(invoice.bexio_id) if invoice.bexio_id is not None else None,
        currency=currency.name,
        total_net=totals.net,
        total_vat=totals.total_vat,
        vat=totals.vat,
        rounding=totals.rounding_difference,
        total=totals.total,
        bexio_total=invoice.bexio_total,
        lines=tuple(
            LineSummary(
                text=row.text,
                quantity=row.quantity,
                unit_price=row.unit_price,
                total=row.amount,
                account_no=accounts.get(row.account_id) if row.account_id is not None else None,
                tax_code=row.tax_code,
                kind=row.kind,
            )
            for row in rows
        ),
        errors=errors,
        hint=refusal_hint(errors) if errors else None,
    )


async def account_numbers(session: AsyncSession, bexio_ids: set[int]) -> dict[int, str]:
    if not bexio_ids:
        return {}
    rows = await session.execute(
        select(Account.bexio_id, Account.account_no).where(Account.bexio_id.in_(bexio_ids))
    )
    return {bexio_id: number for bexio_id, number in rows.all()}


async def _taxes(session: AsyncSession, bexio_ids: set[int]) -> dict[int, Tax]:
    if not bexio_ids:
        return {}
    rows = await session.scalars(select(TaxRow).where(TaxRow.bexio_id.in_(bexio_ids)))
    return {
        row.bexio_id: Tax(
            row.bexio_id,
            row.code or "",
            row.value,
            row.start_year,
            row.start_month,
            row.end_year,
            row.end_month,
            row.is_active,
            row.type,
        )
        for row in rows
    }


def _core_line(row: InvoiceLineRow, taxes: dict[int, Tax]) -> CoreLine:
    """A stored line back in the core's shape, so stored totals follow the same rules as the preview."""
    return CoreLine(
        key=str(row.position),
        kind=LineKind(row.kind),
        text=row.text,
        quantity=row.quantity,
        unit="",
        unit_price=row.unit_price,
        amount=row.amount,
        tax=taxes.get(row.tax_bexio_id) if row.tax_bexio_id is not None else None,
        account_id=row.account_id,
        entry_ids=(),
        expense_ids=(),
        minutes=row.minutes,
        project_id=row.project_id,
    )


async def _project_bexio_id(
    session: AsyncSession, invoice: Invoice, lines: Sequence[InvoiceLineRow]
) -> int | None:
    """The bexio project of the draft: the one chosen, or the only one all lines belong to."""
    project_ids = (
        {invoice.project_id} if invoice.project_id is not None else {row.project_id for row in lines}
    )
    if len(project_ids) != 1 or None in project_ids:
        return None
    return await session.scalar(select(Project.bexio_id).where(Project.id == project_ids.pop()))


async def _bexio_user_id(session: AsyncSession, created_by: str | None) -> int | None:
    """The invoicing person's bexio user; from the command line, the first linked admin's."""
    if created_by and created_by != "cli":
        mine = await session.scalar(
            select(User.bexio_id).where(User.slack_user_id == created_by, User.bexio_id.is_not(None))
        )
        if mine is not None:
            return mine
    return await session.scalar(
        select(User.bexio_id)
        .where(User.bexio_id.is_not(None), User.active.is_(True))
        .order_by(User.is_superadmin.desc(), (User.role == "admin").desc(), User.bexio_id)
        .limit(1)
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def refusal_hint(errors: Sequence[str]) -> str:
    """What to fix, from bexio's refusal (field names are bexio's, the messages German)."""
    text = " ".join(errors)
    if "document_nr" in text:
        return _(
            "bexio refused the invoice number: check “Use bexio invoice number” against bexio's automatic "
            "numbering for invoices, then invoice again."
        )
    if "account_id" in text:
        return _(
            "A line's account is not an active income account in bexio: fix it in the App Home → Account mapping."
        )
    if "tax_id" in text:
        return _(
            "A line's sales tax is not active in bexio: activate it in bexio or set another tax, then invoice again."
        )
    if "contact" in text or "name_1" in text or "mail" in text:
        return _("bexio refused the customer: correct the customer's details, then invoice again.")
    return _("Fix this in bexio or bxhours, then invoice again — the hours are free to invoice again.")


def _waiting_reason(exc: BexioError) -> str:
    if isinstance(exc, BexioAuthError):
        return _("bexio refused bxhours' access — an admin must reconnect bexio; bxhours keeps trying.")
    if isinstance(exc, BexioPermissionError):
        return _("bexio denied the request (missing right or scope) — an admin must fix the connection.")
    return _("bexio did not answer for sure — bxhours checks and tries again in a moment, never twice.")
