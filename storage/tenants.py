"""Tenants: one Slack workspace connected to one bexio company."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.jobs import utcnow
from storage.models import Tenant


class TenantRepository:
    """System-level access to the tenants table (it is the one table without a tenant column)."""

    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.now = now

    async def ensure(self, slack_team_id: str, slack_team_name: str | None = None) -> Tenant:
        """Create the tenant of a workspace on first use; safe when several processes start at once."""
        now = self.now()
        insert = postgresql.insert if self.db.is_postgres else sqlite.insert
        async with self.db.system_session() as session:
            await session.execute(
                insert(Tenant)
                .values(
                    slack_team_id=slack_team_id,
                    slack_team_name=slack_team_name,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["slack_team_id"])
            )
            tenant = await session.scalar(select(Tenant).where(Tenant.slack_team_id == slack_team_id))
            assert tenant is not None
            if slack_team_name and tenant.slack_team_name != slack_team_name:
                tenant.slack_team_name = slack_team_name
                tenant.updated_at = now
            return tenant

    async def by_team(self, slack_team_id: str) -> Tenant | None:
        async with self.db.system_session() as session:
            return await session.scalar(select(Tenant).where(Tenant.slack_team_id == slack_team_id))

    async def get(self, tenant_id: int) -> Tenant | None:
        async with self.db.system_session() as session:
            return await session.get(Tenant, tenant_id)

    async def count(self) -> int:
        async with self.db.system_session() as session:
            return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)

    async def only(self) -> Tenant | None:
        """The single tenant of this installation (one workspace per deployment for now)."""
        async with self.db.system_session() as session:
            return await session.scalar(select(Tenant).order_by(Tenant.id).limit(1))

    async def record_company(
        self,
        tenant_id: int,
        company_id: str | None,
        company_name: str | None,
        *,
        address: str | None = None,
        vat_number: str | None = None,
    ) -> None:
        async with self.db.system_session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                return
            if company_id:
                tenant.bexio_company_id = company_id
            if company_name:
                tenant.bexio_company_name = company_name
            if address:
                tenant.bexio_company_address = address
            if vat_number:
                tenant.bexio_vat_number = vat_number
            tenant.updated_at = self.now()
