"""Submitting an invoice: everything checked, then ONE transaction that creates the local invoice,
reserves exactly the ticked entries and expenses, and enqueues the push to bexio.

The preview is rebuilt inside that transaction (also reading what other invoices hold), so what
is reserved is what the person saw — its fingerprint must match — and nothing is reserved twice:
the reservation is a conditional ``UPDATE … WHERE status = 'open'`` whose row count must equal
the number of items. A concurrent invoice over the same entries therefore fails cleanly (on
PostgreSQL the second UPDATE waits for the first transaction and then finds the rows taken;
SQLite serialises the two writers), and its transaction — invoice, lines, job — rolls back whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import to_local
from core.errors import DomainError
from core.i18n import _
from core.invoice_lines import Grouping, InvoiceLine, too_many_lines
from core.invoice_totals import default_title, is_default_title
from services.invoicing.numbering import bexio_numbers_automatically, next_own_number, numbering_problem
from services.invoicing.preview import Preview, build_preview
from services.invoicing.selection import OPEN, RESERVED, Selection
from services.settings import SettingsService, TenantSettings
from storage.db import Database
from storage.jobs import JobQueue
from storage.models import AuditLog, Expense, Invoice, TimeEntry
from storage.models import InvoiceLine as InvoiceLineRow

INVOICE_PUSH = "invoice.push"
PUSH_MAX_ATTEMPTS = 12
"""With the queue's backoff (5 s doubling, capped at an hour) a push keeps trying for about five
hours of bexio trouble before it is parked for an admin."""
MAX_PAYMENT_DAYS = 365
MAX_TITLE = 255
MAX_REFERENCE = 255
MAX_LINE_TEXT = 1000
"""A position text the biller edited: bexio documents no limit (UNCONFIRMED), the sandbox enforces 1000."""
_CHUNK = 500


class Field(StrEnum):
    """The parts of an invoice request an error can point at (the modal maps them to its blocks)."""

    CUSTOMER = "customer"
    PROJECT = "project"
    GROUPING = "grouping"
    LINES = "lines"
    TITLE = "title"
    INVOICE_DATE = "invoice_date"
    PAYMENT_DAYS = "payment_days"
    NUMBERING = "numbering"
    REFERENCE = "reference"


class InvoiceRefused(DomainError):
    """The request cannot become a draft: every problem, by field, and by line for line problems."""

    def __init__(self, errors: Mapping[Field, str], line_errors: Mapping[str, str] | None = None) -> None:
        messages = dict.fromkeys([*errors.values(), *(line_errors or {}).values()])
        super().__init__(" ".join(messages))
        self.errors = dict(errors)
        self.line_errors = dict(line_errors or {})


class PreviewChanged(InvoiceRefused):
    """The unbilled work changed since the person's preview: show them the new one first."""

    def __init__(self) -> None:
        super().__init__(
            {
                Field.LINES: _(
                    "The lines changed since this preview (hours were logged, edited or invoiced, "
                    "or an account or rate was changed meanwhile) — check them and submit again."
                )
            }
        )


@dataclass(frozen=True)
class InvoiceRequest:
    selection: Selection
    actor: str
    """The Slack user id of the person invoicing, or "cli"."""
    ticked: frozenset[str] | None = None
    """Line keys to bill; None bills every line of the selection."""
    title: str | None = None
    invoice_date: date | None = None
    payment_days: int = 30
    intro: str | None = None
    use_bexio_numbering: bool | None = None
    """None follows the setting ``use_bexio_numbering``."""
    fingerprint: str | None = None
    """The fingerprint of the preview the person saw; None skips the check (command line)."""
    reference: str | None = None
    """The customer's reference (e.g. their PO number): bexio's ``reference`` on the draft."""
    line_texts: Mapping[str, str] | None = None
    """Line key → the text the biller wrote instead of the proposed one."""


@dataclass(frozen=True)
class Submitted:
    invoice_id: int
    uuid: str
    job_id: int
    preview: Preview


