"""The bexio draft of an invoice: its header and positions, as bexio's create form takes them.

Positions are sent net with VAT added (``mwst_type`` 0, ``mwst_is_net`` true — bexio's own default;
the recorded invoices show that ``mwst_type`` 1 charges no VAT at all). Every priced line is a
``KbPositionCustom`` with the mapped income account and the line's sales tax; hours carry bexio's
``h`` unit. Lines that only list hours (fixed-price projects) are ``KbPositionText``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bexio.payloads import InvoiceCreate, KbPositionCustomCreate, KbPositionTextCreate, PositionCreate
from core.invoice_lines import InvoiceLine, LineKind

BEXIO_INVOICE_URL = "https://office.bexio.com/index.php/kb_invoice/show/id/{id}"
VAT_ADDED_TO_NET = 0
"""bexio's ``mwst_type`` 0 ("including taxes") with ``mwst_is_net`` true: VAT is added to net prices."""


def invoice_url(bexio_id: int) -> str:
    return BEXIO_INVOICE_URL.format(id=bexio_id)


@dataclass(frozen=True, slots=True)
class DraftLine:
    """One position to send: a stored invoice line, or a line of a preview."""

    kind: str
    text: str
    quantity: Decimal
    unit_price: Decimal
    tax_id: int | None
    account_id: int | None

    @classmethod
    def of(cls, line: InvoiceLine) -> DraftLine:
        return cls(
            kind=line.kind.value,
            text=line.text,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_id=line.tax.bexio_id if line.tax is not None else None,
            account_id=line.account_id,
        )


def positions(lines: Iterable[DraftLine], *, hours_unit_id: int | None) -> tuple[PositionCreate, ...]:
    found: list[PositionCreate] = []
    for line in lines:
        if line.kind == LineKind.TEXT.value:
            found.append(KbPositionTextCreate(text=text_html(line.text), show_pos_nr=False))
            continue
        found.append(
            KbPositionCustomCreate(
                amount=line.quantity,
                unit_price=line.unit_price,
                text=text_html(line.text),
                unit_id=hours_unit_id if line.kind == LineKind.HOURS.value else None,
                account_id=line.account_id,
                tax_id=line.tax_id,
            )
        )
    return tuple(found)


def text_html(text: str) -> str:
    """bexio renders a document's header and position texts as HTML: what people typed (notes,
    activity and project names) is escaped, so ``<a href=…>pay here</a>`` or ``<script>`` reaches
    the customer as the characters typed, never as markup; line breaks are kept."""
    return "<br/>".join(html.escape(line, quote=False) for line in text.strip().splitlines())


_MARKUP = re.compile(r"<[^>]*>|[<>]")


def plain_text(text: str) -> str:
    """A field bexio shows as plain text (the title): markup is stripped, not escaped, so no
    ``&lt;`` ends up on the customer's invoice."""
    return " ".join(_MARKUP.sub("", text).split())


def intro_html(intro: str | None) -> str | None:
    """bexio's header is HTML: the person's text, escaped, with its line breaks kept."""
    if intro is None or not intro.strip():
        return None
    return text_html(intro)


def draft_payload(
    *,
    api_reference: str,
    contact_id: int,
    user_id: int,
    title: str,
    invoice_date: date,
    payment_days: int,
    intro: str | None,
    project_bexio_id: int | None,
    document_nr: str | None,
    lines: Iterable[DraftLine],
    hours_unit_id: int | None,
    reference: str | None = None,
) -> InvoiceCreate:
    """The create body; ``None`` fields are left out so bexio fills its defaults (texts, bank
    account, currency), and ``document_nr`` is only sent with bxhours' own numbering."""
    return InvoiceCreate(
        title=plain_text(title),
        contact_id=contact_id,
        user_id=user_id,
        pr_project_id=project_bexio_id,
        header=intro_html(intro),
        mwst_type=VAT_ADDED_TO_NET,
        mwst_is_net=True,
        is_valid_from=invoice_date,
        is_valid_to=invoice_date + timedelta(days=payment_days),
        api_reference=api_reference,
        reference=plain_text(reference) if reference else None,
        document_nr=document_nr,
        positions=positions(lines, hours_unit_id=hours_unit_id),
    )
