"""Invoiced work is read-only: an entry or expense on a draft cannot be edited or deleted.

The Logging feature owns editing and deleting; it asks here first, so the rule and its wording
live with invoicing. Reserved items (a draft being created right now) are locked too: releasing
them is the push job's decision, not an edit's.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from services.invoicing.selection import BILLED, RESERVED
from storage.models import Expense, Invoice, TimeEntry


def edit_refusal(status: str, invoice_number: str | None, *, what: str = "entry") -> str | None:
    """Why an item with this status cannot be changed, or None when it can."""
    expense = what == "expense"
    if status == BILLED and invoice_number:
        if expense:
            return _(
                "This expense is on invoice {number} and can no longer be changed or deleted.",
                number=invoice_number,
            )
        return _(
            "This entry is on invoice {number} and can no longer be changed or deleted.",
            number=invoice_number,
        )
    if status == BILLED:
        if expense:
            return _("This expense is on an invoice and can no longer be changed or deleted.")
        return _("This entry is on an invoice and can no longer be changed or deleted.")
    if status == RESERVED:
        if expense:
            return _("This expense is being invoiced right now and cannot be changed or deleted.")
        return _("This entry is being invoiced right now and cannot be changed or deleted.")
    return None


async def entry_edit_refusal(session: AsyncSession, entry_id: int) -> str | None:
    return await _refusal(session, TimeEntry, entry_id, "entry")


async def expense_edit_refusal(session: AsyncSession, expense_id: int) -> str | None:
    return await _refusal(session, Expense, expense_id, "expense")


async def _refusal(
    session: AsyncSession, table: type[TimeEntry] | type[Expense], item_id: int, what: str
) -> str | None:
    row = (
        await session.execute(
            select(table.status, Invoice.document_nr, Invoice.own_number)
            .outerjoin(Invoice, Invoice.id == table.invoice_id)
            .where(table.id == item_id)
        )
    ).first()
    if row is None:
        return None
    return edit_refusal(row.status, row.document_nr or row.own_number, what=what)
