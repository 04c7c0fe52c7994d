"""The one rule for an invoice's entries and expenses: reserved → billed, or back to unbilled.

The push bills them when bexio has the draft and releases them when bexio refused it; change
processing releases them when the draft was deleted or cancelled in bexio. All of them move items
here, so "released" means the same everywhere: status ``open`` and no invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.invoicing.selection import OPEN
from storage.models import Expense, TimeEntry


@dataclass(frozen=True)
class MovedItems:
    entries: int
    expenses: int


async def move_items(
    session: AsyncSession, invoice_id: int, old: str | tuple[str, ...], new: str, now: datetime
) -> MovedItems:
    """Move the invoice's items in status ``old`` to ``new`` (released ones lose the invoice)."""
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if new == OPEN:
        values["invoice_id"] = None
    olds = (old,) if isinstance(old, str) else old
    counts: list[int] = []
    for table in (TimeEntry, Expense):
        result = await session.execute(
            update(table)
            .where(table.invoice_id == invoice_id, table.status.in_(olds))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        counts.append(int(result.rowcount))  # type: ignore[attr-defined]
    return MovedItems(*counts)
