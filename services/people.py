"""Who someone is in bxhours: their bexio user, and whether they are an admin."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import TenantAdmin, User


class PeopleService:
    def __init__(self, db: Database, admin_ids: frozenset[str]) -> None:
        self.db = db
        self.admin_ids = admin_ids

    async def by_slack_id(self, tenant_id: int, slack_user_id: str) -> User | None:
        async with self.db.session(tenant_id) as session:
            return await session.scalar(select(User).where(User.slack_user_id == slack_user_id))

    async def is_admin(self, tenant_id: int, slack_user_id: str) -> bool:
        """BXHOURS_ADMINS (single-workspace mode), the tenant's stored admins (its installer, the
        workspace's Slack admins and owners), or a bexio superadmin linked to this Slack user."""
        if slack_user_id in self.admin_ids:
            return True
        async with self.db.session(tenant_id) as session:
            stored = await session.scalar(
                select(TenantAdmin.id).where(TenantAdmin.slack_user_id == slack_user_id)
            )
            if stored is not None:
                return True
            user = await session.scalar(select(User).where(User.slack_user_id == slack_user_id))
        return user is not None and user.active and user.role == "admin"

    async def admins(self, tenant_id: int) -> list[str]:
        """Every admin's Slack user id (for DMs to admins)."""
        async with self.db.session(tenant_id) as session:
            stored = set(await session.scalars(select(TenantAdmin.slack_user_id)))
            linked = set(
                await session.scalars(
                    select(User.slack_user_id).where(
                        User.role == "admin", User.active.is_(True), User.slack_user_id.is_not(None)
                    )
                )
            )
        return sorted({*self.admin_ids, *stored, *(uid for uid in linked if uid)})
