"""What the Slack handlers are given: the services, and who the admins are."""

from __future__ import annotations

from dataclasses import dataclass

from services.container import Services


@dataclass(frozen=True)
class BotDeps:
    services: Services

    async def tenant_id(self, team_id: str | None) -> int:
        return await self.services.tenants.resolve(team_id)
