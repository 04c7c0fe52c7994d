"""`/bx-sync` (import, status, link, help), the retry button of parked jobs, and "Sync now" in the App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import BotDeps
from bot.views import bx_sync as views
from bot.views import help as help_texts
from services.importing.people import LinkError, parse_link_request
from services.importing.runs import AlreadyRunning


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services

    @app.command("/bx-sync")
    async def handle(ack: AsyncAck, command: dict[str, str], context: dict[str, Any]) -> None:
        words = command.get("text", "").split()
        sub = words[0].lower() if words else ""
        if sub == "help":
            await ack(help_texts.BX_SYNC)
            return
        if sub not in ("", "status", "link"):
            await ack(help_texts.unknown_subcommand("/bx-sync", words[0]))
            return
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = command["user_id"]
        is_admin = await services.people.is_admin(tenant_id, user_id)
        if sub == "status":
            status = await services.sync_status.status(tenant_id)
            await ack(text=views.status_text(status), blocks=views.status_blocks(status, is_admin=is_admin))
        elif not is_admin:
            await ack(views.only_admins("link people" if sub == "link" else "import from bexio"))
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

    @app.action(views.RETRY_JOB_ACTION)
    async def retry(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        if not await services.people.is_admin(tenant_id, user_id):
            await respond(text=views.only_admins("retry jobs"), replace_original=False)
            return
        job_id = _job_id(body)
        if job_id is not None and await services.queue.retry(tenant_id, job_id):
            await respond(text=f"Job #{job_id} is queued again.", replace_original=False)
        else:
            await respond(
                text="That job is no longer parked (someone retried it already).", replace_original=False
            )

    @app.action(views.SYNC_NOW_ACTION)
    async def sync_now(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        if not await services.people.is_admin(tenant_id, user_id):
            await services.notifier.direct_message(user_id, views.only_admins("import from bexio"))
            return
        result = await services.sync.request(tenant_id, user_id)
        if isinstance(result, AlreadyRunning):
            await services.notifier.direct_message(user_id, views.requested(result, services.timezone))
        await services.notifier.refresh_home(tenant_id, user_id)


def _job_id(body: dict[str, Any]) -> int | None:
    value = (body.get("actions") or [{}])[0].get("value", "")
    return int(value) if str(value).isdigit() else None
