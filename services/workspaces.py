"""The workspaces one deployment serves: installed, removed, kept for a while, then deleted.

An uninstall (Slack's ``app_uninstalled`` or ``tokens_revoked``) forgets the bot token at once and
stops the tenant's queued jobs and polls; its data stays for ``DELETE_AFTER_UNINSTALL_DAYS`` so that
re-installing brings everything back, and is deleted after that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from storage.installations import InstallationRepository, TenantRow
from storage.jobs import JobQueue

log = logging.getLogger(__name__)

WORKSPACE_SETUP = "workspace.setup"
"""After an install: record the workspace's Slack admins and owners, welcome the installer."""


class WorkspaceService:
    def __init__(
        self,
        installations: InstallationRepository,
        queue: JobQueue,
        now: Callable[[], datetime],
        *,
        keep_days: int = 30,
    ) -> None:
        self.installations = installations
        self.queue = queue
        self.now = now
        self.keep_days = keep_days

    async def installed(self, tenant_id: int, installer: str | None, *, connected: bool = False) -> None:
        """Queue the new workspace's setup (its admins; a welcome DM unless bexio is connected already)."""
        await self.queue.enqueue(
            tenant_id, WORKSPACE_SETUP, {"installer": installer, "connected": connected}, max_attempts=5
        )

    async def removed(self, tenant_id: int, why: str) -> None:
        had = await self.installations.remove(tenant_id)
        cancelled = await self.queue.cancel_queued(tenant_id)
        log.info(
            "tenant %s: Slack %s; token forgotten=%s, %d queued job(s) dropped; data kept %d days",
            tenant_id,
            why,
            had,
            cancelled,
            self.keep_days,
        )

    async def purge_due(self) -> list[int]:
        """Delete the data of workspaces removed more than ``keep_days`` ago (not re-installed)."""
        deleted = []
        for tenant_id in await self.installations.due_for_deletion(self.keep_days):
            if await self.installations.delete_tenant(tenant_id):
                log.info("tenant %s deleted: uninstalled more than %d days ago", tenant_id, self.keep_days)
                deleted.append(tenant_id)
        return deleted

    async def list(self) -> list[TenantRow]:
        return await self.installations.tenants()

    async def delete(self, tenant_id: int) -> bool:
        return await self.installations.delete_tenant(tenant_id)
