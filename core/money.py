"""Money in CHF and Rappen: rounding, Swiss formatting and parsing what people type.

Every amount is a `Decimal`. Rounding is always half-up (kaufmännisch runden), the way Swiss
accountants and bexio round, never Python's default banker's rounding.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import DomainError, quote_input
from core.i18n import N_, _

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
"""Upper bound for typed amounts: far above any receipt, low enough to stay exact everywhere."""


class AmountError(DomainError):
    """A typed amount that cannot be used; the message says why."""


def quantize_money(x: Decimal) -> Decimal:
    """Round to Rappen, half-up."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to_factor(amount: Decimal, factor: Decimal) -> Decimal:
    """Round to the nearest multiple of a currency's round factor (CHF: 0.05), half-up.

    Factors at or below one Rappen (bexio sends 0 or 0.01 for most currencies) mean plain
    rounding to 0.01; the result always carries two decimals.
    """
    if factor < 0:
        raise ValueError(f"A round factor cannot be negative: {factor}")
    if factor <= CENT:
        return quantize_money(amount)
    steps = (amount / factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return quantize_money(steps * factor)


def format_amount(x: Decimal) -> str:
    """Swiss style with an apostrophe between thousands: `1'234.55`, `-12.00`."""
    q = quantize_money(x)
    if q == 0:
        q = abs(q)  # never show "-0.00"
    return f"{q:,.2f}".replace(",", "'")


def format_money(x: Decimal, currency: str = "CHF") -> str:
    """`CHF 1'234.55`."""
    return f"{currency} {format_amount(x)}"


# 1'234.50, 1’234.50, 1234.50, 84,50, 84, 84.- ; thousands groups need exactly three digits.
_AMOUNT = re.compile(
    r"(?P<int>[0-9]{1,3}(?:['’][0-9]{3})+|[0-9]+)"
    r"(?:(?P<sep>[.,])(?P<frac>[0-9]*|[-–]))?",
    re.ASCII,
)
_NOT_AN_AMOUNT = N_("{typed} is not an amount — write it like 84.50, 84,50 or 1'234.50.")


def parse_amount(text: str) -> Decimal:
    """Parse an amount as people type it in Switzerland; refuse anything that is not a positive
    amount in francs and Rappen, with a message for the person who typed it."""
    raw = text.strip()
    if raw.startswith("-"):
        raise AmountError(_("{typed}: the amount must be positive.", typed=quote_input(raw)))
    m = _AMOUNT.fullmatch(raw)
    if m is None:
        raise AmountError(_(_NOT_AN_AMOUNT, typed=quote_input(raw)))
    frac = m.group("frac") or ""
    if frac in ("-", "–"):  # Swiss "84.–" means 84.00
        frac = ""
    elif m.group("sep") and not frac:
        raise AmountError(_(_NOT_AN_AMOUNT, typed=quote_input(raw)))
    if len(frac) > 2:
        raise AmountError(
            _("{amount} has more than two decimals — amounts are francs and Rappen.", amount=quote_input(raw))
        )
    digits = re.sub(r"['’]", "", m.group("int"))
    try:
        value = Decimal(f"{digits}.{frac or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the pattern only lets digits through
        raise AmountError(_(_NOT_AN_AMOUNT, typed=quote_input(raw))) from exc
    if value == 0:
        raise AmountError(_("The amount must be more than 0.00."))
    if value > MAX_AMOUNT:
        raise AmountError(_("{typed} is too large for one amount.", typed=quote_input(raw)))
    return quantize_money(value)


def to_minor(x: Decimal) -> int:
    """Francs to Rappen, refusing amounts that are not whole Rappen instead of rounding them away."""
    if not x.is_finite():
        raise ValueError(f"Not a finite amount: {x}")
    minor = x * 100
    if minor != minor.to_integral_value():
        raise ValueError(f"{x} is not a whole number of Rappen")
    return int(minor)


def from_minor(n: int) -> Decimal:
    """Rappen to francs, with two decimals."""
    return Decimal(n).scaleb(-2)
