"""A person's recent invoices with the status bexio shows for them (the App Home's "Your invoices").

Statuses change in bexio (issued, paid, deleted …) and reach our rows through change processing
(``services.changes.invoices``); this only reads what is recorded, so the home costs no bexio call.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.invoice_status import invoice_status_label
from services.invoicing.customers import customer_name
from services.invoicing.drafts import invoice_url
from storage.db import Database
from storage.models import Customer, Invoice

RECENT_LIMIT = 5


@dataclass(frozen=True)
class RecentInvoice:
    number: str
    """bexio's number, or bxhours' own, or ``#<id>`` while bexio has given none."""
    customer: str
    status: str
    """What people read: "paid ✓", "issued", "deleted in bexio" …"""
    total: Decimal | None
    url: str | None


class RecentInvoices:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(
        self, tenant_id: int, slack_user_id: str, limit: int = RECENT_LIMIT
    ) -> tuple[RecentInvoice, ...]:
        """The last ``limit`` invoices the person started, newest first."""
        async with self.db.session(tenant_id) as session:
            rows = await session.execute(
                select(Invoice, Customer)
                .join(Customer, Customer.id == Invoice.customer_id)
                .where(Invoice.created_by == slack_user_id)
                .order_by(Invoice.created_at.desc(), Invoice.id.desc())
                .limit(limit)
            )
            return tuple(
                RecentInvoice(
                    number=invoice.document_nr or invoice.own_number or f"#{invoice.id}",
                    customer=customer_name(customer),
                    status=invoice_status_label(invoice.status, invoice.bexio_status_id),
                    total=invoice.bexio_total if invoice.bexio_total is not None else invoice.total,
                    url=invoice_url(invoice.bexio_id)
                    if invoice.bexio_id is not None and invoice.status == "created"
                    else None,
                )
                for invoice, customer in rows
            )
