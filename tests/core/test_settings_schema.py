from datetime import date
from decimal import Decimal

import pytest

from core.settings_schema import (
    PATTERN_SETTINGS,
    SETTINGS,
    SettingError,
    activity_rate_key,
    activity_tax_key,
    default_for,
    normalise_setting_key,
    person_rate_key,
    spec_for,
    validate_setting,
)
from core.time_rounding import TimeRounding

EXPECTED_DEFAULTS = {
    "customer_category": "Kunden, Customers, Clients, Clienti",
    "default_activity": None,
    "default_sales_tax": "UN81",
    "allow_future_dates": "false",
    "invoice_imported_hours_since": None,
    "use_bexio_numbering": "true",
    "invoice_number_format": "RE-{year}-{seq:04}",
    "invoice_grouping": "activity",
    "time_rounding": None,
    "billing_users": "",
    "write_back_hours": "false",
    "daily_norm_hours": "8.4",  # issue 16 §8: the day's norm for people payroll does not know
    "language": None,  # unset: BXHOURS_LANGUAGE
    "reminders_enabled": "true",
    "reminder_min_hours": "1",
    "holidays_canton": None,  # unset: the holidays all of Switzerland keeps
    "poll_contacts_seconds": "60",
    "poll_full_minutes": "15",
    "poll_timesheets_full_hours": "24",
}


def test_known_keys_and_defaults() -> None:
    assert {key: spec.default for key, spec in SETTINGS.items()} == EXPECTED_DEFAULTS
    assert all(spec.description for spec in [*SETTINGS.values(), *PATTERN_SETTINGS.values()])


@pytest.mark.parametrize("key", list(EXPECTED_DEFAULTS))
def test_every_default_is_itself_valid(key: str) -> None:
    default = default_for(key)
    if default is not None:
        assert validate_setting(key, default) == default


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("allow_future_dates", "Yes", "true"),
        ("allow_future_dates", "off", "false"),
        ("use_bexio_numbering", "0", "false"),
        ("write_back_hours", " ON ", "true"),
        ("customer_category", " Kunden ,, customers, KUNDEN", "Kunden, customers"),
        ("default_activity", "  Projekt   Management ", "Projekt Management"),
        ("default_sales_tax", "un81", "UN81"),
        ("reminder_min_hours", " 1,5 ", "1.5"),
        ("holidays_canton", " zh ", "ZH"),
        ("invoice_imported_hours_since", "2026-01-01", "2026-01-01"),
        ("invoice_imported_hours_since", "01.12.2026", "2026-12-01"),  # as people write dates
        ("invoice_imported_hours_since", " 1.2.2026 ", "2026-02-01"),
        ("invoice_number_format", " R-{seq:05} ", "R-{seq:05}"),
        ("time_rounding", "15:UP", "15:up"),
        ("invoice_grouping", " Day ", "day"),
        ("time_rounding", "none", "none"),
        ("billing_users", "U01AB, <@U02CD|bob> W333", "U01AB,U02CD,W333"),
        ("billing_users", "", ""),
        ("poll_contacts_seconds", "30", "30"),
        ("poll_full_minutes", "1", "1"),
        ("activity_rate:Umsetzung", "150", "150.00"),
        ("person_rate:Anna@Example.ch", "1'200.5", "1200.50"),
        ("activity_tax:Meeting", "ur26", "UR26"),
    ],
)
def test_values_are_normalised(key: str, value: str, stored: str) -> None:
    assert validate_setting(key, value) == stored


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("allow_future_dates", "maybe", "allow_future_dates: expects true or false"),
        ("customer_category", " , ", "customer_category: expects one or more contact group names"),
        ("default_activity", "  ", "default_activity: expects the name"),
        ("default_sales_tax", "8.1%", "default_sales_tax: expects a bexio sales tax code"),
        (
            "invoice_imported_hours_since",
            "31.13.2026",
            "invoice_imported_hours_since: expects a date as 31.12.2026 (or 2026-12-31)",
        ),
        (
            "invoice_number_format",
            "RE-{year}",
            "invoice_number_format: Invoice number format 'RE-{year}' has no {seq}",
        ),
        ("time_rounding", "7:up", "time_rounding: Time rounding increment 7 is not allowed"),
        ("billing_users", "bob", "billing_users: expects Slack user ids"),
        ("poll_contacts_seconds", "5", "poll_contacts_seconds: expects a whole number of at least 10"),
        ("poll_full_minutes", "-1", "poll_full_minutes: expects a whole number of at least 1"),
        ("poll_timesheets_full_hours", "1.5", "poll_timesheets_full_hours: expects a whole number"),
        ("activity_rate:Umsetzung", "0", "activity_rate:Umsetzung: expects an amount in CHF"),
        ("person_rate:anna@example.ch", "abc", "person_rate:anna@example.ch: expects an amount in CHF"),
        ("activity_tax:Meeting", "", "activity_tax:Meeting: expects a bexio sales tax code"),
    ],
)
def test_bad_values_name_the_key_and_what_it_expects(key: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingError) as caught:
        validate_setting(key, value)
    assert fragment in caught.value.message


def test_unknown_keys_list_the_known_ones() -> None:
    with pytest.raises(SettingError) as caught:
        validate_setting("colour", "blue")
    assert caught.value.message.startswith("There is no setting 'colour'.")
    assert "activity_rate:<name>" in caught.value.message
    assert "poll_full_minutes" in caught.value.message


@pytest.mark.parametrize(
    ("key", "fragment"),
    [("activity_rate:", "needs a name after the colon"), ("person_rate:anna", "needs the person's e-mail")],
)
def test_bad_pattern_keys(key: str, fragment: str) -> None:
    with pytest.raises(SettingError, match=fragment):
        validate_setting(key, "150")


def test_pattern_keys_are_normalised_the_same_way_for_writing_and_reading() -> None:
    assert normalise_setting_key(" activity_rate:Projekt  Management ") == "activity_rate:projekt management"
    assert activity_rate_key("PROJEKT Management") == "activity_rate:projekt management"
    assert person_rate_key("Anna@Example.CH") == normalise_setting_key("person_rate:anna@example.ch")
    assert activity_tax_key("Meeting") == "activity_tax:meeting"
    assert normalise_setting_key("time_rounding") == "time_rounding"


def test_specs_parse_stored_strings_into_typed_values() -> None:
    assert spec_for("allow_future_dates").parse("true") is True
    assert spec_for("poll_contacts_seconds").parse("60") == 60
    assert spec_for("time_rounding").parse("15:up") == TimeRounding(15, "up")
    assert spec_for("invoice_imported_hours_since").parse("2026-01-01") == date(2026, 1, 1)
    assert spec_for("activity_rate:umsetzung").parse("150.00") == Decimal("150.00")
    assert spec_for("billing_users").parse("U1AB,U2CD") == ("U1AB", "U2CD")
    assert spec_for("customer_category").parse("Kunden, Customers") == ("Kunden", "Customers")


def test_spec_for_pattern_key() -> None:
    assert spec_for("person_rate:a@b.ch").key == "person_rate:<e-mail>"
