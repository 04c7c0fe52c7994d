"""What happened in bexio to the drafts bxhours created: status, number, deletion, cancellation.

bexio pushes nothing, so a change notification (or the poller) asks bxhours to look again. Only
invoices bxhours created are followed (matched by ``Invoice.bexio_id``); any other id costs no
bexio call. bexio's status and number are recorded on our row (the App Home shows them). A draft
deleted in bexio (404) or cancelled there (status 19) no longer bills anything: its entries and
expenses are released back to unbilled by the same rule as a refused push, the invoice is marked
``deleted`` / ``cancelled``, and the person who created it is told in a DM.

The decision is taken in one transaction on the locked row and only from status ``created``, so
a job that runs twice (an expired lease) releases and tells once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bexio.errors import BexioNotFound
from bexio.models import Invoice as BexioInvoice
from core.i18n import _, language_scope, ngettext
from core.invoice_status import CANCELLED, invoice_status_label
from services.bexio_access import BexioAccess
from services.invoicing.items import MovedItems, move_items
from services.invoicing.selection import BILLED, OPEN, RESERVED
from services.languages import LanguageService
from services.notifier import Notifier
from storage.db import Database
from storage.models import AuditLog, Invoice

log = logging.getLogger(__name__)

CREATED = "created"
DELETED = "deleted"
CANCELLED_HERE = "cancelled"
"""``Invoice.status`` once bexio no longer bills the draft (deleted there, or cancelled)."""


@dataclass(frozen=True)
class InvoiceRefresh:
    bexio_id: int
    invoice_id: int | None
    """Our invoice; None when bxhours did not create this bexio invoice (it is ignored)."""
    changes: tuple[str, ...] = ()
    released: MovedItems | None = None
    bexio_calls: int = 0


class InvoiceChanges:
    def __init__(
        self,
        db: Database,
        bexio: BexioAccess,
        notifier: Notifier,
        now: Callable[[], datetime],
        languages: LanguageService | None = None,
    ) -> None:
        self.db = db
        self.bexio = bexio
        self.notifier = notifier
        self.now = now
        self.languages = languages
        """The DM about a deleted or cancelled invoice speaks its recipient's language."""

    async def refresh_invoice(self, tenant_id: int, bexio_id: int) -> InvoiceRefresh:
        """Re-read one of our drafts (one bexio call) and record what changed there."""
        async with self.db.session(tenant_id) as session:
            row = (
                await session.execute(select(Invoice.id, Invoice.status).where(Invoice.bexio_id == bexio_id))
            ).first()
        if row is None:
            log.info("bexio invoice %s was not created by bxhours: nothing to refresh", bexio_id)
            return InvoiceRefresh(bexio_id, None)
        if row.status != CREATED:  # deleted or cancelled already: bexio cannot bring it back
            return InvoiceRefresh(bexio_id, row.id)
        async with self.bexio.client(tenant_id) as client:
            try:
                found: BexioInvoice | None = await client.invoices.get(bexio_id)
            except BexioNotFound:
                found = None
            calls = client.stats.total_calls
        refresh = await self.record(tenant_id, bexio_id, found)
        return InvoiceRefresh(refresh.bexio_id, refresh.invoice_id, refresh.changes, refresh.released, calls)

    async def record(self, tenant_id: int, bexio_id: int, found: BexioInvoice | None) -> InvoiceRefresh:
        """Record what bexio showed for the invoice (``None``: bexio answered 404).

        Public so a caller that already read the invoice (a search answer) need not read it again.
        """
        now = self.now()
        released: MovedItems | None = None
        async with self.db.session(tenant_id) as session:
            invoice = await session.scalar(
                select(Invoice).where(Invoice.bexio_id == bexio_id).with_for_update()
            )
            if invoice is None or invoice.status != CREATED:
                return InvoiceRefresh(bexio_id, invoice.id if invoice else None)
            changes: list[str] = []
            ended: str | None = DELETED if found is None else None
            if found is not None:
                if found.kb_item_status_id != invoice.bexio_status_id:
                    changes.append(f"bexio_status_id {invoice.bexio_status_id} → {found.kb_item_status_id}")
                    invoice.bexio_status_id = found.kb_item_status_id
                if found.document_nr and found.document_nr != invoice.document_nr:
                    changes.append(f"document_nr {invoice.document_nr} → {found.document_nr}")
                    invoice.document_nr = found.document_nr
                if found.kb_item_status_id == CANCELLED:
                    ended = CANCELLED_HERE
            if ended is not None:
                invoice.status = ended
                changes.append(f"status {CREATED} → {ended}")
                released = await move_items(session, invoice.id, (BILLED, RESERVED), OPEN, now)
            if not changes:
                return InvoiceRefresh(bexio_id, invoice.id)
            invoice.updated_at = now
            session.add(
                AuditLog(
                    actor="worker",
                    action=f"invoice.{ended}_in_bexio" if ended else "invoice.changed_in_bexio",
                    subject_type="invoice",
                    subject_id=str(invoice.id),
                    details={
                        "bexio_id": bexio_id,
                        "changes": changes,
                        **(
                            {"released_entries": released.entries, "released_expenses": released.expenses}
                            if released
                            else {}
                        ),
                    },
                    created_at=now,
                )
            )
            invoice_id, person = invoice.id, invoice.created_by
            label = invoice.document_nr or invoice.own_number or f"#{invoice.id}"
            status_label = invoice_status_label(invoice.status, invoice.bexio_status_id)
        log.info("invoice %s (bexio %s) changed in bexio: %s", invoice_id, bexio_id, "; ".join(changes))
        if person and person != "cli":
            await self._tell(tenant_id, person, label, ended, released, status_label)
        return InvoiceRefresh(bexio_id, invoice_id, tuple(changes), released)

    async def _tell(
        self,
        tenant_id: int,
        person: str,
        label: str,
        ended: str | None,
        released: MovedItems | None,
        status_label: str,
    ) -> None:
        try:
            if ended is not None and released is not None:
                language = await self.languages.for_person(tenant_id, person) if self.languages else None
                if language is None:
                    text = released_text(label, ended, released)
                else:
                    with language_scope(language):
                        text = released_text(label, ended, released)
                await self.notifier.direct_message(person, text)
            await self.notifier.refresh_home(tenant_id, person)
        except Exception:  # telling people must never undo or repeat what was recorded
            log.exception("could not tell %s that invoice %s is now %s", person, label, status_label)


def released_text(label: str, ended: str, released: MovedItems) -> str:
    """E.g. "Draft RE-00042 was deleted in bexio: its 12 entries are unbilled again." """
    deleted = ended == DELETED
    items = []
    if released.entries:
        items.append(ngettext("{n} entry", "{n} entries", released.entries))
    if released.expenses:
        items.append(ngettext("{n} expense", "{n} expenses", released.expenses))
    if not items:
        if deleted:
            return _("Draft {label} was deleted in bexio; nothing on it was billed in bxhours.", label=label)
        return _("Invoice {label} was cancelled in bexio; nothing on it was billed in bxhours.", label=label)
    listed = items[0] if len(items) == 1 else _("{first} and {second}", first=items[0], second=items[1])
    total = released.entries + released.expenses
    if deleted:
        return ngettext(
            "Draft {label} was deleted in bexio: its {items} is unbilled again.",
            "Draft {label} was deleted in bexio: its {items} are unbilled again.",
            total,
            label=label,
            items=listed,
        )
    return ngettext(
        "Invoice {label} was cancelled in bexio: its {items} is unbilled again.",
        "Invoice {label} was cancelled in bexio: its {items} are unbilled again.",
        total,
        label=label,
        items=listed,
    )
