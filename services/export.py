"""`bxhours export entries`: time entries and expenses as JSON or as a CSV that Excel opens as is.

Rows stream from the database (a tenant with years of imported bexio timesheets must not be
loaded into memory at once); the few names they refer to are looked up once. Money and hours are
strings with two decimals, so no spreadsheet or JSON reader turns them into floats on the way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import func, select

from core.durations import hours_decimal
from core.errors import DomainError
from core.money import quantize_money
from services.invoicing.customers import customer_name
from storage.db import Database
from storage.models import (
    Activity,
    Customer,
    Expense,
    ExpenseCategory,
    Invoice,
    Project,
    TimeEntry,
    User,
)

COLUMNS = (
    "kind",
    "date",
    "user_email",
    "customer",
    "project_nr",
    "project",
    "activity",
    "category",
    "minutes",
    "hours",
    "rate",
    "amount",
    "billable",
    "status",
    "invoice_number",
    "note",
)
TEXT_COLUMNS = frozenset(
    {
        "kind",
        "user_email",
        "customer",
        "project_nr",
        "project",
        "activity",
        "category",
        "status",
        "invoice_number",
        "note",
    }
)
"""Columns people typed or named: a spreadsheet must never run them as formulas (CSV injection)."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, CSV Injection)."""
BOM = "\ufeff"
DEFAULT_DELIMITER = ";"
"""Excel in de-CH splits CSV on semicolons."""
_STREAM_BATCH = 2000

Row = dict[str, Any]


class ExportError(DomainError):
    """A filter that matches nothing it could mean; the message names it."""


@dataclass(frozen=True, slots=True)
class ExportFilter:
    start: date | None = None
    end: date | None = None
    user_email: str | None = None
    project_nr: str | None = None


@dataclass(frozen=True, slots=True)
class _Names:
    emails: dict[int, str | None]
    projects: dict[int, tuple[str | None, str, str | None]]
    """project id → (nr, name, customer name)."""
    activities: dict[int, str]
    categories: dict[int, str]
    invoices: dict[int, str | None]


class ExportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def rows(self, tenant_id: int, selection: ExportFilter) -> AsyncIterator[Row]:
        """Entries and expenses in the selection, by date (an expense after the hours of its day)."""
        if selection.start and selection.end and selection.start > selection.end:
            raise ExportError(f"--from {selection.start} is after --to {selection.end}.")
        async with self.db.session(tenant_id) as session:
            names = await self._names(session)
            user_ids = await self._user_ids(session, selection.user_email)
            project_ids = self._project_ids(names, selection.project_nr)
            expense_query = select(Expense).order_by(Expense.day, Expense.id)
            entry_query = select(TimeEntry).order_by(TimeEntry.day, TimeEntry.id)
            if selection.start:
                expense_query = expense_query.where(Expense.day >= selection.start)
                entry_query = entry_query.where(TimeEntry.day >= selection.start)
            if selection.end:
                expense_query = expense_query.where(Expense.day <= selection.end)
                entry_query = entry_query.where(TimeEntry.day <= selection.end)
            if user_ids is not None:
                expense_query = expense_query.where(Expense.user_id.in_(user_ids))
                entry_query = entry_query.where(TimeEntry.user_id.in_(user_ids))
            if project_ids is not None:
                expense_query = expense_query.where(Expense.project_id.in_(project_ids))
                entry_query = entry_query.where(TimeEntry.project_id.in_(project_ids))
            # Expenses are few next to years of hours: hold them, stream the hours past them.
            expenses = [_expense_row(e, names) for e in await session.scalars(expense_query)]
            pending = iter(expenses)
            waiting = next(pending, None)
            stream = await session.stream_scalars(entry_query.execution_options(yield_per=_STREAM_BATCH))
            async for entry in stream:
                while waiting is not None and waiting["date"] < entry.day.isoformat():
                    yield waiting
                    waiting = next(pending, None)
                yield _entry_row(entry, names)
            while waiting is not None:
                yield waiting
                waiting = next(pending, None)

    async def _names(self, session: Any) -> _Names:
        # The customer named as everywhere else (a person with first and last name), issue 15 §8.
        customers = {c.id: customer_name(c) for c in await session.scalars(select(Customer))}
        projects = {
            pid: (nr, name, customers.get(customer_id))
            for pid, nr, name, customer_id in await session.execute(
                select(Project.id, Project.nr, Project.name, Project.customer_id)
            )
        }
        return _Names(
            emails=dict((await session.execute(select(User.id, User.email))).all()),
            projects=projects,
            activities=dict((await session.execute(select(Activity.id, Activity.name))).all()),
            categories=dict((await session.execute(select(ExpenseCategory.id, ExpenseCategory.name))).all()),
            invoices=dict((await session.execute(select(Invoice.id, Invoice.document_nr))).all()),
        )

    async def _user_ids(self, session: Any, email: str | None) -> list[int] | None:
        if email is None:
            return None
        wanted = email.strip().casefold()
        ids = list(await session.scalars(select(User.id).where(func.lower(User.email) == wanted)))
        if not ids:
            raise ExportError(f"Nobody in bxhours has the e-mail address {email.strip()}.")
        return ids

    def _project_ids(self, names: _Names, nr: str | None) -> list[int] | None:
        if nr is None:
            return None
        wanted = nr.strip().lstrip("0")
        ids = [
            pid for pid, (pnr, _n, _c) in names.projects.items() if pnr and pnr.strip().lstrip("0") == wanted
        ]
        if not ids:
            raise ExportError(f"There is no project with the number {nr.strip()}.")
        return ids


