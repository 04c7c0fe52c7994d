"""The day's norm (issue 16 §8): how many minutes a person is expected to work on a day.

Defined once here and used by the week view, the absence warning of `/log-hours`, and by
reminders and summaries:

* ``day_norm_minutes`` — the contractual norm of a working day: the bexio payroll employee's
  ``hours_per_week × employment_level / 100 / 5`` when bexio payroll knows the person (matched by
  e-mail, kept in ``payroll_employee_links`` whenever bxhours reads the employees list), else the
  workspace setting ``daily_norm_hours`` (default 8.4).
* ``expected_minutes`` — what that means on one calendar day: 0 on Saturday and Sunday and on a
  full-day absence, half the norm on a half-day absence, the norm otherwise (public holidays are
  the caller's: pass ``holiday=True``).

Both read the database only (no bexio call), inside the caller's tenant-scoped session
(``Database.session(tenant_id)``), so a reminder run over a whole team costs no HTTP request.
``user_id`` is the bxhours person (``users.id``), not the Slack id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.absences import DEFAULT_DAILY_NORM_HOURS, daily_norm_minutes, kind_label
from core.absences import expected_minutes as _expected
from core.dates import format_day
from core.durations import format_duration
from core.i18n import N_, _
from core.settings_schema import spec_for
from services.absences import absence_days
from storage.models import PayrollEmployeeLink, TenantSetting, TimeEntry

NORM_SETTING = "daily_norm_hours"
BEYOND_NORM = N_(
    "You are marked absent on {day} ({kind}): {logged} h logged that day is more than the {expected} h "
    "left of your working day."
)


async def workspace_norm_hours(session: AsyncSession) -> Decimal:
    """The workspace's ``daily_norm_hours`` (8.4 when unset or unreadable)."""
    raw = await session.scalar(select(TenantSetting.value).where(TenantSetting.key == NORM_SETTING))
    if raw is None:
        return DEFAULT_DAILY_NORM_HOURS
    try:
        parsed = spec_for(NORM_SETTING).parse(raw)
    except ValueError:
        return DEFAULT_DAILY_NORM_HOURS
    return parsed if isinstance(parsed, Decimal) else DEFAULT_DAILY_NORM_HOURS


async def day_norm_minutes(session: AsyncSession, user_id: int) -> int:
    """A full working day of this person, in minutes (see the module docstring)."""
    link = await session.scalar(select(PayrollEmployeeLink).where(PayrollEmployeeLink.user_id == user_id))
    fallback = await workspace_norm_hours(session)
    if link is None:
        return daily_norm_minutes(None, None, fallback)
    return daily_norm_minutes(link.hours_per_week, link.employment_level, fallback)


async def expected_minutes(session: AsyncSession, user_id: int, day: date, *, holiday: bool = False) -> int:
    """Minutes this person is expected to work on ``day``: weekends, full-day absences and
    ``holiday`` give 0, a half-day absence half the norm."""
    if holiday:
        return 0
    norm = await day_norm_minutes(session, user_id)
    absences = (await absence_days(session, user_id, day, day)).get(day, [])
    return _expected(day, norm, absences)


async def absence_warning(session: AsyncSession, user_id: int, day: date) -> str | None:
    """For the `/log-hours` reply: the person is absent on ``day`` and has logged more than the day's
    norm leaves them (nothing on a full-day absence, half on a half day); None otherwise."""
    absences = (await absence_days(session, user_id, day, day)).get(day, [])
    if not absences:
        return None
    logged = int(
        await session.scalar(
            select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
                TimeEntry.user_id == user_id, TimeEntry.day == day
            )
        )
        or 0
    )
    expected = _expected(day, await day_norm_minutes(session, user_id), absences)
    if logged <= expected:
        return None
    kinds = ", ".join(dict.fromkeys(kind_label(a.kind) for a in absences))
    return _(
        BEYOND_NORM,
        day=format_day(day),
        kind=kinds,
        logged=format_duration(logged),
        expected=format_duration(expected),
    )
