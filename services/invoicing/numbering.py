"""Invoice numbers: bexio's automatic numbering, or bxhours' own sequence.

bexio refuses a ``document_nr`` while its automatic numbering is on and requires one while it is
off (``kb_item_setting`` of ``KbInvoice``), so the choice in the modal is checked against the
imported document settings before anything is sent.

An own number is taken right before the draft is created, not when the person submits: it is
consumed only by a draft that exists. The next number is one past the highest number that a
pending or created invoice holds in the same sequence (per year when the format has ``{year}``,
else one sequence for ever); a draft bexio refuses gives its number back. The unique constraint
on ``(tenant_id, own_number)`` is the last guard: two workers taking a number at the same moment
cannot both keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from string import Formatter

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import N_, _
from core.numbering import format_invoice_number
from storage.db import Database
from storage.models import DocumentSetting, Invoice

INVOICE_CLASS = "KbInvoice"
DEFINED_BY_BEXIO = N_("Defined by bexio")
_ALL_YEARS = "all"
_MAX_TRIES = 5


@dataclass(frozen=True, slots=True)
class OwnNumber:
    number: str
    seq: int
    scope: str


async def bexio_numbers_automatically(session: AsyncSession) -> bool | None:
    """bexio's ``use_automatic_enumeration`` for invoices; None until document settings are imported."""
    return await session.scalar(
        select(DocumentSetting.use_automatic_enumeration).where(
            DocumentSetting.kb_item_class == INVOICE_CLASS
        )
    )


def numbering_problem(use_bexio_numbering: bool, bexio_automatic: bool | None, example: str) -> str | None:
    """Why the chosen numbering cannot work with bexio's setting, or None."""
    if bexio_automatic is True and not use_bexio_numbering:
        return _(
            "bexio numbers invoices automatically and then refuses a number from bxhours — tick "
            "“Use bexio invoice number”, or turn automatic numbering off in bexio's settings for "
            "invoices (document numbering)."
        )
    if bexio_automatic is False and use_bexio_numbering:
        return _(
            "Automatic numbering is off in bexio, so bexio needs a number for every invoice — untick "
            "“Use bexio invoice number” to use bxhours' numbers ({example}), or turn automatic numbering "
            "on in bexio's settings for invoices (document numbering).",
            example=example,
        )
    return None


def sequence_scope(fmt: str, year: int) -> str:
    """Numbers restart every year only when the year is part of them; otherwise they never repeat."""
    uses_year = any(
        name == "year" for _literal, name, _spec, _conversion in Formatter().parse(fmt) if name is not None
    )
    return str(year) if uses_year else _ALL_YEARS


async def next_own_number(session: AsyncSession, fmt: str, invoice_date: date) -> OwnNumber:
    """The number the next own-numbered draft of that date would get."""
    scope = sequence_scope(fmt, invoice_date.year)
    highest = await session.scalar(
        select(func.max(Invoice.own_seq)).where(Invoice.own_scope == scope, Invoice.own_number.is_not(None))
    )
    seq = (highest or 0) + 1
    return OwnNumber(format_invoice_number(fmt, year=invoice_date.year, seq=seq), seq, scope)


async def assign_own_number(
    db: Database, tenant_id: int, invoice_id: int, fmt: str, now: Callable[[], datetime]
) -> str:
    """Give the invoice its own number (once; a retry keeps the number it already has)."""
    for _attempt in range(_MAX_TRIES):
        try:
            async with db.session(tenant_id) as session:
                invoice = await session.get(Invoice, invoice_id)
                if invoice is None:
                    raise LookupError(f"invoice {invoice_id} does not exist")
                if invoice.own_number is not None:
                    return invoice.own_number
                taken = await next_own_number(session, fmt, invoice.invoice_date)
                invoice.own_number, invoice.own_seq, invoice.own_scope = taken.number, taken.seq, taken.scope
                invoice.updated_at = now()
                return taken.number
        except IntegrityError:
            continue  # another draft took this number a moment ago: take the next one
    raise RuntimeError(f"could not assign an own invoice number after {_MAX_TRIES} tries")


async def release_own_number(session: AsyncSession, invoice_id: int) -> None:
    """A refused draft never existed, so its number is free again."""
    await session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id)
        .values(own_number=None, own_seq=None, own_scope=None)
        .execution_options(synchronize_session=False)
    )
