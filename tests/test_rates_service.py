"""Rates come from the project's bexio invoice type, settings override bexio's defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.rates import RateSource
from services.rates import rate_for
from services.settings import TenantSettings
from storage.models import Activity, Project, User

NOW = datetime(2026, 11, 24, tzinfo=UTC)
ACTIVITY = Activity(bexio_id=4, name="Umsetzung", default_rate=Decimal("150.00"), updated_at=NOW)
USER = User(bexio_id=3, email="noah.keller@alpenblick.example", updated_at=NOW)


def project(invoice_type: int | None, amount: str | None = None) -> Project:
    return Project(
        name="Website",
        invoice_type=invoice_type,
        invoice_amount=Decimal(amount) if amount else None,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    ("invoice_type", "amount", "settings", "expected", "source"),
    [
        (1, None, {}, Decimal("150.00"), RateSource.ACTIVITY_DEFAULT),
        (1, None, {"activity_rate:umsetzung": "180.00"}, Decimal("180.00"), RateSource.ACTIVITY_SETTING),
        (None, None, {}, Decimal("150.00"), RateSource.ACTIVITY_DEFAULT),
        (
            2,
            None,
            {"person_rate:noah.keller@alpenblick.example": "130.00"},
            Decimal("130.00"),
            RateSource.PERSON_SETTING,
        ),
        (2, None, {}, None, RateSource.MISSING),
        (3, "155.00", {}, Decimal("155.00"), RateSource.PROJECT_AMOUNT),
        (4, "12000.00", {}, None, RateSource.FIXED_PRICE),
    ],
)
def test_rate_by_invoice_type(invoice_type, amount, settings, expected, source) -> None:  # type: ignore[no-untyped-def]
    resolution = rate_for(
        TenantSettings(settings), project=project(invoice_type, amount), activity=ACTIVITY, user=USER
    )
    assert resolution.rate == expected
    assert resolution.source == source
    if source is RateSource.MISSING:
        assert "person_rate:noah.keller@alpenblick.example" in (resolution.missing or "")
