"""What can be invoiced: the billable, unbilled entries and expenses of customers, read from
storage into the shapes `core.invoice_lines` works on.

The rules that decide what is offered live here, in one place:

* only billable entries and expenses that belong to a project of the customer;
* only unbilled ones (status ``open``) — the submit step also reads those another invoice holds
  (``reserved``) so it can say who is invoicing them right now;
* hours imported from bexio only when the setting ``invoice_imported_hours_since`` covers their day
  (they were usually billed in bexio already);
* the account of a line is the admin's mapping, else bexio's own default of the activity; the tax
  kind is ``activity_tax:<name>`` or the category's own code, else ``default_sales_tax``;
* a fixed-price project counts as billed once a pending or created draft carries its fixed line.

Reading is one statement per kind of item with plain columns (no ORM objects): a preview over
10 000 entries must stay well under the 200 ms budget of the modal.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.dates import end_of_last_month
from core.invoice_lines import BillableEntry, BillableExpense, Grouping
from core.rates import InvoiceType
from core.settings_schema import SettingError, activity_tax_key
from core.taxes import Tax
from services.settings import TenantSettings
from storage.models import (
    Activity,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceLine,
    Project,
    TimeEntry,
    User,
)
from storage.models import Tax as TaxRow

OPEN, RESERVED, BILLED = "open", "reserved", "billed"
IMPORTED_SOURCE = "bexio"
HOLDING_STATUSES = ("pending", "created")
"""Invoices in these states hold their entries (and a fixed price) — failed ones gave them back."""


@dataclass(frozen=True, slots=True)
class Selection:
    """What the person chose in step 1 of the modal (or on the command line)."""

    customer_id: int
    project_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    grouping: Grouping = Grouping.BY_ACTIVITY


def default_grouping(settings: TenantSettings) -> Grouping:
    """The workspace setting ``invoice_grouping`` (default: by activity), which the modal and the
    command line start with."""
    try:
        value = settings.get("invoice_grouping")
    except SettingError:  # a workspace whose schema has no such setting yet
        return Grouping.BY_ACTIVITY
    try:
        return Grouping(getattr(value, "value", value) or Grouping.BY_ACTIVITY.value)
    except ValueError:
        return Grouping.BY_ACTIVITY


async def default_period(
    session: AsyncSession, settings: TenantSettings, today: date
) -> tuple[date | None, date]:
    """The period an invoice starts with: last month, its first to its last day, when last month
    has unbilled work; else everything unbilled up to today — so a first invoice on day one does
    not open on "0 customers" (the modal and the command line share this rule)."""
    last = end_of_last_month(today)
    first = last.replace(day=1)
    if await BillableReader(session, settings).has_billable(first, last):
        return first, last
    return None, today


@dataclass(frozen=True, slots=True)
class _ProjectInfo:
    customer_id: int
    name: str
    invoice_type: InvoiceType | None
    fixed_amount: Decimal | None
    """The fixed price of a fixed-price project (bexio's ``pr_invoice_type_amount``)."""


def _project_info(
    customer_id: int, name: str, invoice_type: int | None, amount: Decimal | None
) -> _ProjectInfo:
    kind = InvoiceType(invoice_type) if invoice_type in (1, 2, 3, 4) else None
    return _ProjectInfo(customer_id, name, kind, amount if kind is InvoiceType.FIXED_PRICE else None)


@dataclass(frozen=True, slots=True)
class _ActivityInfo:
    name: str
    account_id: int | None
    tax_kind: str


@dataclass
class Billable:
    """One customer's billable items, ready for `core.invoice_lines.build_lines`."""

    entries: list[BillableEntry] = field(default_factory=list)
    expenses: list[BillableExpense] = field(default_factory=list)
    held_entries: dict[int, int] = field(default_factory=dict)
    """Entry id → the pending invoice that holds it (only read with ``include_reserved``)."""
    held_expenses: dict[int, int] = field(default_factory=dict)


class BillableReader:
    """Reads billable items for one tenant inside the caller's unit of work."""

    def __init__(self, session: AsyncSession, settings: TenantSettings) -> None:
        self.session = session
        self.settings = settings
        self._tax_kinds: dict[str, str] = {}
        self._default_tax: str = settings.get("default_sales_tax")
        self._imported_since: date | None = settings.get("invoice_imported_hours_since")

    async def billable(
        self,
        *,
        customer_ids: Collection[int] | None,
        project_id: int | None = None,
        period_from: date | None = None,
        period_to: date | None = None,
        include_reserved: bool = False,
    ) -> dict[int, Billable]:
        """Customer id → billable items; ``customer_ids`` None reads every customer."""
        statuses = (OPEN, RESERVED) if include_reserved else (OPEN,)
        projects_query = self._projects_query(customer_ids, project_id)
        projects = {
            row.id: _project_info(row.customer_id, row.name, row.invoice_type, row.invoice_amount)
            for row in await self.session.execute(projects_query)
        }
        if not projects:
            return {}
        activities = {
            row.id: _ActivityInfo(
                row.name,
                row.mapped_account_id if row.mapped_account_id is not None else row.bexio_account_id,
                self._activity_tax_kind(row.name),
            )
            for row in await self.session.execute(
                select(Activity.id, Activity.name, Activity.mapped_account_id, Activity.bexio_account_id)
            )
        }
        emails = dict((await self.session.execute(select(User.id, User.email))).all())
        in_projects = select(projects_query.subquery().c.id)
        found: dict[int, Billable] = {}
        entries = self._entry_query(statuses, in_projects, period_from, period_to)
        for (
            entry_id,
            day,
            minutes,
            rate,
            note,
            status,
            invoice_id,
            pid,
            activity_id,
            user_id,
        ) in await self.session.execute(entries):
            project = projects[pid]
            activity = activities[activity_id]
            billable = found.get(project.customer_id)
            if billable is None:
                billable = found[project.customer_id] = Billable()
            billable.entries.append(
                BillableEntry(
                    entry_id,
                    day,
                    minutes,
                    rate,
                    pid,
                    project.name,
                    project.invoice_type,
                    project.fixed_amount,
                    activity_id,
                    activity.name,
                    emails.get(user_id) or "",
                    activity.account_id,
                    activity.tax_kind,
                    note or "",
                )
            )
            if status == RESERVED and invoice_id is not None:
                billable.held_entries[entry_id] = invoice_id
        expenses = self._expense_query(statuses, in_projects, period_from, period_to)
        for row in await self.session.execute(expenses):
            project = projects[row.project_id]
            billable = found.setdefault(project.customer_id, Billable())
            billable.expenses.append(
                BillableExpense(
                    expense_id=row.id,
                    day=row.day,
                    gross_amount=row.amount,
                    project_id=row.project_id,
                    project_name=project.name,
                    category_id=row.category_id,
                    category_name=row.category_name,
                    account_id=row.account_id,
                    tax_kind=row.tax_code or self._default_tax,
                    note=row.note or "",
                )
            )
            if row.status == RESERVED and row.invoice_id is not None:
                billable.held_expenses[row.id] = row.invoice_id
        return found

    async def has_billable(self, period_from: date, period_to: date) -> bool:
        """Whether any customer has unbilled billable work in the period (one row is enough)."""
        in_projects = select(self._projects_query(None, None).subquery().c.id)
        entry = await self.session.scalar(
            self._entry_query((OPEN,), in_projects, period_from, period_to).limit(1)
        )
        if entry is not None:
            return True
        expense = await self.session.execute(
            self._expense_query((OPEN,), in_projects, period_from, period_to).limit(1)
        )
        return expense.first() is not None

    async def taxes(self) -> list[Tax]:
        rows = await self.session.scalars(select(TaxRow).where(TaxRow.present.is_(True)))
        return [
            Tax(
                bexio_id=row.bexio_id,
                code=row.code or "",
                value=row.value,
                start_year=row.start_year,
                start_month=row.start_month,
                end_year=row.end_year,
                end_month=row.end_month,
                is_active=row.is_active,
                type=row.type,
            )
            for row in rows
        ]

    async def fixed_price_billed(self, project_ids: Collection[int]) -> frozenset[int]:
        """Fixed-price projects a pending or created draft already bills."""
        if not project_ids:
            return frozenset()
        rows = await self.session.scalars(
            select(InvoiceLine.project_id)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                InvoiceLine.kind == "fixed",
                InvoiceLine.project_id.in_(list(project_ids)),
                Invoice.status.in_(HOLDING_STATUSES),
            )
            .distinct()
        )
        return frozenset(project_id for project_id in rows if project_id is not None)

    # --- queries ----------------------------------------------------------------------

    def _period(
        self, column: InstrumentedAttribute[date], period_from: date | None, period_to: date | None
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if period_from is not None:
            conditions.append(column >= period_from)
        if period_to is not None:
            conditions.append(column <= period_to)
        return conditions

    def _projects_query(
        self, customer_ids: Collection[int] | None, project_id: int | None
    ) -> Select[*tuple[Any, ...]]:
        query: Select[*tuple[Any, ...]] = select(
            Project.id, Project.customer_id, Project.name, Project.invoice_type, Project.invoice_amount
        ).where(Project.customer_id.is_not(None))
        if customer_ids is not None:
            query = query.where(Project.customer_id.in_(list(customer_ids)))
        if project_id is not None:
            query = query.where(Project.id == project_id)
        return query

    def _entry_query(
        self,
        statuses: tuple[str, ...],
        in_projects: Select[*tuple[Any, ...]],
        period_from: date | None,
        period_to: date | None,
    ) -> Select[*tuple[Any, ...]]:
        """Plain columns of the entries only: names come from the small tables read beside it."""
        imported = TimeEntry.source == IMPORTED_SOURCE
        if self._imported_since is None:
            source_rule = ~imported
        else:
            source_rule = or_(~imported, TimeEntry.day >= self._imported_since)
        return select(
            TimeEntry.id,
            TimeEntry.day,
            TimeEntry.minutes,
            TimeEntry.rate,
            TimeEntry.note,
            TimeEntry.status,
            TimeEntry.invoice_id,
            TimeEntry.project_id,
            TimeEntry.activity_id,
            TimeEntry.user_id,
        ).where(
            TimeEntry.billable.is_(True),
            TimeEntry.status.in_(statuses),
            TimeEntry.project_id.in_(in_projects),
            TimeEntry.activity_id.is_not(None),
            source_rule,
            *self._period(TimeEntry.day, period_from, period_to),
        )

    def _expense_query(
        self,
        statuses: tuple[str, ...],
        in_projects: Select[*tuple[Any, ...]],
        period_from: date | None,
        period_to: date | None,
    ) -> Select[*tuple[Any, ...]]:
        return (
            select(
                Expense.id,
                Expense.day,
                Expense.amount,
                Expense.note,
                Expense.status,
                Expense.invoice_id,
                Expense.project_id,
                ExpenseCategory.id.label("category_id"),
                ExpenseCategory.name.label("category_name"),
                ExpenseCategory.account_id,
                ExpenseCategory.tax_code,
            )
            .join(ExpenseCategory, ExpenseCategory.id == Expense.category_id)
            .where(
                Expense.billable.is_(True),
                Expense.status.in_(statuses),
                Expense.project_id.in_(in_projects),
                *self._period(Expense.day, period_from, period_to),
            )
            .order_by(Expense.id)
        )

    def _activity_tax_kind(self, activity_name: str) -> str:
        kind = self._tax_kinds.get(activity_name)
        if kind is None:
            own: str | None = self.settings.get(activity_tax_key(activity_name))
            kind = self._tax_kinds[activity_name] = own or self._default_tax
        return kind
