"""Who someone is in bxhours: their bexio user, and whether they are an admin."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import User


class PeopleService:
    def __init__(self, db: Database, admin_ids: frozenset[str]) -> None:
        self.db = db
        self.admin_ids = admin_ids

    async def by_slack_id(self, tenant_id: int, slack_user_id: str) -> User | None:
        async with self.db.session(tenant_id) as session:
            return await session.scalar(select(User).where(User.slack_user_id == slack_user_id))

    async def is_admin(self, tenant_id: int, slack_user_id: str) -> bool:
        """BXHOURS_ADMINS, or a bexio superadmin linked to this Slack user."""
        if slack_user_id in self.admin_ids:
            return True
        user = await self.by_slack_id(tenant_id, slack_user_id)
        return user is not None and user.active and user.role == "admin"
