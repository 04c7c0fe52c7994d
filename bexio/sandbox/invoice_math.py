"""How bexio computes an invoice's totals, as far as the recorded invoices show it.

* a position's total is amount × unit price × (1 − discount %), rounded half-up to 0.01
  (the account's `default_nb_decimals_price` is 2);
* `mwst_type` 0 applies the positions' taxes: per rate, the tax is computed on the sum of
  that rate's positions, rounded half-up to 0.01 — added to net prices when `mwst_is_net`,
  contained in gross prices otherwise; `mwst_type` 1 and 2 charge no tax at all (the recorded
  invoices with `mwst_type` 1 and an 8.1 % position show `total_taxes` 0 and `taxs` []);
* the total is rounded to the currency's `round_factor` (CHF: 0.05) and the difference is
  `total_rounding_difference`;
* discount positions (not in any recording) reduce every rate's base in proportion.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def position_total(amount: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return cents(amount * unit_price * (1 - discount_percent / HUNDRED))


def round_to_factor(value: Decimal, factor: Decimal) -> Decimal:
    """Commercial rounding to a step: 5 Rappen for CHF, 1 cent for EUR."""
    if factor <= 0:
        return cents(value)
    return cents((value / factor).quantize(Decimal(1), rounding=ROUND_HALF_UP) * factor)


@dataclass(frozen=True)
class Line:
    total: Decimal
    #: The position's tax rate in percent (None: the position carries no tax).
    tax_rate: Decimal | None


@dataclass(frozen=True)
class Discount:
    is_percentual: bool
    value: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    gross: Decimal
    taxes: Decimal
    #: (rate, tax) per rate charged, by ascending rate.
    per_rate: tuple[tuple[Decimal, Decimal], ...]
    total: Decimal
    rounding_difference: Decimal
    discount: Decimal


def discount_amount(discount: Discount, base: Decimal) -> Decimal:
    return cents(base * discount.value / HUNDRED) if discount.is_percentual else cents(discount.value)


def invoice_totals(
    lines: list[Line],
    *,
    mwst_type: int,
    mwst_is_net: bool,
    round_factor: Decimal,
    discounts: list[Discount] | None = None,
) -> Totals:
    bases: dict[Decimal | None, Decimal] = {}
    for line in lines:
        rate = line.tax_rate if mwst_type == 0 else None
        bases[rate] = bases.get(rate, Decimal(0)) + line.total
    before_discount = sum(bases.values(), Decimal(0))
    discount = sum((discount_amount(d, before_discount) for d in discounts or []), Decimal(0))
    if discount and before_discount:
        share = 1 - discount / before_discount
        bases = {rate: cents(base * share) for rate, base in bases.items()}

    per_rate: list[tuple[Decimal, Decimal]] = []
    for rate, base in sorted(((r, b) for r, b in bases.items() if r), key=lambda item: item[0]):
        divisor = HUNDRED if mwst_is_net else HUNDRED + rate
        per_rate.append((rate, cents(base * rate / divisor)))
    taxes = sum((tax for _, tax in per_rate), Decimal(0))
    amounts = sum(bases.values(), Decimal(0))
    net, gross = (amounts, amounts + taxes) if mwst_is_net or mwst_type != 0 else (amounts - taxes, amounts)
    total = round_to_factor(gross, round_factor)
    return Totals(
        net=net,
        gross=gross,
        taxes=taxes,
        per_rate=tuple(per_rate),
        total=total,
        rounding_difference=total - gross,
        discount=discount,
    )
