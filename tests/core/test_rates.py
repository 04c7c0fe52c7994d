from decimal import Decimal

import pytest

from core.rates import InvoiceType, RateResolution, RateSource, resolve_rate

D = Decimal


def rate(
    invoice_type: InvoiceType | None,
    *,
    activity_rate: Decimal | None = None,
    activity_rate_setting: Decimal | None = None,
    person_email: str | None = "anna@example.ch",
    person_rate: Decimal | None = None,
    project_amount: Decimal | None = None,
    activity_name: str = "Umsetzung",
    project_name: str | None = None,
) -> RateResolution:
    return resolve_rate(
        invoice_type,
        activity_name=activity_name,
        activity_rate=activity_rate,
        activity_rate_setting=activity_rate_setting,
        person_email=person_email,
        person_rate=person_rate,
        project_amount=project_amount,
        project_name=project_name,
    )


def test_invoice_type_values_are_bexios() -> None:
    assert [t.value for t in InvoiceType] == [1, 2, 3, 4]
    assert InvoiceType(4) is InvoiceType.FIXED_PRICE


@pytest.mark.parametrize("invoice_type", [InvoiceType.PER_ACTIVITY, None])
def test_per_activity_uses_bexios_default_price(invoice_type: InvoiceType | None) -> None:
    result = rate(invoice_type, activity_rate=D("150"), person_rate=D("99"), project_amount=D("88"))
    assert (result.rate, result.source, result.missing) == (D("150.00"), RateSource.ACTIVITY_DEFAULT, None)


def test_an_admins_activity_rate_setting_wins_over_bexio() -> None:
    result = rate(InvoiceType.PER_ACTIVITY, activity_rate=D("150"), activity_rate_setting=D("160"))
    assert (result.rate, result.source) == (D("160.00"), RateSource.ACTIVITY_SETTING)


def test_per_employee_uses_the_person_rate_setting() -> None:
    result = rate(InvoiceType.PER_EMPLOYEE, activity_rate=D("150"), person_rate=D("130.5"))
    assert (result.rate, result.source) == (D("130.50"), RateSource.PERSON_SETTING)


def test_per_project_uses_the_project_amount() -> None:
    result = rate(InvoiceType.PER_PROJECT, activity_rate=D("150"), project_amount=D("120"))
    assert (result.rate, result.source) == (D("120.00"), RateSource.PROJECT_AMOUNT)


def test_fixed_price_has_no_hourly_rate_and_nothing_is_missing() -> None:
    result = rate(InvoiceType.FIXED_PRICE, activity_rate=D("150"), project_amount=D("5000"))
    assert (result.rate, result.source, result.missing) == (None, RateSource.FIXED_PRICE, None)


def test_rates_are_quantized_half_up() -> None:
    assert rate(None, activity_rate=D("150.005")).rate == D("150.01")


def test_missing_activity_rate_says_where_to_set_it() -> None:
    result = rate(InvoiceType.PER_ACTIVITY)
    assert (result.rate, result.source) == (None, RateSource.MISSING)
    assert result.missing == (
        "Umsetzung has no hourly rate — set one in bexio (Business activities) or with "
        "`bxhours settings set activity_rate:Umsetzung 150`"
    )


def test_zero_default_price_counts_as_missing() -> None:
    assert rate(None, activity_rate=D("0")).source is RateSource.MISSING


def test_activity_names_with_spaces_are_quoted_in_the_command() -> None:
    missing = rate(None, activity_name="Projekt Management").missing
    assert missing is not None
    assert '`bxhours settings set "activity_rate:Projekt Management" 150`' in missing


def test_missing_person_rate_names_the_person_and_the_setting() -> None:
    missing = rate(InvoiceType.PER_EMPLOYEE, activity_rate=D("150")).missing
    assert missing is not None
    assert missing.startswith("anna@example.ch has no hourly rate")
    assert "person_rate:anna@example.ch" in missing


def test_missing_person_rate_without_an_email() -> None:
    missing = rate(InvoiceType.PER_EMPLOYEE, person_email=None).missing
    assert missing is not None
    assert "no e-mail address in bexio" in missing


def test_missing_project_rate_names_the_project() -> None:
    missing = rate(InvoiceType.PER_PROJECT, project_name="Website Relaunch").missing
    assert missing is not None
    assert missing.startswith("Website Relaunch is billed per project but has no hourly rate")
