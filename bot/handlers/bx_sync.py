"""`/bx-sync` (import, status, link, help), the retry button of parked jobs, and "Sync now" in the App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.deps import BotDeps
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import bx_sync as views
from bot.views import help as help_texts
from bot.views import payload
from core.i18n import N_, _
from core.keywords import keyword
from services.importing.people import LinkError, parse_link_request
from services.importing.runs import AlreadyRunning

STATUS = Surface("/bx-sync status", Permission.ANYONE)
IMPORT = Surface("/bx-sync", Permission.ADMIN, views.ONLY_ADMINS_IMPORT)
LINK = Surface("/bx-sync link", Permission.ADMIN, views.ONLY_ADMINS_LINK)
RETRY = Surface("retrying a parked job", Permission.ADMIN, views.ONLY_ADMINS_RETRY, messages=True)
SYNC_NOW = Surface("Sync now", Permission.ADMIN, views.ONLY_ADMINS_IMPORT, home=True)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.command("/bx-sync", STATUS, words={"": IMPORT, "link": LINK})
    async def handle(ack: AsyncAck, command: dict[str, str], tenant_id: int, user_id: str) -> None:
        words = command.get("text", "").split()
        sub = keyword(words[0]) if words else ""
        if sub == "help":
            await ack(help_texts.text("/bx-sync"))
            return
        if sub not in ("", "status", "link"):
            await ack(help_texts.unknown_subcommand("/bx-sync", words[0]))
            return
        if sub == "status":
            is_admin = await services.people.is_admin(tenant_id, user_id)
            status = await services.sync_status.status(tenant_id)
            await ack(text=views.status_text(status), blocks=views.status_blocks(status, is_admin=is_admin))
        elif sub == "link":
            try:
                slack_user_id, email = parse_link_request(" ".join(words[1:]))
                result = await services.people_links.link(tenant_id, slack_user_id, email, actor=user_id)
            except LinkError as exc:
                await ack(exc.message)
                return
            await ack(views.linked(result))
        else:
            requested = await services.sync.request(tenant_id, user_id)
            await ack(views.requested(requested, services.timezone))

    @surfaces.action(views.RETRY_JOB_ACTION, RETRY)
    async def retry(ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int) -> None:
        await ack()
        job_id = payload.action_int(body, N_("the job"))
        if await services.queue.retry(tenant_id, job_id):
            await tell(text=_("Job #{id} is queued again.", id=job_id), replace_original=False)
        else:
            await tell(
                text=_("That job is no longer parked (someone retried it already)."),
                replace_original=False,
            )

    @surfaces.action(views.SYNC_NOW_ACTION, SYNC_NOW)
    async def sync_now(ack: AsyncAck, tell: Tell, tenant_id: int, user_id: str) -> None:
        await ack()
        result = await services.sync.request(tenant_id, user_id)
        if isinstance(result, AlreadyRunning):
            await tell.direct(text=views.requested(result, services.timezone))
        await services.notifier.refresh_home(tenant_id, user_id)
