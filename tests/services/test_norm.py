"""The day's norm (issue 16 §8) as reminders and summaries read it: payroll's figures when bexio
payroll knows the person, else the workspace's ``daily_norm_hours``; absences make days lighter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bxhours.fakes.master_data import seed_master_data
from services.absences import absence_days, is_full_day_absent
from services.norm import day_norm_minutes, expected_minutes
from services.settings import SettingsService
from storage.db import Database
from storage.models import Absence, PayrollEmployeeLink
from storage.tenants import TenantRepository

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MONDAY, TUESDAY, SATURDAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 28)


def _now() -> datetime:
    return NOW


async def _tenant(db: Database) -> tuple[int, dict[str, int]]:
    tenant = await TenantRepository(db, _now).ensure("T0001BX", "Alpenblick")
    company = await seed_master_data(db, tenant.id, _now)
    return tenant.id, company.users


async def test_payroll_figures_win_over_the_workspace_setting(db: Database) -> None:
    tenant_id, users = await _tenant(db)
    mia, noah = users["mia.schmid@alpenblick.example"], users["noah.keller@alpenblick.example"]
    async with db.session(tenant_id) as session:
        session.add(
            PayrollEmployeeLink(
                user_id=noah,
                employee_id="0b4c7a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                hours_per_week=Decimal(42),
                employment_level=Decimal(60),
                fetched_at=NOW,
            )
        )
    async with db.session(tenant_id) as session:
        assert await day_norm_minutes(session, noah) == 302  # 42 h × 60 % / 5 = 5.04 h
        assert await day_norm_minutes(session, mia) == 504  # default 8.4 h
    await SettingsService(db, _now).set(tenant_id, "daily_norm_hours", "8", actor="test")
    async with db.session(tenant_id) as session:
        assert await day_norm_minutes(session, mia) == 480
        assert await day_norm_minutes(session, noah) == 302


async def test_absences_make_days_lighter_or_no_working_days(db: Database) -> None:
    tenant_id, users = await _tenant(db)
    mia = users["mia.schmid@alpenblick.example"]
    async with db.session(tenant_id) as session:
        for kind, first, last, half in (
            ("vacation", MONDAY, MONDAY, None),
            ("sick", TUESDAY, TUESDAY, "morning"),
        ):
            session.add(
                Absence(
                    user_id=mia,
                    kind=kind,
                    first_day=first,
                    last_day=last,
                    half=half,
                    sync_state="pending",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    async with db.session(tenant_id) as session:
        assert await is_full_day_absent(session, mia, MONDAY)
        assert not await is_full_day_absent(session, mia, TUESDAY)
        assert await expected_minutes(session, mia, MONDAY) == 0
        assert await expected_minutes(session, mia, TUESDAY) == 252
        assert await expected_minutes(session, mia, date(2026, 11, 25)) == 504
        assert await expected_minutes(session, mia, date(2026, 11, 25), holiday=True) == 0
        assert await expected_minutes(session, mia, SATURDAY) == 0
        assert set(await absence_days(session, mia, MONDAY, SATURDAY)) == {MONDAY, TUESDAY}
