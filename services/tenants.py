"""Which tenant a Slack request belongs to."""

from __future__ import annotations

import time

from storage.tenants import TenantRepository


class UnknownWorkspace(Exception):
    """A request came from a Slack workspace this installation does not serve."""


class TenantService:
    def __init__(self, repo: TenantRepository) -> None:
        self.repo = repo
        self._by_team: dict[str, int] = {}
        self._installed: dict[int, tuple[bool, float]] = {}

    async def installed(self, tenant_id: int) -> bool:
        """Whether the tenant still has bxhours installed (cached a few seconds)."""
        now = time.monotonic()
        cached = self._installed.get(tenant_id)
        if cached is not None and now - cached[1] < 5.0:
            return cached[0]
        tenant = await self.repo.get(tenant_id)
        installed = tenant is not None and tenant.status != "uninstalled"
        self._installed[tenant_id] = (installed, now)
        return installed

    def forget(self, tenant_id: int) -> None:
        self._installed.pop(tenant_id, None)

    async def ensure(self, slack_team_id: str, slack_team_name: str | None = None) -> int:
        tenant = await self.repo.ensure(slack_team_id, slack_team_name)
        self._by_team[slack_team_id] = tenant.id
        return tenant.id

    async def resolve(self, slack_team_id: str | None) -> int:
        """The tenant of a workspace; tenants are created at start-up from ``auth.test``, not by requests."""
        if slack_team_id and slack_team_id in self._by_team:
            return self._by_team[slack_team_id]
        tenant = await self.repo.by_team(slack_team_id) if slack_team_id else None
        if tenant is None:
            raise UnknownWorkspace(f"workspace {slack_team_id} is not connected to bxhours")
        self._by_team[tenant.slack_team_id] = tenant.id
        return tenant.id
