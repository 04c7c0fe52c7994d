"""The preview of a draft: its lines, what blocks them, the totals of the ticked ones.

Lines, VAT and rounding come from `core` only (`build_lines`, `compute_totals`); this module loads
what they need and adds what the modal and the submit step need around them: the customer, the
projects to filter by, the currency, which lines hold items another invoice has reserved, and a
fingerprint of the ticked lines. The submit step rebuilds the preview inside its transaction and
compares fingerprints, so a draft is only created for exactly what the person saw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from core.invoice_lines import Grouping, InvoiceLine, LineBuild, LineProblem, build_lines, too_many_lines
from core.invoice_totals import InvoiceTotals, compute_totals, service_dates
from core.rates import InvoiceType
from core.time_rounding import NO_ROUNDING, TimeRounding
from services.invoicing.document_language import document_language
from services.invoicing.numbering import INVOICE_CLASS
from services.invoicing.selection import Billable, BillableReader, Selection
from services.invoicing.units import draft_units, missing_units
from services.settings import TenantSettings
from storage.models import Currency as CurrencyRow
from storage.models import Customer, DocumentSetting, Project

DEFAULT_CURRENCY = "CHF"
CHF_ROUND_FACTOR = Decimal("0.05")
"""bexio's CHF rounds totals to 5 Rappen; used only while no currencies are imported yet."""


@dataclass(frozen=True, slots=True)
class CustomerRef:
    id: int
    name: str
    nr: str | None
    bexio_id: int | None
    active: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.nr})" if self.nr else self.name


@dataclass(frozen=True, slots=True)
class ProjectChoice:
    id: int
    name: str
    nr: str | None


@dataclass(frozen=True, slots=True)
class Currency:
    name: str
    round_factor: Decimal


@dataclass(frozen=True)
class Preview:
    selection: Selection
    customer: CustomerRef
    build: LineBuild
    ticked: frozenset[str]
    totals: InvoiceTotals
    currency: Currency
    projects: tuple[ProjectChoice, ...]
    """The customer's projects with billable work in the period, for the project filter."""
    held: dict[str, frozenset[int]]
    """Line key → the pending invoices holding some of its items (only with ``include_reserved``)."""
    language: str = "de"
    """The language the draft is written in (the customer's): its title, header and line texts."""

    @property
    def lines(self) -> tuple[InvoiceLine, ...]:
        return self.build.lines

    @property
    def service_period(self) -> tuple[date, date] | None:
        """The first and last service date of the ticked lines (the draft header's period)."""
        return service_dates(self.ticked_lines)

    @property
    def problems(self) -> tuple[str, ...]:
        """What blocks the draft, one sentence each, in the reader's language; empty when it can
        be created (issue 15 §4). The same sentences the submit step refuses with, so nothing is
        refused at submit that the preview did not show (the numbering is checked apart:
        ``services.invoicing.problems``)."""
        found: list[str] = []
        if not self.lines:
            found.append(
                _(
                    "Nothing to invoice for {customer} in this period: its billable work is "
                    "invoiced already, or none was logged.",
                    customer=self.customer.name,
                )
            )
        elif not self.ticked:
            found.append(_("Tick at least one line to invoice."))
        else:
            too_many = too_many_lines(len(self.ticked_lines), self.selection.grouping)
            if too_many is not None:
                if self.selection.grouping is Grouping.BY_ACTIVITY:
                    too_many = too_many.rstrip(".") + " — choose a project or a shorter period."
                found.append(too_many)
            found.extend(m for messages in self.problems_by_line().values() for m in messages)
        return tuple(dict.fromkeys(found))

    @property
    def ticked_lines(self) -> tuple[InvoiceLine, ...]:
        return tuple(line for line in self.build.lines if line.key in self.ticked)

    @property
    def too_many(self) -> str | None:
        """Why the lines do not fit one draft (and so are not offered one by one), or None."""
        return too_many_lines(len(self.build.lines), self.selection.grouping)

    @property
    def fingerprint(self) -> str:
        """Of every line, ticked or not: ticking changes what is billed, not what was seen."""
        return fingerprint(self.build.lines)

    def problems_by_line(self) -> dict[str, tuple[str, ...]]:
        """Ticked line key → what blocks it."""
        found: dict[str, list[str]] = {}
        for problem in self.build.problems:
            if problem.line_key in self.ticked:
                found.setdefault(problem.line_key, []).append(problem.message)
        return {key: tuple(dict.fromkeys(messages)) for key, messages in found.items()}


