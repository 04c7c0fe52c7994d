"""Which bexio sales tax a line uses, by kind and service date.

bexio tax codes name the kind (`UN…` normal, `UR…` reduced, `US…` accommodation) followed by
the rate; a VAT change adds a new code of the same kind with a new validity. A line takes the
tax of its kind valid on its service date, so a period spanning a change splits into lines.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.dates import format_date
from core.errors import DomainError, quote_input
from core.i18n import _

SALES_TAX = "sales_tax"
_KIND = re.compile(r"[A-Za-z]+")


class TaxSelectionError(DomainError):
    """No usable sales tax for a line; the message names the kind, the date or the code."""


@dataclass(frozen=True, slots=True)
class Tax:
    bexio_id: int
    code: str
    value: Decimal
    """The rate in percent, e.g. Decimal("8.1")."""
    start_year: int | None
    start_month: int | None
    end_year: int | None
    end_month: int | None
    is_active: bool
    type: str


def tax_kind(code: str) -> str:
    """`UN81` → `UN`: the letters before the rate."""
    m = _KIND.match(code.strip())
    if m is None:
        raise ValueError(f"{code!r} is not a bexio tax code (expected letters then digits, e.g. UN81)")
    return m.group().upper()


def is_valid_on(tax: Tax, day: date) -> bool:
    """Whether the tax applies on `day`: start and end year/month are inclusive, None is open."""
    month = (day.year, day.month)
    if tax.start_year is not None and month < (tax.start_year, tax.start_month or 1):
        return False
    return tax.end_year is None or month <= (tax.end_year, tax.end_month or 12)


def select_tax(kind: str, taxes: Sequence[Tax], day: date) -> Tax:
    """The active sales tax of `kind` (a kind like `UN` or a code like `UN81`) valid on `day`.

    bexio accepts only active sales taxes on invoice positions, so a valid but inactive one is
    an error that names it rather than a silent fallback to another rate."""
    try:
        wanted = tax_kind(kind)
    except ValueError as exc:
        raise TaxSelectionError(
            _("{typed} is not a bexio tax code — use one like UN81 or UR26.", typed=quote_input(kind))
        ) from exc
    valid = [
        t for t in taxes if t.type == SALES_TAX and _kind_or_none(t.code) == wanted and is_valid_on(t, day)
    ]
    active = [t for t in valid if t.is_active]
    if active:
        # Overlapping validity happens at a rate change: bexio opens the new rate early (UN81 from
        # 07.2023, for invoices issued in advance) while the old one still runs to its end (UN77 to
        # 12.2023). Services rendered before the change owe the old rate, so a tax whose period ends
        # is preferred over an open-ended one; among equals, the most recently started.
        return max(
            active, key=lambda t: (t.end_year is not None, t.start_year or 0, t.start_month or 0, t.bexio_id)
        )
    shown_day = format_date(day)
    if valid:
        codes = ", ".join(sorted({t.code for t in valid}))
        raise TaxSelectionError(
            _(
                "The {kind} sales tax valid on {day} is {codes}, which is inactive in bexio — bexio "
                "accepts only active sales taxes on invoice lines; activate it in bexio (Settings → Taxes).",
                kind=wanted,
                day=shown_day,
                codes=codes,
            )
        )
    raise TaxSelectionError(
        _(
            "bexio has no {kind} sales tax valid on {day} — check the taxes in bexio "
            "or the tax set for this activity or expense category.",
            kind=wanted,
            day=shown_day,
        )
    )


def _kind_or_none(code: str) -> str | None:
    m = _KIND.match(code.strip())
    return m.group().upper() if m else None
