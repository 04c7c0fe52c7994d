"""Tenant scoping is enforced once, in the session: no query can see or touch another tenant's rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, update

from storage.db import Database, TenantScopeError
from storage.models import Customer, TenantSetting
from storage.tenants import TenantRepository

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def _two_tenants(db: Database) -> tuple[int, int]:
    repo = TenantRepository(db, lambda: NOW)
    return (await repo.ensure("TAAA")).id, (await repo.ensure("TBBB")).id


async def test_rows_are_stamped_and_filtered(db: Database) -> None:
    a, b = await _two_tenants(db)
    async with db.session(a) as session:
        session.add(Customer(name="Alpha AG", updated_at=NOW))
    async with db.session(b) as session:
        session.add(Customer(name="Beta GmbH", updated_at=NOW))
    async with db.session(a) as session:
        names = (await session.scalars(select(Customer.name))).all()
        count = await session.scalar(select(func.count()).select_from(Customer))
    assert names == ["Alpha AG"]
    assert count == 1


async def test_bulk_update_and_delete_stay_inside_the_tenant(db: Database) -> None:
    a, b = await _two_tenants(db)
    for tenant in (a, b):
        async with db.session(tenant) as session:
            session.add(TenantSetting(key="default_activity", value=f"t{tenant}", updated_at=NOW))
    async with db.session(a) as session:
        await session.execute(update(TenantSetting).values(value="changed"))
        await session.execute(delete(TenantSetting).where(TenantSetting.key == "nothing"))
    async with db.session(b) as session:
        await session.execute(delete(TenantSetting))
    async with db.session(a) as session:
        values = (await session.scalars(select(TenantSetting.value))).all()
    assert values == ["changed"]


async def test_system_session_cannot_read_tenant_tables(db: Database) -> None:
    await _two_tenants(db)
    with pytest.raises(TenantScopeError):
        async with db.system_session() as session:
            await session.scalars(select(Customer))


async def test_row_of_another_tenant_cannot_be_added(db: Database) -> None:
    a, b = await _two_tenants(db)
    with pytest.raises(TenantScopeError):
        async with db.session(a) as session:
            session.add(Customer(tenant_id=b, name="Sneaky", updated_at=NOW))
