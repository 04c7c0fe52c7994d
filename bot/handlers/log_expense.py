"""`/log-expense`: one line or the form, and the buttons of its replies (as `/log-hours`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import expense_modal
from bot.views import choices, log_expense
from bot.views import help as help_texts
from core.quick_entry import ParseError
from services.entry_outcomes import Refusal
from services.expenses import ExpenseRequest


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services

    @app.command("/log-expense")
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
            await ack(help_texts.LOG_EXPENSE)
            return
        user_id = command["user_id"]
        if not words:
            await ack()
            tenant_id = await deps.tenant_id(context.get("team_id"))
            await expense_modal.open_modal(client, services, tenant_id, user_id, command["trigger_id"])
            return
        parsed = services.expenses.parse_line(text)
        if isinstance(parsed, ParseError):
            await ack(parsed.message)
            return
        await ack()
        async with deps.ack_first.turn():
            tenant_id = await deps.tenant_id(context.get("team_id"))
            outcome = await services.expenses.log(tenant_id, user_id, ExpenseRequest.from_input(parsed))
            await respond(**log_expense.reply(outcome))

    @app.action(log_expense.PICK_PROJECT_ACTION)
    @app.action(log_expense.PICK_CATEGORY_ACTION)
    async def pick(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        await ack()
        action = body["actions"][0]
        what = "project" if action["action_id"] == log_expense.PICK_PROJECT_ACTION else "category"
        tenant_id = await deps.tenant_id(context.get("team_id"))
        request = log_expense.picked(action["value"], what)
        async with deps.ack_first.turn():
            outcome = await services.expenses.log(tenant_id, body["user"]["id"], request)
            await respond(**log_expense.reply(outcome, replace=True))

    @app.action(log_expense.OPEN_FORM_ACTION)
    async def open_form(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        carried = choices.decode(body["actions"][0].get("value") or "{}").get("request")
        request = log_expense.request_from_dict(carried) if carried else None
        await expense_modal.open_modal(
            client, services, tenant_id, body["user"]["id"], body["trigger_id"], request=request
        )

    @app.action(log_expense.UNDO_ACTION)
    async def undo(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        removed = await services.expenses.delete(
            tenant_id, body["user"]["id"], int(body["actions"][0]["value"])
        )
        if isinstance(removed, Refusal):
            await respond(**choices.refusal(removed, replace=True))
        else:
            await respond(**choices.undone(removed.summary))
