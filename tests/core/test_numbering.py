import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.numbering import (
    DEFAULT_INVOICE_NUMBER_FORMAT,
    format_invoice_number,
    validate_invoice_number_format,
)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("RE-{year}-{seq:04}", "RE-2026-0042"),
        ("{seq}", "42"),
        ("{year}/{seq:05d}", "2026/00042"),
        ("R{seq:03}-{year}", "R042-2026"),
        ("{{literal}}-{seq}", "{literal}-42"),
    ],
)
def test_format_invoice_number(fmt: str, expected: str) -> None:
    assert format_invoice_number(fmt, year=2026, seq=42) == expected


def test_default_format() -> None:
    assert format_invoice_number(DEFAULT_INVOICE_NUMBER_FORMAT, year=2026, seq=7) == "RE-2026-0007"


@pytest.mark.parametrize(
    ("fmt", "fragment"),
    [
        ("RE-{year}", "has no {seq}"),
        ("", "has no {seq}"),
        ("{customer}-{seq}", "uses {customer}"),
        ("{}-{seq}", "uses {}"),
        ("{0}", "uses {0}"),
        ("{seq.real}", "uses {seq.real}"),
        ("{seq!r}", "not supported"),
        ("{seq:{width}}", "not supported"),
        ("RE-{seq", "malformed"),
        ("RE-}{seq}", "malformed"),
        ("{seq:zz}", "not supported"),
        # issue 12 §8: numbers must fit the column they are stored in (64 characters)
        ("{seq:0100000}", "not supported"),
        ("{year}{seq:099}", "at most 64 fit"),
        ("R" * 60 + "{seq}", "at most 64 fit"),
    ],
)
def test_malformed_formats_are_refused_with_a_message(fmt: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="Invoice number format") as caught:
        format_invoice_number(fmt, year=2026, seq=1)
    assert fragment in str(caught.value)
    assert "RE-{year}-{seq:04}" in str(caught.value)


def test_validate_returns_the_format() -> None:
    assert validate_invoice_number_format("RE-{seq}") == "RE-{seq}"


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_different_sequence_numbers_never_give_the_same_number(a: int, b: int) -> None:
    if a != b:
        assert format_invoice_number(
            DEFAULT_INVOICE_NUMBER_FORMAT, year=2026, seq=a
        ) != format_invoice_number(DEFAULT_INVOICE_NUMBER_FORMAT, year=2026, seq=b)


@given(st.text(max_size=30))
def test_arbitrary_formats_raise_only_value_error(fmt: str) -> None:
    try:
        format_invoice_number(fmt, year=2026, seq=1)
    except ValueError as exc:
        error = exc
    else:
        assert "{seq" in fmt
        return
    assert str(error).startswith("Invoice number format")
