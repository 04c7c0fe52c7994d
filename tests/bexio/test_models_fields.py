"""The field types and read models handle bexio's quirks the same way everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bexio import models
from bexio.fields import BEXIO_TZ, decimal_to_str, format_minutes, parse_minutes, to_bexio_datetime


@pytest.mark.parametrize(
    ("text", "minutes"), [("1:15", 75), ("0:30", 30), ("01:40", 100), ("120:00", 7200), ("2:05:00", 125)]
)
def test_durations_read_as_whole_minutes(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["1:75", "1.5", "abc", "1h30"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a bexio duration"):
        parse_minutes(text)


@given(st.integers(min_value=0, max_value=100 * 60))
def test_minutes_round_trip_through_bexio_format(minutes: int) -> None:
    assert parse_minutes(format_minutes(minutes)) == minutes


@given(
    st.decimals(
        min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False, allow_infinity=False
    )
)
def test_decimal_strings_round_trip_exactly(value: Decimal) -> None:
    text = decimal_to_str(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value


def test_bexio_datetimes_are_swiss_local_time() -> None:
    summer = datetime(2026, 6, 18, 12, 55, 15, tzinfo=UTC)
    assert to_bexio_datetime(summer) == "2026-06-18 14:55:15"
    winter = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert to_bexio_datetime(winter) == "2026-01-06 00:30:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        to_bexio_datetime(datetime(2026, 1, 5, 23, 30))


def test_read_datetimes_get_the_swiss_zone() -> None:
    contact = models.Contact.model_validate(
        {"id": 1, "contact_type_id": 1, "name_1": "x", "updated_at": "2026-03-29 03:30:00"}
    )
    assert contact.updated_at is not None
    assert contact.updated_at.tzinfo == BEXIO_TZ
    assert contact.updated_at.utcoffset() == timedelta(hours=2)  # after the spring change


def test_empty_strings_and_nulls_both_mean_none() -> None:
    contact = models.Contact.model_validate(
        {
            "id": "7",
            "contact_type_id": 2,
            "name_1": "Muster",
            "name_2": "",
            "mail": None,
            "country_id": "",
            "birthday": "0000-00-00",
            "updated_at": "",
        }
    )
    assert contact.id == 7
    assert (contact.name_2, contact.mail, contact.country_id, contact.updated_at) == (None, None, None, None)
    assert contact.display_name == "Muster"
    assert contact.birthday == "0000-00-00"  # unused by bxhours: kept as sent, never validated


def test_unknown_fields_are_ignored() -> None:
    unit = models.Unit.model_validate({"id": 1, "name": "h", "brand_new_field": {"x": 1}})
    assert unit == models.Unit(id=1, name="h")


def test_models_are_immutable() -> None:
    unit = models.Unit(id=1, name="h")
    with pytest.raises(ValidationError):
        unit.name = "Stk"  # type: ignore[misc]


def test_contact_group_ids_stay_a_string_with_a_set_view() -> None:
    contact = models.Contact.model_validate(
        {"id": 1, "contact_type_id": 1, "name_1": "x", "contact_group_ids": "1,13,3"}
    )
    assert contact.contact_group_ids == "1,13,3"
    assert contact.group_id_set == frozenset({1, 3, 13})
    assert 31 not in contact.group_id_set


def test_person_display_name_puts_first_name_first() -> None:
    person = models.Contact.model_validate(
        {"id": 1, "contact_type_id": 2, "name_1": "Meier", "name_2": "Anna"}
    )
    assert person.display_name == "Anna Meier"


def test_business_activity_price_is_an_exact_decimal() -> None:
    activity = models.BusinessActivity.model_validate_json(
        b'{"id":3,"name":"Projekt Management","default_is_billable":true,'
        b'"default_price_per_hour":150.05,"account_id":95}'
    )
    assert activity.default_price_per_hour == Decimal("150.05")
    nothing = models.BusinessActivity.model_validate(
        {"id": 1, "name": "Admin", "default_price_per_hour": None}
    )
    assert nothing.default_price_per_hour is None


def test_invoice_project_id_accepts_both_names() -> None:
    returned = models.Invoice.model_validate({"id": 1, "project_id": 5})
    sent_name = models.Invoice.model_validate({"id": 1, "pr_project_id": 6})
    assert (returned.project_id, sent_name.project_id) == (5, 6)


def test_every_position_type_parses_and_unknown_ones_are_kept() -> None:
    invoice = models.Invoice.model_validate(
        {
            "id": 1,
            "positions": [
                {"id": 1, "type": "KbPositionCustom", "amount": "2", "unit_price": "150.00"},
                {"id": 1, "type": "KbPositionArticle", "article_id": 4, "amount": "1.000000"},
                {"id": 1, "type": "KbPositionText", "text": "Stunden Mai", "show_pos_nr": False},
                {"id": 1, "type": "KbPositionSubtotal", "text": "Zwischentotal", "value": "300.00"},
                {
                    "id": 1,
                    "type": "KbPositionDiscount",
                    "is_percentual": True,
                    "value": "10",
                    "text": "Rabatt",
                },
                {"id": 1, "type": "KbPositionPagebreak", "pagebreak": True},
                {"id": 1, "type": "KbPositionSubposition", "text": "new in bexio"},
            ],
        }
    )
    assert invoice.positions is not None
    kinds = [type(position).__name__ for position in invoice.positions]
    assert kinds == [
        "KbPositionCustom",
        "KbPositionArticle",
        "KbPositionText",
        "KbPositionSubtotal",
        "KbPositionDiscount",
        "KbPositionPagebreak",
        "KbPositionOther",
    ]
    assert invoice.positions[-1].type == "KbPositionSubposition"


def test_timesheet_reads_durations_and_tracking() -> None:
    timesheet = models.Timesheet.model_validate(
        {
            "id": 2,
            "user_id": 1,
            "client_service_id": 1,
            "text": "",
            "allowable_bill": True,
            "charge": None,
            "travel_distance": 0,
            "estimated_time": "02:30",
            "date": "2019-05-20",
            "duration": "1:40",
            "running": False,
            "tracking": {"type": "range", "start": "2019-05-20 14:22:48", "end": "2019-05-20 16:13:25"},
        }
    )
    assert (timesheet.duration, timesheet.text) == (100, None)
    assert isinstance(timesheet.tracking, models.RangeTracking)
    assert timesheet.tracking.start == datetime(2019, 5, 20, 14, 22, 48, tzinfo=BEXIO_TZ)


def test_tax_validity_by_month() -> None:
    old = models.Tax(id=1, value=Decimal("7.7"), start_year=2018, start_month=1, end_year=2023, end_month=12)
    new = models.Tax(id=2, value=Decimal("8.1"), start_year=2024, start_month=1)
    assert old.valid_on(date(2023, 12, 31))
    assert not old.valid_on(date(2024, 1, 1))
    assert new.valid_on(date(2024, 1, 1))
    assert not new.valid_on(date(2023, 12, 31))
    assert models.Tax(id=3, value=Decimal(0)).valid_on(date(1990, 1, 1))


def test_account_reads_the_documented_group_name_too() -> None:
    account = models.Account.model_validate(
        {"id": 1, "account_no": "3400", "name": "x", "account_group_id": 9}
    )
    assert account.fibu_account_group_id == 9


def test_payroll_ids_are_uuids_and_numbers_are_decimals() -> None:
    absence = models.PayrollAbsence.model_validate_json(
        b'{"id":"7c1f0f1a-6f0a-4f2e-9d1a-2a0d5c9a1b23","reason":"Vacation","start_date":"2026-07-06",'
        b'"end_date":"2026-07-17","half_day":false,"paid_hours":8.5,"continued_pay":100,"disability":0}'
    )
    assert absence.paid_hours == Decimal("8.5")
    assert absence.end_date == date(2026, 7, 17)


def test_absence_continued_pay_is_read_as_a_rate_or_a_flag() -> None:
    as_rate = models.PayrollAbsence.model_validate_json(b'{"id":"a","continued_pay":80.5}')
    as_flag = models.PayrollAbsence.model_validate_json(b'{"id":"a","continued_pay":true}')
    assert as_rate.continued_pay == Decimal("80.5")
    assert as_flag.continued_pay is True
