"""What happens in a workspace right after bxhours was installed there (a job, so it survives restarts).

The workspace's Slack admins and owners become bxhours admins of the tenant, beside the installer;
the installer gets a DM that says what to do next (connect bexio from the App Home).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack_directory import SlackDirectory
from bot.slack_oauth import SlackClients
from services.container import Services
from storage.jobs import ClaimedJob

log = logging.getLogger(__name__)

WELCOME = (
    "👋 bxhours is installed in this workspace. Next: open *bxhours* (its *Home* tab) and click "
    "*Connect bexio* — sign in with your bexio superadmin user; the first import then starts by itself."
)


class WorkspaceSetup:
    def __init__(self, services: Services, clients: SlackClients) -> None:
        self.services = services
        self.clients = clients

    async def run_job(self, job: ClaimedJob) -> dict[str, Any] | None:
        client = await self.clients.for_tenant(job.tenant_id)
        directory = SlackDirectory(client)
        try:
            admins = await directory.admins_and_owners()
        except SlackApiError as exc:
            log.warning("tenant %s: Slack admins not listed (%s)", job.tenant_id, exc.response.get("error"))
            admins = {}
        workspaces = self.services.workspaces
        assert workspaces is not None
        await workspaces.installations.add_admins(job.tenant_id, admins)
        installer = job.payload.get("installer")
        if isinstance(installer, str) and installer and not job.payload.get("connected"):
            try:
                await self.services.notifier.direct_message(installer, WELCOME)
            except SlackApiError as exc:
                log.info("tenant %s: welcome DM not sent (%s)", job.tenant_id, exc.response.get("error"))
        return {"admins": len(admins)}
