"""Write payloads send only writable fields, money as decimal strings, and reject what bexio would."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from bexio.payloads import (
    BusinessActivityCreate,
    ContactCreate,
    ContactEdit,
    DurationTrackingIn,
    InvoiceCreate,
    InvoiceEdit,
    KbPositionCustomCreate,
    KbPositionDiscountCreate,
    KbPositionPagebreakCreate,
    KbPositionTextCreate,
    ProjectCreate,
    RangeTrackingIn,
    TimesheetCreate,
    TimesheetEdit,
)
from bexio.search import Criterion, search_body


def test_invoice_create_matches_bexio_request_shape() -> None:
    invoice = InvoiceCreate(
        title="Consulting May 2026",
        contact_id=14,
        user_id=1,
        pr_project_id=2,
        mwst_type=0,
        mwst_is_net=True,
        is_valid_from=date(2026, 6, 1),
        is_valid_to=date(2026, 6, 30),
        api_reference="bxhours:7f3c2c1e",
        positions=(
            KbPositionTextCreate(text="Hours May 2026", show_pos_nr=False),
            KbPositionCustomCreate(
                amount=Decimal("12.5"),
                unit_id=2,
                account_id=95,
                tax_id=14,
                text="Project Management",
                unit_price=Decimal("150.00"),
                discount_in_percent=Decimal("0"),
            ),
        ),
    )
    assert invoice.to_body() == {
        "title": "Consulting May 2026",
        "contact_id": 14,
        "user_id": 1,
        "pr_project_id": 2,
        "mwst_type": 0,
        "mwst_is_net": True,
        "is_valid_from": "2026-06-01",
        "is_valid_to": "2026-06-30",
        "api_reference": "bxhours:7f3c2c1e",
        "positions": [
            {"type": "KbPositionText", "text": "Hours May 2026", "show_pos_nr": False},
            {
                "type": "KbPositionCustom",
                "amount": "12.5",
                "unit_id": 2,
                "account_id": 95,
                "tax_id": 14,
                "text": "Project Management",
                "unit_price": "150.00",
                "discount_in_percent": "0",
            },
        ],
    }


def test_every_position_type_carries_its_type() -> None:
    body = InvoiceCreate(
        contact_id=1,
        user_id=1,
        positions=(
            KbPositionDiscountCreate(text="Rabatt", is_percentual=True, value=Decimal("10")),
            KbPositionPagebreakCreate(),
        ),
    ).to_body()
    assert [position["type"] for position in body["positions"]] == [
        "KbPositionDiscount",
        "KbPositionPagebreak",
    ]
    assert body["positions"][0]["value"] == "10"


def test_money_with_more_than_six_decimals_is_refused_not_rounded() -> None:
    with pytest.raises(ValidationError, match="at most 6 decimals"):
        KbPositionCustomCreate(amount=Decimal("1.1234567"), unit_price=Decimal(1), text="x")
    trailing_zeros = KbPositionCustomCreate(
        amount=Decimal("1.50000000"), unit_price=Decimal("1E+2"), text="x"
    )
    dumped = trailing_zeros.model_dump(mode="json")
    assert (dumped["amount"], dumped["unit_price"]) == ("1.500000", "100")


def test_read_only_and_unknown_fields_cannot_be_sent() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        InvoiceEdit(esr_id=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        KbPositionCustomCreate(amount=1, unit_price=1, text="x", position_total="1")  # type: ignore[call-arg]


def test_edit_sends_exactly_what_was_set_including_clearing() -> None:
    assert InvoiceEdit(title="New", reference=None).to_body() == {"title": "New", "reference": None}
    assert ContactEdit(mail="a@b.ch").to_body() == {"mail": "a@b.ch"}


def test_create_leaves_out_empty_fields_so_bexio_applies_its_defaults() -> None:
    body = InvoiceCreate(contact_id=1, user_id=1, header=None, footer=None).to_body()
    assert "header" not in body
    assert "footer" not in body


def test_contact_groups_are_sent_as_comma_string() -> None:
    body = ContactCreate(
        contact_type_id=1, name_1="Muster AG", user_id=1, owner_id=1, contact_group_ids={13, 3}
    ).to_body()
    assert body == {
        "contact_type_id": 1,
        "name_1": "Muster AG",
        "user_id": 1,
        "owner_id": 1,
        "contact_group_ids": "3,13",
    }
    with pytest.raises(ValidationError):
        ContactCreate(contact_type_id=1, name_1="", user_id=1, owner_id=1)


def test_timesheet_duration_is_sent_as_hours_and_minutes() -> None:
    body = TimesheetCreate(
        user_id=1,
        client_service_id=3,
        allowable_bill=True,
        pr_project_id=2,
        tracking=DurationTrackingIn(date=date(2026, 5, 20), duration=150),
    ).to_body()
    assert body == {
        "user_id": 1,
        "client_service_id": 3,
        "allowable_bill": True,
        "pr_project_id": 2,
        "tracking": {"type": "duration", "date": "2026-05-20", "duration": "02:30"},
    }
    with pytest.raises(ValidationError):
        DurationTrackingIn(date=date(2026, 5, 20), duration=-5)


def test_timesheet_edit_keeps_the_tracking_type() -> None:
    start = datetime(2026, 5, 20, 6, 0, tzinfo=UTC)
    end = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)
    tracking = RangeTrackingIn(start=start, end=end)
    body = TimesheetEdit(user_id=1, client_service_id=3, allowable_bill=False, tracking=tracking).to_body()
    assert body == {
        "user_id": 1,
        "client_service_id": 3,
        "allowable_bill": False,
        "tracking": {"type": "range", "start": "2026-05-20 08:00:00", "end": "2026-05-20 10:30:00"},
    }


def test_timesheet_edit_requires_what_bexio_edit_form_requires() -> None:
    """v2EditTimesheet requires user_id, client_service_id, allowable_bill and tracking."""
    with pytest.raises(ValidationError) as refused:
        TimesheetEdit(text="Review")  # type: ignore[call-arg]
    missing = {error["loc"][0] for error in refused.value.errors() if error["type"] == "missing"}
    assert missing == {"user_id", "client_service_id", "allowable_bill", "tracking"}
    tracking = DurationTrackingIn(date=date(2026, 5, 20), duration=90)
    body = TimesheetEdit(
        user_id=1, client_service_id=3, allowable_bill=True, tracking=tracking, text=None
    ).to_body()
    assert body["text"] is None  # a field set to None is still sent: that clears it
    assert "pr_project_id" not in body  # a field left out is left alone


def test_business_activity_rate_is_a_json_number() -> None:
    activity = BusinessActivityCreate(
        name="Beratung", default_price_per_hour=Decimal("150.05"), account_id=95
    )
    assert activity.model_dump_json(exclude_none=True) == (
        '{"name":"Beratung","default_price_per_hour":150.05,"account_id":95}'
    )


def test_project_dates_are_bexio_datetimes() -> None:
    body = ProjectCreate(
        name="Website",
        contact_id=1,
        user_id=1,
        pr_state_id=1,
        pr_project_type_id=1,
        pr_invoice_type_id=3,
        pr_invoice_type_amount=Decimal("160"),
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
    ).to_body()
    assert body["start_date"] == "2026-01-01 01:00:00"
    assert body["pr_invoice_type_amount"] == "160"


def test_search_criteria_serialise_like_bexio_expects() -> None:
    since = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert search_body(
        [
            Criterion("updated_at", ">=", since),
            Criterion("contact_type_id", "in", [1, 2]),
            Criterion("mail", "is_null"),
            Criterion("total", ">", Decimal("100.50")),
        ]
    ) == [
        {"field": "updated_at", "value": "2026-11-24 10:00:00", "criteria": ">="},
        {"field": "contact_type_id", "value": [1, 2], "criteria": "in"},
        {"field": "mail", "value": None, "criteria": "is_null"},
        {"field": "total", "value": "100.50", "criteria": ">"},
    ]


@pytest.mark.parametrize(
    ("field", "criteria", "value", "message"),
    [
        ("id", "in", "1,2", "needs a list"),
        ("name_1", "=", None, "needs a value"),
        ("name_1", "like", "x" * 256, "limited to 255"),
    ],
)
def test_bad_criteria_fail_before_reaching_bexio(
    field: str, criteria: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Criterion(field, criteria, value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one criterion"):
        search_body([])
