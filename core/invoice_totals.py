"""The totals of a draft: net, VAT per rate, the currency rounding, the grand total.

Positions go to bexio net with VAT added (`mwst_type` 0, `mwst_is_net` true). VAT is computed
per rate on the net sum of that rate's lines (not per line), half-up to 0.01, and the total is
then rounded with the currency's round factor (CHF: 0.05). The service compares bexio's
answer with this preview and shows any difference; nothing here is adjusted to match.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.dates import month_name
from core.i18n import LANGUAGES, in_language, normalise_language
from core.invoice_lines import InvoiceLine
from core.money import quantize_money, round_to_factor

_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class VatLine:
    code: str
    """The bexio tax code, or codes joined by ", " when several share one rate."""
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    net: Decimal
    vat: tuple[VatLine, ...]
    total_vat: Decimal
    total_unrounded: Decimal
    rounding_difference: Decimal
    total: Decimal


def compute_totals(lines: Iterable[InvoiceLine], round_factor: Decimal) -> InvoiceTotals:
    """Totals of the given (ticked) lines; lines without a tax add to the net but carry no VAT
    (they are blocked from submission by their line problem anyway)."""
    net = _ZERO
    bases: dict[Decimal, Decimal] = {}
    codes: dict[Decimal, set[str]] = {}
    for line in lines:
        net += line.amount
        if line.tax is not None:
            rate = line.tax.value  # Decimal hashes by value: 8.1 and 8.10 share a bucket
            bases[rate] = bases.get(rate, _ZERO) + line.amount
            codes.setdefault(rate, set()).add(line.tax.code)
    vat = tuple(
        VatLine(
            code=", ".join(sorted(codes[rate])),
            rate=rate,
            base=quantize_money(base),
            amount=quantize_money(base * rate / 100),
        )
        for rate, base in sorted(bases.items(), reverse=True)
    )
    total_vat = sum((v.amount for v in vat), _ZERO)
    unrounded = quantize_money(net + total_vat)
    total = round_to_factor(unrounded, round_factor)
    return InvoiceTotals(
        net=quantize_money(net),
        vat=vat,
        total_vat=total_vat,
        total_unrounded=unrounded,
        rounding_difference=total - unrounded,
        total=total,
    )


def is_default_title(title: str, period_end: date) -> bool:
    """Whether a title is the proposed one for this period in any language: the modal proposes it
    before a customer (and so the customer's language) is chosen, and Slack sends it back as typed."""
    return title.strip() in {default_title(period_end, language) for language in LANGUAGES}


def default_title(period_end: date, language: str | None = "de") -> str:
    """`Leistungen November 2026` / `Prestations novembre 2026` / `Prestazioni novembre 2026` /
    `Services November 2026`: the month the invoiced period ends in, in the customer's language
    (issue 14 §5; month names from Babel)."""
    chosen = normalise_language(language) or "de"
    month = month_name(period_end.month, chosen)
    return in_language(chosen, "Services {month} {year}", month=month, year=period_end.year)
