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
from core.invoice_lines import InvoiceLine, service_period
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


def is_default_title(title: str, period_end: date, *, start: date | None = None) -> bool:
    """Whether a title is the proposed one for this period in any language: the modal proposes it
    before a customer (and so the customer's language) is chosen, and Slack sends it back as typed.
    With ``start``, the title of the dates (`Leistungen 15.11.–04.12.2026`) counts too."""
    proposed = {default_title(period_end, language) for language in LANGUAGES}
    if start is not None:
        proposed |= {default_title(period_end, language, start=start) for language in LANGUAGES}
    return title.strip() in proposed


def default_title(period_end: date, language: str | None = "de", *, start: date | None = None) -> str:
    """`Leistungen November 2026` / `Prestations novembre 2026` / `Prestazioni novembre 2026` /
    `Services November 2026`: the month the invoiced period ends in, in the customer's language
    (issue 14 §5; month names from Babel). With the period's ``start`` in another month (issue 15
    §1) the dates instead: `Leistungen 15.11.–04.12.2026` (`15.12.2026–04.01.2027` across a year)."""
    chosen = normalise_language(language) or "de"
    if start is not None and (start.year, start.month) != (period_end.year, period_end.month):
        return in_language(chosen, "Services {period}", period=_title_period(start, period_end))
    month = month_name(period_end.month, chosen)
    return in_language(chosen, "Services {month} {year}", month=month, year=period_end.year)


def _title_period(start: date, end: date) -> str:
    if start.year == end.year:
        return f"{start.day:02d}.{start.month:02d}.–{end.day:02d}.{end.month:02d}.{end.year}"
    return f"{start.day:02d}.{start.month:02d}.{start.year}–{end.day:02d}.{end.month:02d}.{end.year}"


def service_period_text(first: date, last: date, language: str | None) -> str:
    """The first line of a draft's header (issue 15 §1, MWSTG Art. 26: the date or period of the
    service): `Leistungszeitraum: 01.11.2026 – 30.11.2026`, one date when first and last are equal."""
    return in_language(language, "Service period: {period}", period=service_period(first, last))


def service_dates(lines: Iterable[InvoiceLine]) -> tuple[date, date] | None:
    """The first and last service date of the lines invoiced (None when no line has one)."""
    dated = list(lines)
    firsts = [line.first_day for line in dated if line.first_day is not None]
    lasts = [line.last_day for line in dated if line.last_day is not None]
    if not firsts or not lasts:
        return None
    return min(firsts), max(lasts)
