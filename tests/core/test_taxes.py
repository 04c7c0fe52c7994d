from datetime import date
from decimal import Decimal

import pytest

from core.taxes import Tax, TaxSelectionError, is_valid_on, select_tax, tax_kind

UN77 = Tax(13, "UN77", Decimal("7.7"), 2018, 1, 2023, 12, True, "sales_tax")
UN81 = Tax(14, "UN81", Decimal("8.1"), 2024, 1, None, None, True, "sales_tax")
UR26 = Tax(15, "UR26", Decimal("2.6"), 2024, 1, None, None, True, "sales_tax")
US38 = Tax(16, "US38", Decimal("3.8"), 2024, 1, None, None, False, "sales_tax")
VM81 = Tax(21, "VM81", Decimal("8.1"), 2024, 1, None, None, True, "pre_tax_material")
UO81 = Tax(17, "UO81", Decimal("8.1"), 2024, 1, None, None, True, "opted_sales_tax")
TAXES = (UN77, UN81, UR26, US38, VM81, UO81)


@pytest.mark.parametrize(
    ("code", "kind"), [("UN81", "UN"), ("UR26", "UR"), ("US38", "US"), ("un77", "UN"), ("U00", "U")]
)
def test_tax_kind(code: str, kind: str) -> None:
    assert tax_kind(code) == kind


def test_tax_kind_refuses_non_codes() -> None:
    with pytest.raises(ValueError, match="not a bexio tax code"):
        tax_kind("81")


@pytest.mark.parametrize(
    ("day", "valid"),
    [
        (date(2017, 12, 31), False),
        (date(2018, 1, 1), True),
        (date(2023, 12, 31), True),  # end month inclusive
        (date(2024, 1, 1), False),
    ],
)
def test_validity_is_inclusive_by_month(day: date, valid: bool) -> None:
    assert is_valid_on(UN77, day) is valid


def test_open_ends() -> None:
    forever = Tax(1, "UN", Decimal(0), None, None, None, None, True, "sales_tax")
    assert is_valid_on(forever, date(1990, 1, 1))
    assert is_valid_on(UN81, date(2099, 12, 31))
    assert not is_valid_on(UN81, date(2023, 12, 31))


def test_start_month_alone_means_from_that_month() -> None:
    july = Tax(14, "UN81", Decimal("8.1"), 2023, 7, None, None, True, "sales_tax")  # as bexio records it
    assert not is_valid_on(july, date(2023, 6, 30))
    assert is_valid_on(july, date(2023, 7, 1))


def test_select_by_kind_and_date_across_a_vat_change() -> None:
    assert select_tax("UN", TAXES, date(2023, 12, 31)) == UN77
    assert select_tax("UN", TAXES, date(2024, 1, 1)) == UN81
    assert select_tax("UR", TAXES, date(2024, 6, 1)) == UR26


def test_select_accepts_a_code_for_its_kind() -> None:
    assert select_tax("UN81", TAXES, date(2023, 6, 1)) == UN77  # the setting names UN81; June 2023 was 7.7 %


def test_only_sales_taxes_count() -> None:
    only_pre_tax = (VM81, UO81)
    with pytest.raises(TaxSelectionError, match=r"no UN sales tax valid on 01\.06\.2024"):
        select_tax("UN", only_pre_tax, date(2024, 6, 1))


def test_an_inactive_tax_is_refused_by_name() -> None:
    with pytest.raises(TaxSelectionError) as caught:
        select_tax("US", TAXES, date(2024, 6, 1))
    assert "US38" in caught.value.message
    assert "only active sales taxes" in caught.value.message


def test_no_valid_tax_names_kind_and_date() -> None:
    with pytest.raises(TaxSelectionError) as caught:
        select_tax("UN", TAXES, date(2010, 3, 4))
    assert caught.value.message.startswith("bexio has no UN sales tax valid on 04.03.2010")


def test_an_active_tax_wins_over_an_inactive_one_of_the_same_period() -> None:
    inactive_twin = Tax(99, "UN81", Decimal("8.1"), 2024, 1, None, None, False, "sales_tax")
    assert select_tax("UN", (inactive_twin, UN81), date(2024, 3, 1)) == UN81


def test_overlapping_validity_prefers_the_latest_start() -> None:
    newer = Tax(30, "UN90", Decimal("9.0"), 2030, 1, None, None, True, "sales_tax")
    assert select_tax("UN", (UN81, newer), date(2030, 5, 1)) == newer


def test_rate_opened_early_does_not_apply_before_the_old_one_ends() -> None:
    """bexio's real UN81 starts 07.2023 (recorded) while UN77 runs to 12.2023: 2023 work owes 7.7 %."""
    early_un81 = Tax(14, "UN81", Decimal("8.1"), 2023, 7, None, None, True, "sales_tax")
    assert select_tax("UN", (UN77, early_un81), date(2023, 11, 20)) == UN77
    assert select_tax("UN", (UN77, early_un81), date(2024, 1, 2)) == early_un81


def test_a_bad_kind_is_a_selection_error() -> None:
    with pytest.raises(TaxSelectionError, match="not a bexio tax code"):
        select_tax("", TAXES, date(2024, 1, 1))
