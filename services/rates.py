"""The hourly rate of an entry, loaded from storage and settings and decided by ``core.rates``.

One function for new entries (``/log-hours``) and imported bexio timesheets alike, so both carry
the same rate snapshot for the same work.
"""

from __future__ import annotations

from core.rates import InvoiceType, RateResolution, resolve_rate
from core.settings_schema import activity_rate_key, person_rate_key
from services.settings import TenantSettings
from storage.models import Activity, Project, User


def rate_for(
    settings: TenantSettings, *, project: Project, activity: Activity, user: User | None
) -> RateResolution:
    invoice_type = InvoiceType(project.invoice_type) if project.invoice_type in (1, 2, 3, 4) else None
    email = user.email if user is not None else None
    return resolve_rate(
        invoice_type,
        activity_name=activity.name,
        activity_rate=activity.default_rate,
        activity_rate_setting=settings.get(activity_rate_key(activity.name)),
        person_email=email,
        person_rate=settings.get(person_rate_key(email)) if email else None,
        project_amount=project.invoice_amount,
        project_name=project.name,
    )


def rate_key(*, project: Project, activity: Activity, user: User | None) -> tuple[object, ...]:
    """What ``rate_for`` depends on besides the settings: equal keys get equal rates and sources.

    The project's invoice type decides which one thing the rate comes from — the activity (per
    activity, and when the type is unknown), the person (per employee), the project (per project)
    or nothing (fixed price) — so an import of 100 000 timesheets asks ``rate_for`` a few hundred
    times instead of once per entry. Kept beside ``rate_for`` so the two change together.
    """
    invoice_type = project.invoice_type if project.invoice_type in (1, 2, 3, 4) else None
    if invoice_type == InvoiceType.FIXED_PRICE:
        return (invoice_type,)
    if invoice_type == InvoiceType.PER_EMPLOYEE:
        return (invoice_type, user.email if user is not None else None)
    if invoice_type == InvoiceType.PER_PROJECT:
        return (invoice_type, project.invoice_amount, project.name)
    return (invoice_type, activity.name, activity.default_rate)


def rate_depends_on(project: Project) -> tuple[bool, bool]:
    """Whether ``rate_key`` reads an entry's (activity, person) on this project — by its invoice
    type, as ``rate_key`` decides. An import of 100 000 timesheets then remembers rates per project
    and only what matters: a few thousand combinations instead of ~35 000 (project × activity ×
    person), each costing a ``rate_key`` over ORM attributes. Kept beside ``rate_key``: the two
    change together."""
    invoice_type = project.invoice_type if project.invoice_type in (1, 2, 3, 4) else None
    if invoice_type in (InvoiceType.FIXED_PRICE, InvoiceType.PER_PROJECT):
        return False, False
    if invoice_type == InvoiceType.PER_EMPLOYEE:
        return False, True
    return True, False
