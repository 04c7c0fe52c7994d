"""`InvoicingService`: the one object Slack handlers, the command line and the worker call.

It only composes the modules of this package (selection, preview, submit, push, numbering,
customers, account mapping) and opens the unit of work for each call; the rules live there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.clock import to_local
from core.dates import end_of_last_month
from core.invoice_lines import Grouping, InvoiceLine
from services.invoicing import accounts, customers
from services.invoicing.bexio_customers import BexioCustomers
from services.invoicing.document_language import document_language
from services.invoicing.numbering import bexio_numbers_automatically, next_own_number, numbering_problem
from services.invoicing.preview import CustomerRef, Preview, build_preview, customer_ref
from services.invoicing.problems import draft_problems
from services.invoicing.push import ClientFactory, Pusher, account_numbers, load_outcome
from services.invoicing.report_pdf import find_invoice, load_report, report_file
from services.invoicing.reporting import DraftOutcome, InvoiceReporter, ReportFile
from services.invoicing.selection import Selection, default_grouping, default_period
from services.invoicing.submit import InvoiceRequest, Submitted, Submitter
from services.people import PeopleService
from services.settings import SettingsService
from storage.db import Database
from storage.jobs import ClaimedJob, JobQueue
from storage.models import Invoice


@dataclass(frozen=True, slots=True)
class Numbering:
    """What the modal shows next to "Use bexio invoice number"."""

    use_bexio_default: bool
    bexio_automatic: bool | None
    next_own_number: str


class InvoicingService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        settings: SettingsService,
        people: PeopleService,
        clients: ClientFactory,
        reporter: InvoiceReporter,
        now: Callable[[], datetime],
        timezone: str,
    ) -> None:
        self.db = db
        self.settings = settings
        self.people = people
        self.now = now
        self.timezone = timezone
        self.submitter = Submitter(db, queue, settings, now, timezone)
        self.pusher = Pusher(db, settings, clients, BexioCustomers(db, now), reporter, now)

    def today(self) -> date:
        return to_local(self.now(), self.timezone).date()

    def default_period_end(self) -> date:
        """The modal's default: everything unbilled up to the end of last month."""
        return end_of_last_month(self.today())

    async def default_period(self, tenant_id: int) -> tuple[date | None, date]:
        """Last month when it has unbilled work, else everything unbilled up to today (issue 15 §6)."""
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            return await default_period(session, settings, self.today())

    async def default_grouping(self, tenant_id: int) -> Grouping:
        """The setting ``invoice_grouping``: what the modal and the command line start with."""
        return default_grouping(await self.settings.load(tenant_id))

    async def can_invoice(self, tenant_id: int, slack_user_id: str) -> bool:
        """Admins and the Slack users in the setting ``billing_users``."""
        if await self.people.is_admin(tenant_id, slack_user_id):
            return True
        billing: tuple[str, ...] = (await self.settings.load(tenant_id)).get("billing_users")
        return slack_user_id in billing

    # --- preview ----------------------------------------------------------------------------

    async def preview(
        self, tenant_id: int, selection: Selection, *, ticked: frozenset[str] | None = None
    ) -> Preview | None:
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            return await build_preview(session, settings, selection, ticked=ticked)

    async def problems(
        self,
        tenant_id: int,
        preview: Preview,
        *,
        invoice_date: date | None = None,
        use_bexio_numbering: bool | None = None,
    ) -> tuple[str, ...]:
        """What blocks the preview's draft, one sentence each (``services.invoicing.problems``)."""
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            return await draft_problems(
                session,
                settings,
                preview,
                invoice_date=invoice_date or self.today(),
                use_bexio_numbering=use_bexio_numbering,
            )

    async def document_language(self, tenant_id: int, customer_id: int | None) -> str:
        """The language the customer's draft is written in (its title, header and positions)."""
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            return await document_language(session, settings, customer_id)

    async def numbering(self, tenant_id: int, invoice_date: date) -> Numbering:
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            own = await next_own_number(session, settings.get("invoice_number_format"), invoice_date)
            return Numbering(
                use_bexio_default=settings.get("use_bexio_numbering"),
                bexio_automatic=await bexio_numbers_automatically(session),
                next_own_number=own.number,
            )

    async def numbering_problem(self, tenant_id: int, use_bexio: bool, invoice_date: date) -> str | None:
        """Why the submit would refuse this numbering (shown in the preview before anyone submits)."""
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            example = await next_own_number(session, settings.get("invoice_number_format"), invoice_date)
            return numbering_problem(use_bexio, await bexio_numbers_automatically(session), example.number)

    async def customer_choices(
        self, tenant_id: int, query: str, *, period_from: date | None, period_to: date | None
    ) -> list[customers.CustomerChoice]:
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            return await customers.customer_choices(
                session, settings, query, period_from=period_from, period_to=period_to
            )

    async def unbilled(
        self, tenant_id: int, *, period_from: date | None, period_to: date | None
    ) -> dict[int, Decimal]:
        """Customer id → net amount of the billable work in the period."""
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            return await customers.unbilled_by_customer(
                session, settings, period_from=period_from, period_to=period_to
            )

    async def find_customer(self, tenant_id: int, text: str) -> CustomerRef:
        async with self.db.session(tenant_id) as session:
            return customer_ref(await customers.find_customer(session, text))

    # --- submit and push ----------------------------------------------------------------------

    async def submit(
        self,
        tenant_id: int,
        request: InvoiceRequest,
        *,
        notify: Mapping[str, Any] | None = None,
        delay: float = 0.0,
    ) -> Submitted:
        return await self.submitter.submit(tenant_id, request, notify=notify, delay=delay)

    async def run_push_job(self, job: ClaimedJob) -> dict[str, Any]:
        return await self.pusher.run_job(job)

    async def outcome(self, tenant_id: int, invoice_id: int) -> DraftOutcome:
        async with self.db.session(tenant_id) as session:
            return await load_outcome(session, invoice_id)

    async def report(self, tenant_id: int, number: str) -> ReportFile:
        """The timesheet report (PDF) of the invoice with this bexio or own number (issue 15 §3);
        raises ``report_pdf.UnknownInvoice``."""
        async with self.db.session(tenant_id) as session:
            return await self.report_of(tenant_id, await find_invoice(session, number))

    async def report_of(self, tenant_id: int, invoice_id: int) -> ReportFile:
        async with self.db.session(tenant_id) as session:
            settings = await self.settings.load(tenant_id, session=session)
            report = await load_report(session, settings, invoice_id)
        return await asyncio.to_thread(report_file, report)

    async def status(self, tenant_id: int, invoice_id: int) -> str | None:
        async with self.db.session(tenant_id) as session:
            invoice = await session.get(Invoice, invoice_id)
            return invoice.status if invoice is not None else None

    async def account_numbers(self, tenant_id: int, bexio_ids: set[int]) -> dict[int, str]:
        async with self.db.session(tenant_id) as session:
            return await account_numbers(session, bexio_ids)

    # --- customers and accounts ---------------------------------------------------------------

    async def create_customer(
        self, tenant_id: int, new: customers.NewCustomer, *, actor: str
    ) -> customers.CreatedCustomer:
        async with self.db.session(tenant_id) as session:
            return await customers.create_customer(session, new, actor=actor, now=self.now)

    async def income_accounts(self, tenant_id: int, query: str = "") -> list[accounts.AccountChoice]:
        async with self.db.session(tenant_id) as session:
            return await accounts.income_accounts(session, query)

    async def missing_accounts(
        self, tenant_id: int, lines: Sequence[InvoiceLine]
    ) -> list[accounts.MissingAccount]:
        async with self.db.session(tenant_id) as session:
            return await accounts.missing_accounts(session, lines)

    async def proposed_account(self, tenant_id: int) -> accounts.AccountChoice | None:
        """The proposal for expense categories without an account; None when none lacks one."""
        async with self.db.session(tenant_id) as session:
            if not await accounts.categories_without_account(session):
                return None
            return await accounts.proposed_account(session)

    async def confirm_proposal(self, tenant_id: int, account_id: int, *, actor: str) -> int:
        """Raises `accounts.ProposalChanged` when the admin confirmed another proposal than today's."""
        async with self.db.session(tenant_id) as session:
            return await accounts.confirm_proposal(session, account_id, actor=actor, now=self.now)

    async def mapping_rows(self, tenant_id: int) -> list[accounts.MappingRow]:
        async with self.db.session(tenant_id) as session:
            return await accounts.mapping_rows(session)

    async def save_mapping(
        self,
        tenant_id: int,
        changes: Mapping[tuple[accounts.RowKind, int], int | None],
        *,
        actor: str,
    ) -> dict[tuple[accounts.RowKind, int], str]:
        """Saves the valid choices; returns the refused ones with why (nothing of those is stored)."""
        async with self.db.session(tenant_id) as session:
            return await accounts.save_mapping(session, changes, actor=actor, now=self.now)
