"""Invoices (``/2.0/kb_invoice``): drafts, their lifecycle and the PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from bexio.models import Invoice, InvoicePdf
from bexio.payloads import InvoiceCreate, InvoiceEdit
from bexio.resources._base import Deletable, Fetchable, Listable, Searchable, query
from bexio.search import Criterion

if TYPE_CHECKING:
    from bexio.client import BexioClient

_PDF = TypeAdapter(InvoicePdf)


class Invoices(Listable[Invoice], Searchable[Invoice], Fetchable[Invoice], Deletable[Invoice]):
    """List and search answers carry no positions; ``get`` does.

    ``create`` may raise ``BexioWriteUncertain``: then look the invoice up with
    ``find_by_api_reference`` before creating it again.
    """

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/kb_invoice", Invoice)

    async def create(self, invoice: InvoiceCreate) -> Invoice:
        return await self._create(invoice.to_body())

    async def edit(self, invoice_id: int, changes: InvoiceEdit) -> Invoice:
        return await self._edit(invoice_id, changes.to_body())

    async def find_by_api_reference(self, api_reference: str) -> Invoice | None:
        """The invoice bxhours created under this key, if any (``=``: ``like`` would match prefixes)."""
        found = await self.search([Criterion("api_reference", "=", api_reference)])
        exact = [invoice for invoice in found if invoice.api_reference == api_reference]
        return exact[0] if exact else None

    async def issue(self, invoice_id: int) -> None:
        """Draft → pending; bexio allows it only from draft."""
        await self._client.action("POST", f"{self.path}/{invoice_id}/issue")

    async def revert_issue(self, invoice_id: int) -> None:
        await self._client.action("POST", f"{self.path}/{invoice_id}/revert_issue")

    async def cancel(self, invoice_id: int) -> None:
        await self._client.action("POST", f"{self.path}/{invoice_id}/cancel")

    async def mark_as_sent(self, invoice_id: int) -> None:
        await self._client.action("POST", f"{self.path}/{invoice_id}/mark_as_sent")

    async def pdf(self, invoice_id: int, *, logopaper: bool | None = None) -> InvoicePdf:
        params = query(logopaper=None if logopaper is None else int(logopaper))
        return await self._client.get(f"{self.path}/{invoice_id}/pdf", _PDF, params=params)
