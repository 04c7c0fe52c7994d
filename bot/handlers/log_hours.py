"""`/log-hours`: one line, the form, help, this week; and the buttons of its replies.

Only a syntax error or help is answered in the acknowledgement itself; anything that needs the
database is acknowledged empty first and answered through ``respond``, so Slack's 3-second
limit never depends on the database.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import hours_modal
from bot.views import choices, log_hours
from bot.views import help as help_texts
from bot.views import week as week_view
from core.quick_entry import ParseError
from services.entry_outcomes import Refusal
from services.time_entries import HoursRequest

WEEK_WORD = "week"


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services

    @app.command("/log-hours")
    async def handle(
        ack: AsyncAck,
        command: dict[str, str],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        text = command.get("text", "").strip()
        words = text.lower().split()
        if words == ["help"]:
            await ack(help_texts.LOG_HOURS)
            return
        user_id = command["user_id"]
        if not words:
            await ack()
            tenant_id = await deps.tenant_id(context.get("team_id"))
            await hours_modal.open_modal(client, services, tenant_id, user_id, command["trigger_id"])
            return
        if words == [WEEK_WORD]:
            await ack()
            tenant_id = await deps.tenant_id(context.get("team_id"))
            await respond(**week_view.message(await services.week.load(tenant_id, user_id)))
            return
        parsed = services.time_entries.parse_line(text)
        if isinstance(parsed, ParseError):
            await ack(parsed.message)
            return
        await ack()
        async with deps.ack_first.turn():
            tenant_id = await deps.tenant_id(context.get("team_id"))
            outcome = await services.time_entries.log(tenant_id, user_id, HoursRequest.from_input(parsed))
            await respond(**log_hours.reply(outcome))

    @app.action(log_hours.PICK_PROJECT_ACTION)
    @app.action(log_hours.PICK_ACTIVITY_ACTION)
    async def pick(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        await ack()
        action = body["actions"][0]
        what = "project" if action["action_id"] == log_hours.PICK_PROJECT_ACTION else "activity"
        tenant_id = await deps.tenant_id(context.get("team_id"))
        request = log_hours.picked(action["value"], what)
        async with deps.ack_first.turn():
            outcome = await services.time_entries.log(tenant_id, body["user"]["id"], request)
            await respond(**log_hours.reply(outcome, replace=True))

    @app.action(log_hours.OPEN_FORM_ACTION)
    async def open_form(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        carried = choices.decode(body["actions"][0].get("value") or "{}").get("request")
        request = log_hours.request_from_dict(carried) if carried else None
        await hours_modal.open_modal(
            client, services, tenant_id, body["user"]["id"], body["trigger_id"], request=request
        )

    @app.action(log_hours.UNDO_ACTION)
    async def undo(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        entry_id = int(body["actions"][0]["value"])
        removed = await services.time_entries.delete(tenant_id, body["user"]["id"], entry_id)
        if isinstance(removed, Refusal):
            await respond(**choices.refusal(removed, replace=True))
        else:
            await respond(**choices.undone(removed.summary))