def fingerprint(lines: tuple[InvoiceLine, ...]) -> str:
    """Short digest of what would be billed: keys, quantities, prices and the items behind them."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(
            f"{line.key}|{line.quantity}|{line.unit_price}|{line.amount}|"
            f"{','.join(map(str, line.entry_ids))}|{','.join(map(str, line.expense_ids))}\n".encode()
        )
    return digest.hexdigest()[:16]


def time_rounding_of(settings: TenantSettings) -> TimeRounding:
    rounding: TimeRounding | None = settings.get("time_rounding")
    return rounding or NO_ROUNDING


async def invoice_currency(session: AsyncSession) -> Currency:
    """The currency of new drafts: bexio's default for invoices, as imported."""
    setting = await session.scalar(
        select(DocumentSetting).where(DocumentSetting.kb_item_class == INVOICE_CLASS)
    )
    currency_id = (setting.raw or {}).get("default_currency_id") if setting is not None else None
    row = None
    if isinstance(currency_id, int):
        row = await session.scalar(select(CurrencyRow).where(CurrencyRow.bexio_id == currency_id))
    if row is None:
        row = await session.scalar(select(CurrencyRow).where(CurrencyRow.name == DEFAULT_CURRENCY))
    if row is None:
        return Currency(DEFAULT_CURRENCY, CHF_ROUND_FACTOR)
    return Currency(row.name, row.round_factor)


def customer_ref(customer: Customer) -> CustomerRef:
    name = customer.name
    if customer.contact_type == 2 and customer.name_2:
        name = f"{customer.name_2} {customer.name}"
    return CustomerRef(customer.id, name, customer.nr, customer.bexio_id, customer.active)


async def build_preview(
    session: AsyncSession,
    settings: TenantSettings,
    selection: Selection,
    *,
    ticked: frozenset[str] | None = None,
    include_reserved: bool = False,
) -> Preview | None:
    """The preview of a selection; None when the customer does not exist (any more)."""
    customer = await session.get(Customer, selection.customer_id)
    if customer is None:
        return None
    reader = BillableReader(session, settings)
    found = await reader.billable(
        customer_ids=[customer.id],
        period_from=selection.period_from,
        period_to=selection.period_to,
        include_reserved=include_reserved,
    )
    everything = found.get(customer.id, Billable())
    projects = await _project_choices(session, everything)
    billable = _only_project(everything, selection.project_id)
    fixed_projects = {e.project_id for e in billable.entries if e.invoice_type is InvoiceType.FIXED_PRICE}
    language = await document_language(session, settings, customer.id)
    currency = await invoice_currency(session)
    build = build_lines(
        billable.entries,
        billable.expenses,
        taxes=await reader.taxes(),
        grouping=selection.grouping,
        time_rounding=time_rounding_of(settings),
        fixed_price_billed=await reader.fixed_price_billed(fixed_projects),
        language=language,
        currency=currency.name,
    )
    unit_problems = missing_units(build.lines, await draft_units(session))
    if unit_problems:
        build = LineBuild(build.lines, _by_line(build, unit_problems))
    keys = frozenset(line.key for line in build.lines)
    chosen = keys if ticked is None else keys & ticked
    lines = tuple(line for line in build.lines if line.key in chosen)
    return Preview(
        selection=selection,
        customer=customer_ref(customer),
        build=build,
        ticked=chosen,
        totals=compute_totals(lines, currency.round_factor),
        currency=currency,
        projects=projects,
        held=_held_lines(build, billable),
        language=language,
    )


def _by_line(build: LineBuild, extra: tuple[LineProblem, ...]) -> tuple[LineProblem, ...]:
    """The build's problems and ``extra`` ones, each line's together, in line order."""
    order = {line.key: position for position, line in enumerate(build.lines)}
    merged = [*build.problems, *extra]
    return tuple(sorted(merged, key=lambda problem: order.get(problem.line_key, len(order))))


def _only_project(billable: Billable, project_id: int | None) -> Billable:
    if project_id is None:
        return billable
    return Billable(
        entries=[e for e in billable.entries if e.project_id == project_id],
        expenses=[x for x in billable.expenses if x.project_id == project_id],
        held_entries=billable.held_entries,
        held_expenses=billable.held_expenses,
    )


async def _project_choices(session: AsyncSession, billable: Billable) -> tuple[ProjectChoice, ...]:
    ids = {e.project_id for e in billable.entries} | {
        x.project_id for x in billable.expenses if x.project_id is not None
    }
    if not ids:
        return ()
    rows = await session.execute(select(Project.id, Project.name, Project.nr).where(Project.id.in_(ids)))
    choices = [ProjectChoice(row.id, row.name, row.nr) for row in rows]
    return tuple(sorted(choices, key=lambda p: (p.name.casefold(), p.id)))


def _held_lines(build: LineBuild, billable: Billable) -> dict[str, frozenset[int]]:
    if not billable.held_entries and not billable.held_expenses:
        return {}
    held: dict[str, frozenset[int]] = {}
    for line in build.lines:
        invoices = {billable.held_entries[i] for i in line.entry_ids if i in billable.held_entries}
        invoices |= {billable.held_expenses[i] for i in line.expense_ids if i in billable.held_expenses}
        if invoices:
            held[line.key] = frozenset(invoices)
    return held