class Submitter:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        settings: SettingsService,
        now: Callable[[], datetime],
        timezone: str,
    ) -> None:
        self.db = db
        self.queue = queue
        self.settings = settings
        self.now = now
        self.timezone = timezone

    def today(self) -> date:
        return to_local(self.now(), self.timezone).date()

    async def submit(
        self,
        tenant_id: int,
        request: InvoiceRequest,
        *,
        notify: Mapping[str, Any] | None = None,
        delay: float = 0.0,
    ) -> Submitted:
        """Create the invoice and its push job, or raise `InvoiceRefused` (and change nothing).

        ``notify`` is kept in the job's payload for whoever reports the outcome (the modal's view id).
        """
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            preview = await build_preview(session, settings, request.selection, ticked=request.ticked)
            use_bexio = (
                settings.get("use_bexio_numbering")
                if request.use_bexio_numbering is None
                else request.use_bexio_numbering
            )
            invoice_date = request.invoice_date or self.today()
            await self._check(session, settings, request, preview, use_bexio, invoice_date)
            assert preview is not None
            now = self.now()
            selection = request.selection
            # The title and header name the first..last service date of the lines invoiced (§1).
            served = preview.service_period
            invoice = Invoice(
                uuid=str(uuid.uuid4()),
                customer_id=selection.customer_id,
                project_id=selection.project_id,
                title=_title(
                    request.title,
                    served[1] if served else selection.period_to or invoice_date,
                    preview.language,
                    start=served[0] if served else None,
                    period_end=selection.period_to,
                ),
                service_from=served[0] if served else None,
                service_to=served[1] if served else None,
                language=preview.language,
                intro=(request.intro or "").strip() or None,
                reference=(request.reference or "").strip() or None,
                invoice_date=invoice_date,
                payment_days=request.payment_days,
                period_from=selection.period_from,
                period_to=selection.period_to,
                numbering="bexio" if use_bexio else "own",
                status="pending",
                total_net=preview.totals.net,
                total_vat=preview.totals.total_vat,
                total=preview.totals.total,
                created_by=request.actor,
                created_at=now,
                updated_at=now,
            )
            session.add(invoice)
            await session.flush()
            lines = preview.ticked_lines
            session.add_all(_line_rows(invoice.id, lines, request.line_texts or {}))
            await self._reserve(session, invoice.id, lines, now)
            payload = {"invoice_id": invoice.id, **(notify or {})}
            job_id = await self.queue.enqueue(
                tenant_id,
                INVOICE_PUSH,
                payload,
                dedup_key=f"invoice:{invoice.uuid}",
                delay=delay,
                max_attempts=PUSH_MAX_ATTEMPTS,
                session=session,
            )
            session.add(
                AuditLog(
                    actor=request.actor,
                    action="invoice.submit",
                    subject_type="invoice",
                    subject_id=str(invoice.id),
                    details={
                        "uuid": invoice.uuid,
                        "customer_id": selection.customer_id,
                        "lines": len(lines),
                        "total": str(preview.totals.total),
                    },
                    created_at=now,
                )
            )
            return Submitted(invoice.id, invoice.uuid, job_id, preview)

    async def _check(
        self,
        session: AsyncSession,
        settings: TenantSettings,
        request: InvoiceRequest,
        preview: Preview | None,
        use_bexio: bool,
        invoice_date: date,
    ) -> None:
        if preview is None:
            raise InvoiceRefused(
                {Field.CUSTOMER: _("This customer does not exist (any more) — choose another one.")}
            )
        if request.fingerprint is not None and request.fingerprint != preview.fingerprint:
            await self._refuse_if_held(session, settings, request)
            raise PreviewChanged
        errors: dict[Field, str] = {}
        line_errors: dict[str, str] = {}
        if not preview.lines:
            errors[Field.LINES] = _(
                "Nothing to invoice for {customer} in this period: its billable work is "
                "invoiced already, or none was logged.",
                customer=preview.customer.name,
            )
        elif not preview.ticked:
            errors[Field.LINES] = _("Tick at least one line to invoice.")
        else:
            too_many = too_many_lines(len(preview.ticked_lines), request.selection.grouping)
            if too_many is not None:
                if request.selection.grouping is Grouping.BY_ACTIVITY:
                    too_many = too_many.rstrip(".") + " — choose a project or a shorter period."
                errors[Field.GROUPING] = too_many
            for key, messages in preview.problems_by_line().items():
                line_errors[key] = " ".join(messages)
            if line_errors:
                errors[Field.LINES] = " ".join(dict.fromkeys(line_errors.values()))
        fmt: str = settings.get("invoice_number_format")
        example = (await next_own_number(session, fmt, invoice_date)).number
        problem = numbering_problem(use_bexio, await bexio_numbers_automatically(session), example)
        if problem is not None:
            errors[Field.NUMBERING] = problem
        if not 0 <= request.payment_days <= MAX_PAYMENT_DAYS:
            errors[Field.PAYMENT_DAYS] = _("The payment term is 0 to {days} days.", days=MAX_PAYMENT_DAYS)
        if request.title is not None and len(request.title.strip()) > MAX_TITLE:
            errors[Field.TITLE] = _("The title can have at most {count} characters.", count=MAX_TITLE)
        if request.reference is not None and len(request.reference.strip()) > MAX_REFERENCE:
            errors[Field.REFERENCE] = _(
                "The reference can have at most {count} characters.", count=MAX_REFERENCE
            )
        for key, text in (request.line_texts or {}).items():
            if key in preview.ticked and len(text.strip()) > MAX_LINE_TEXT:
                line_errors[key] = _(
                    "A line's text can have at most {count} characters.", count=MAX_LINE_TEXT
                )
                errors.setdefault(Field.LINES, line_errors[key])
        if errors:
            raise InvoiceRefused(errors, line_errors)

    async def _refuse_if_held(
        self, session: AsyncSession, settings: TenantSettings, request: InvoiceRequest
    ) -> None:
        """When the change is another invoice taking ticked work, say who is invoicing it."""
        full = await build_preview(
            session, settings, request.selection, ticked=request.ticked, include_reserved=True
        )
        if full is None:
            return
        held = {key: ids for key, ids in full.held.items() if key in full.ticked}
        if held:
            message = await self._held_message(session, {i for ids in held.values() for i in ids})
            raise InvoiceRefused({Field.LINES: message}, dict.fromkeys(held, message))

    async def _held_message(self, session: AsyncSession, invoice_ids: set[int]) -> str:
        rows = (
            await session.execute(
                select(Invoice.created_by, Invoice.created_at).where(Invoice.id.in_(invoice_ids))
            )
        ).all()
        who = ", ".join(sorted({_person(row.created_by) for row in rows})) or _("someone")
        started = min((row.created_at for row in rows), default=None)
        if started is not None:
            time = f"{to_local(started, self.timezone):%H:%M}"
            return _(
                "Some of these hours are being invoiced by {who} right now (started {time}) — untick "
                "those lines or wait until that draft exists.",
                who=who,
                time=time,
            )
        return _(
            "Some of these hours are being invoiced by {who} right now — untick those lines "
            "or wait until that draft exists.",
            who=who,
        )

    async def _reserve(
        self, session: AsyncSession, invoice_id: int, lines: Sequence[InvoiceLine], now: datetime
    ) -> None:
        entry_ids = sorted({i for line in lines for i in line.entry_ids})
        expense_ids = sorted({i for line in lines for i in line.expense_ids})
        taken = 0
        for table, ids in ((TimeEntry, entry_ids), (Expense, expense_ids)):
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                result = await session.execute(
                    update(table)
                    .where(table.id.in_(chunk), table.status == OPEN)
                    .values(status=RESERVED, invoice_id=invoice_id, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                taken += result.rowcount  # type: ignore[attr-defined]
        if taken != len(entry_ids) + len(expense_ids):
            raise InvoiceRefused(
                {
                    Field.LINES: _(
                        "Someone started invoicing some of these hours a moment ago — "
                        "check the lines and submit again."
                    )
                }
            )


def _title(
    typed: str | None,
    last: date,
    language: str,
    *,
    start: date | None = None,
    period_end: date | None = None,
) -> str:
    """What was typed, else the proposed title in the customer's language — also when what came
    back is a proposal made in another language before the customer was chosen (or one for the
    chosen period's end rather than the services' dates). The proposal names the month of the
    services (``last``), or their dates when ``start`` is in another month (issue 15 §1)."""
    title = (typed or "").strip()
    proposals = is_default_title(title, last, start=start)
    if period_end is not None:
        proposals = proposals or is_default_title(title, period_end)
    if not title or proposals:
        return default_title(last, language, start=start)
    return title


def _person(created_by: str | None) -> str:
    if created_by is None:
        return _("someone")
    if created_by == "cli":
        return _("the command line")
    return f"<@{created_by}>"


def _line_rows(
    invoice_id: int, lines: Sequence[InvoiceLine], texts: Mapping[str, str]
) -> list[InvoiceLineRow]:
    """The lines as stored (and pushed): a text the biller edited replaces the proposed one."""
    return [
        InvoiceLineRow(
            invoice_id=invoice_id,
            position=position,
            kind=line.kind.value,
            text=(texts.get(line.key) or "").strip() or line.text,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            tax_code=line.tax.code if line.tax is not None else None,
            tax_bexio_id=line.tax.bexio_id if line.tax is not None else None,
            account_id=line.account_id,
            minutes=line.minutes,
            project_id=line.project_id,
        )
        for position, line in enumerate(lines, start=1)
    ]
