from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import (
    AmountError,
    format_amount,
    format_money,
    from_minor,
    parse_amount,
    quantize_money,
    round_to_factor,
    to_minor,
)

D = Decimal
rappen = st.integers(min_value=-(10**11), max_value=10**11)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.005", "1.01"), ("1.004", "1.00"), ("2.675", "2.68"), ("-1.005", "-1.01"), ("0.125", "0.13")],
)
def test_quantize_money_rounds_half_up_not_to_even(value: str, expected: str) -> None:
    assert quantize_money(D(value)) == D(expected)
    assert str(quantize_money(D(value))) == expected


@pytest.mark.parametrize(
    ("amount", "factor", "expected"),
    [
        ("10.024", "0.05", "10.00"),
        ("10.025", "0.05", "10.05"),
        ("10.07", "0.05", "10.05"),
        ("10.075", "0.05", "10.10"),
        ("-10.025", "0.05", "-10.05"),
        ("1234.56", "0.05", "1234.55"),
        ("10.025", "0", "10.03"),
        ("10.025", "0.01", "10.03"),
        ("10.5", "1", "11.00"),
        ("12.49", "0.10", "12.50"),
    ],
)
def test_round_to_factor(amount: str, factor: str, expected: str) -> None:
    result = round_to_factor(D(amount), D(factor))
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


def test_round_to_factor_refuses_negative_factor() -> None:
    with pytest.raises(ValueError, match="negative"):
        round_to_factor(D("1"), D("-0.05"))


@given(rappen)
def test_round_to_factor_lands_on_a_multiple_within_half_a_step(minor: int) -> None:
    amount = from_minor(minor)
    rounded = round_to_factor(amount, D("0.05"))
    assert rounded % D("0.05") == 0
    assert abs(rounded - amount) <= D("0.025")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.55", "1'234.55"),
        ("-12", "-12.00"),
        ("0", "0.00"),
        ("-0.001", "0.00"),
        ("999", "999.00"),
        ("1000", "1'000.00"),
        ("1234567.891", "1'234'567.89"),
        ("-1234.5", "-1'234.50"),
    ],
)
def test_format_amount_swiss_style(value: str, expected: str) -> None:
    assert format_amount(D(value)) == expected


def test_format_money_prefixes_the_currency() -> None:
    assert format_money(D("1234.55")) == "CHF 1'234.55"
    assert format_money(D("5"), "EUR") == "EUR 5.00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("84.50", "84.50"),
        ("84,50", "84.50"),
        ("1'234.50", "1234.50"),
        ("1’234.50", "1234.50"),
        ("84", "84.00"),
        ("84.5", "84.50"),
        ("  84.50 ", "84.50"),
        ("84.-", "84.00"),
        ("84.–", "84.00"),
        ("0.05", "0.05"),
        ("12'345'678", "12345678.00"),
    ],
)
def test_parse_amount_accepts_swiss_forms(text: str, expected: str) -> None:
    parsed = parse_amount(text)
    assert parsed == D(expected)
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("84.505", "more than two decimals"),
        ("0", "more than 0.00"),
        ("0.00", "more than 0.00"),
        ("-5", "must be positive"),
        ("abc", "is not an amount"),
        ("", "is not an amount"),
        ("84.", "is not an amount"),
        ("1,234.50", "is not an amount"),
        ("1'23", "is not an amount"),
        ("12 34", "is not an amount"),
        ("1e3", "is not an amount"),
        ("NaN", "is not an amount"),
        ("٣", "is not an amount"),
        ("1000000000", "too large"),
    ],
)
def test_parse_amount_refuses_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert fragment in caught.value.message


@given(st.text(max_size=40))
def test_parse_amount_raises_nothing_but_amount_error(text: str) -> None:
    try:
        value = parse_amount(text)
    except AmountError as exc:
        error = exc
    else:
        assert value > 0
        assert value == quantize_money(value)
        return
    assert error.message


@given(st.integers(min_value=1, max_value=99_999_999_999))
def test_formatted_amounts_parse_back(minor: int) -> None:
    amount = from_minor(minor)
    assert parse_amount(format_amount(amount)) == amount


@given(rappen)
def test_minor_units_round_trip(minor: int) -> None:
    assert to_minor(from_minor(minor)) == minor


def test_to_minor_and_from_minor() -> None:
    assert to_minor(D("12.30")) == 1230
    assert to_minor(D("12.3")) == 1230
    assert to_minor(D("-0.05")) == -5
    assert from_minor(1230) == D("12.30")
    assert str(from_minor(5)) == "0.05"


@pytest.mark.parametrize("value", ["12.345", "0.001", "NaN", "Infinity"])
def test_to_minor_refuses_what_is_not_whole_rappen(value: str) -> None:
    with pytest.raises(ValueError, match=r"Rappen|finite"):
        to_minor(D(value))
