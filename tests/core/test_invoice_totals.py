from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.invoice_lines import InvoiceLine, LineKind
from core.invoice_totals import VatLine, compute_totals, default_title
from core.taxes import Tax

D = Decimal
CHF = D("0.05")
UN81 = Tax(14, "UN81", D("8.1"), 2024, 1, None, None, True, "sales_tax")
UO81 = Tax(17, "UO81", D("8.1"), 2024, 1, None, None, True, "sales_tax")
UR26 = Tax(15, "UR26", D("2.6"), 2024, 1, None, None, True, "sales_tax")
U00 = Tax(8, "U00", D("0"), None, None, None, None, True, "sales_tax")


def line(amount: str, tax: Tax | None = UN81, kind: LineKind = LineKind.HOURS) -> InvoiceLine:
    value = D(amount)
    return InvoiceLine(
        key=f"k{amount}{tax.code if tax else ''}",
        kind=kind,
        text="x",
        quantity=D(1),
        unit="",
        unit_price=value,
        amount=value,
        tax=tax,
        account_id=3400,
        entry_ids=(),
        expense_ids=(),
        minutes=0,
    )


def test_totals_with_two_rates_and_chf_rounding() -> None:
    totals = compute_totals([line("1875.00"), line("87.42"), line("18.50", UR26)], CHF)
    assert totals.net == D("1980.92")
    assert totals.vat == (
        VatLine("UN81", D("8.1"), D("1962.42"), D("158.96")),  # 158.95602
        VatLine("UR26", D("2.6"), D("18.50"), D("0.48")),  # 0.481
    )
    assert totals.total_vat == D("159.44")
    assert totals.total_unrounded == D("2140.36")
    assert totals.total == D("2140.35")
    assert totals.rounding_difference == D("-0.01")


def test_vat_is_computed_on_the_net_sum_of_a_rate_not_per_line() -> None:
    # Per line 0.06 × 8.1 % = 0.00486 → 0.00 twice; on the sum 0.12 × 8.1 % = 0.00972 → 0.01.
    totals = compute_totals([line("0.06"), line("0.06", UO81)], D("0.01"))
    assert totals.vat == (VatLine("UN81, UO81", D("8.1"), D("0.12"), D("0.01")),)


def test_equal_rates_written_differently_share_one_vat_line() -> None:
    un81_again = Tax(99, "UN81", D("8.10"), 2024, 1, None, None, True, "sales_tax")
    totals = compute_totals([line("100.00"), line("100.00", un81_again)], CHF)
    assert [(v.code, v.base, v.amount) for v in totals.vat] == [("UN81", D("200.00"), D("16.20"))]


def test_rounding_up_to_five_rappen() -> None:
    totals = compute_totals([line("100.00", U00), line("0.03", U00)], CHF)
    assert (totals.total_unrounded, totals.total, totals.rounding_difference) == (
        D("100.03"),
        D("100.05"),
        D("0.02"),
    )


def test_factor_of_other_currencies_rounds_to_rappen_only() -> None:
    totals = compute_totals([line("100.03", U00)], D("0.01"))
    assert (totals.total, totals.rounding_difference) == (D("100.03"), D("0.00"))


def test_text_lines_and_lines_without_tax() -> None:
    totals = compute_totals([line("0.00", None, LineKind.TEXT), line("50.00", None)], CHF)
    assert (totals.net, totals.vat, totals.total_vat, totals.total) == (D("50.00"), (), D("0.00"), D("50.00"))


def test_no_lines() -> None:
    totals = compute_totals([], CHF)
    assert (totals.net, totals.total_vat, totals.total, totals.rounding_difference) == (
        D(0),
        D(0),
        D(0),
        D(0),
    )
    assert str(totals.total) == "0.00"


def test_vat_lines_highest_rate_first() -> None:
    totals = compute_totals([line("10.00", UR26), line("10.00", U00), line("10.00")], CHF)
    assert [v.code for v in totals.vat] == ["UN81", "UR26", "U00"]


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@given(st.lists(st.tuples(amounts, st.sampled_from([UN81, UR26, U00, UO81])), max_size=40))
def test_totals_are_consistent(items: list[tuple[Decimal, Tax]]) -> None:
    totals = compute_totals([line(str(a), t) for a, t in items], CHF)
    assert totals.net == sum((a for a, _ in items), D(0))
    assert totals.total_vat == sum((v.amount for v in totals.vat), D(0))
    for vat in totals.vat:
        base = sum((a for a, t in items if t.value == vat.rate), D(0))
        assert vat.base == base
        assert vat.amount == (base * vat.rate / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert totals.total_unrounded == totals.net + totals.total_vat
    assert totals.total % CHF == 0
    assert totals.total - totals.total_unrounded == totals.rounding_difference
    assert abs(totals.rounding_difference) <= D("0.02")


@pytest.mark.parametrize(
    ("period_end", "title"),
    [
        (date(2026, 11, 30), "Leistungen November 2026"),
        (date(2026, 3, 31), "Leistungen März 2026"),
        (date(2027, 1, 31), "Leistungen Januar 2027"),
    ],
)
def test_default_title(period_end: date, title: str) -> None:
    assert default_title(period_end) == title
