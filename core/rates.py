"""Which hourly rate applies to an entry, from the project's bexio invoice type.

One function, used when an entry is logged and when historic hours are imported: the rate is
snapshotted on the entry then, and later rate changes never re-price stored work.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, IntEnum

from core.i18n import _
from core.money import quantize_money


class InvoiceType(IntEnum):
    """bexio's `pr_invoice_type_id`."""

    PER_ACTIVITY = 1
    PER_EMPLOYEE = 2
    PER_PROJECT = 3
    FIXED_PRICE = 4


class RateSource(Enum):
    ACTIVITY_SETTING = "activity_setting"
    ACTIVITY_DEFAULT = "activity_default"
    PERSON_SETTING = "person_setting"
    PROJECT_AMOUNT = "project_amount"
    FIXED_PRICE = "fixed_price"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class RateResolution:
    rate: Decimal | None
    source: RateSource
    missing: str | None
    """When no rate applies: a sentence naming what is missing and where to set it."""


EXAMPLE_RATE = "150"


def resolve_rate(
    invoice_type: InvoiceType | None,
    *,
    activity_name: str,
    activity_rate: Decimal | None,
    activity_rate_setting: Decimal | None,
    person_email: str | None,
    person_rate: Decimal | None,
    project_amount: Decimal | None,
    project_name: str | None = None,
) -> RateResolution:
    """The rate for an entry. Per activity (also when the type is unknown): an admin's
    `activity_rate:<name>` wins over bexio's `default_price_per_hour`; per employee: the
    `person_rate:<e-mail>` setting, as bexio's API has none; per project: the project's amount;
    fixed price: no hourly rate at all. A rate of zero or less counts as missing — bexio shows
    0.00 for "not set"."""
    if invoice_type is InvoiceType.FIXED_PRICE:
        return RateResolution(None, RateSource.FIXED_PRICE, None)
    if invoice_type is InvoiceType.PER_EMPLOYEE:
        if (rate := _positive(person_rate)) is not None:
            return _found(rate, RateSource.PERSON_SETTING)
        return RateResolution(None, RateSource.MISSING, missing_person_rate(person_email))
    if invoice_type is InvoiceType.PER_PROJECT:
        if (rate := _positive(project_amount)) is not None:
            return _found(rate, RateSource.PROJECT_AMOUNT)
        return RateResolution(None, RateSource.MISSING, missing_project_rate(project_name))
    if (rate := _positive(activity_rate_setting)) is not None:
        return _found(rate, RateSource.ACTIVITY_SETTING)
    if (rate := _positive(activity_rate)) is not None:
        return _found(rate, RateSource.ACTIVITY_DEFAULT)
    return RateResolution(None, RateSource.MISSING, missing_activity_rate(activity_name))


def missing_activity_rate(activity_name: str) -> str:
    command = _settings_command(f"activity_rate:{activity_name}")
    return _(
        "{activity} has no hourly rate — set one in bexio (Business activities) or with {command}",
        activity=activity_name,
        command=command,
    )


def missing_person_rate(person_email: str | None) -> str:
    if person_email is None:
        return _(
            "This person has no e-mail address in bexio, so no per-employee rate can be set — "
            "add it in bexio, import again, then set `person_rate:<e-mail>`"
        )
    command = _settings_command(f"person_rate:{person_email}")
    return _(
        "{email} has no hourly rate (bexio keeps no per-employee rates) — set one with {command}",
        email=person_email,
        command=command,
    )


def missing_project_rate(project_name: str | None) -> str:
    if project_name is None:
        return _("The project is billed per project but has no hourly rate — enter the project rate in bexio")
    return _(
        "{project} is billed per project but has no hourly rate — enter the project rate in bexio",
        project=project_name,
    )


def _settings_command(key: str) -> str:
    shown = f'"{key}"' if any(c.isspace() for c in key) else key
    return f"`bxhours settings set {shown} {EXAMPLE_RATE}`"


def _positive(rate: Decimal | None) -> Decimal | None:
    return rate if rate is not None and rate > 0 else None


def _found(rate: Decimal, source: RateSource) -> RateResolution:
    return RateResolution(quantize_money(rate), source, None)