def _entry_row(entry: TimeEntry, names: _Names) -> Row:
    nr, project, customer = names.projects.get(entry.project_id or -1, (None, None, None))
    amount = (
        quantize_money(hours_decimal(entry.minutes) * entry.rate)
        if entry.billable and entry.rate is not None
        else None
    )
    return {
        "kind": "time",
        "date": entry.day.isoformat(),
        "user_email": names.emails.get(entry.user_id or -1),
        "customer": customer,
        "project_nr": nr,
        "project": project,
        "activity": names.activities.get(entry.activity_id or -1),
        "category": None,
        "minutes": entry.minutes,
        "hours": _money(hours_decimal(entry.minutes)),
        "rate": _money(entry.rate),
        "amount": _money(amount),
        "billable": entry.billable,
        "status": entry.status,
        "invoice_number": names.invoices.get(entry.invoice_id) if entry.invoice_id else None,
        "note": entry.note,
    }


def _expense_row(expense: Expense, names: _Names) -> Row:
    nr, project, customer = names.projects.get(expense.project_id or -1, (None, None, None))
    return {
        "kind": "expense",
        "date": expense.day.isoformat(),
        "user_email": names.emails.get(expense.user_id or -1),
        "customer": customer,
        "project_nr": nr,
        "project": project,
        "activity": None,
        "category": names.categories.get(expense.category_id),
        "minutes": None,
        "hours": None,
        "rate": None,
        "amount": _money(expense.amount),
        "billable": expense.billable,
        "status": expense.status,
        "invoice_number": names.invoices.get(expense.invoice_id) if expense.invoice_id else None,
        "note": expense.note,
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


async def write_json(rows: AsyncIterator[Row], out: TextIO) -> int:
    """One JSON array, written as the rows arrive; returns how many were written. A bad filter
    raises before the first character is written."""
    first = await anext(rows, None)
    out.write("[")
    count = 0
    if first is not None:
        out.write("\n" + json.dumps(first, ensure_ascii=False))
        count = 1
        async for row in rows:
            out.write(",\n" + json.dumps(row, ensure_ascii=False))
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count


async def write_csv(rows: AsyncIterator[Row], out: TextIO, delimiter: str = DEFAULT_DELIMITER) -> int:
    """UTF-8 with a BOM (Excel reads the encoding from it), a header row, CRLF line ends."""
    first = await anext(rows, None)
    out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    if first is None:
        return 0
    writer.writerow(_csv_values(first))
    count = 1
    async for row in rows:
        writer.writerow(_csv_values(row))
        count += 1
    return count


def neutralise(text: str) -> str:
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+1``, ``@SUM``)
    gets a leading ``'``, as OWASP recommends: Excel shows the text and runs nothing."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_values(row: Row) -> list[str]:
    cells = []
    for column in COLUMNS:
        value = row[column]
        if value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        elif column in TEXT_COLUMNS:
            cells.append(neutralise(str(value)))
        else:
            cells.append(str(value))  # numbers stay numbers, a negative one included
    return cells
