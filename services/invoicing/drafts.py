"""The bexio draft of an invoice: its header and positions, as bexio's create form takes them.

Positions are sent net with VAT added (``mwst_type`` 0, ``mwst_is_net`` true — bexio's own default;
the recorded invoices show that ``mwst_type`` 1 charges no VAT at all). Every priced line is a
``KbPositionCustom`` with the mapped income account and the line's sales tax; hours carry bexio's
``h`` unit, expenses and fixed prices its piece unit (``services.invoicing.units``). Lines that only
list hours (fixed-price projects) are ``KbPositionText``.

The header starts with the period of the services invoiced, in the customer's language (issue 15
§1; MWSTG Art. 26 asks for the date or period of the service), followed by the person's intro.
Everything people typed is escaped, and a position text is kept within ``MAX_TEXT`` characters
as bexio receives it — escaping makes ``<`` four characters long.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bexio.payloads import InvoiceCreate, KbPositionCustomCreate, KbPositionTextCreate, PositionCreate
from core.invoice_lines import ELLIPSIS, MAX_TEXT, InvoiceLine, LineKind
from core.invoice_totals import service_period_text
from services.invoicing.units import DraftUnits

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


def positions(lines: Iterable[DraftLine], *, units: DraftUnits) -> tuple[PositionCreate, ...]:
    found: list[PositionCreate] = []
    for line in lines:
        if line.kind == LineKind.TEXT.value:
            found.append(KbPositionTextCreate(text=position_html(line.text), show_pos_nr=False))
            continue
        found.append(
            KbPositionCustomCreate(
                amount=line.quantity,
                unit_price=line.unit_price,
                text=position_html(line.text),
                unit_id=units.of(line.kind),
                account_id=line.account_id,
                tax_id=line.tax_id,
            )
        )
    return tuple(found)


def position_html(text: str, limit: int = MAX_TEXT) -> str:
    """``text_html`` kept within ``limit`` characters as sent: the text is shortened with "…"
    (never cutting an escape in half) until its escaped form fits."""
    shown = text_html(text)
    if len(shown) <= limit:
        return shown
    plain = text.strip()
    cut = min(len(plain), limit)
    while cut > 0:
        shown = text_html(plain[:cut].rstrip() + ELLIPSIS)
        if len(shown) <= limit:
            return shown
        cut -= max(1, (len(shown) - limit) // 5)
    return ELLIPSIS


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


def header_html(intro: str | None, service: tuple[date, date] | None, language: str | None) -> str | None:
    """`Leistungszeitraum: 01.11.2026 – 30.11.2026`, then the intro after an empty line (issue 15
    §1). Without a period (nothing dated) the intro alone, and without either nothing: bexio fills
    its default header."""
    body = intro_html(intro)
    if service is None:
        return body
    period = html.escape(service_period_text(*service, language), quote=False)
    return period if body is None else f"{period}<br/><br/>{body}"


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
    units: DraftUnits,
    reference: str | None = None,
    service: tuple[date, date] | None = None,
    language: str | None = None,
) -> InvoiceCreate:
    """The create body; ``None`` fields are left out so bexio fills its defaults (texts, bank
    account, currency), and ``document_nr`` is only sent with bxhours' own numbering."""
    return InvoiceCreate(
        title=plain_text(title),
        contact_id=contact_id,
        user_id=user_id,
        pr_project_id=project_bexio_id,
        header=header_html(intro, service, language),
        mwst_type=VAT_ADDED_TO_NET,
        mwst_is_net=True,
        is_valid_from=invoice_date,
        is_valid_to=invoice_date + timedelta(days=payment_days),
        api_reference=api_reference,
        reference=plain_text(reference) if reference else None,
        document_nr=document_nr,
        positions=positions(lines, units=units),
    )
