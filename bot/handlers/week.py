"""The week view's controls, in the App Home and in `/log-hours week` messages: back/forward,
log, and each entry's Edit/Delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import expense_modal, hours_modal, modal_flow, refresh
from bot.views import week as week_view
from bot.views.blocks import notice_modal
from bot.views.form_state import ModalContext
from services.entry_outcomes import Refusal


def _origin(body: dict[str, Any], today: date) -> ModalContext:
    """Where the click came from: the App Home (its view names the week) or a week message."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        return ModalContext(
            week=week_view.week_of(body.get("view", {}).get("private_metadata"), today).isoformat()
        )
    shown = week_view.week_in_block_id(str(body["actions"][0].get("block_id", "")))
    return ModalContext(week=shown, response_url=body.get("response_url"))


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services

    async def navigate(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
        respond: AsyncRespond | None = None,
    ) -> None:
        """◀ / This week / ▶: the week the button's value names, where the button was."""
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        target = week_view.week_of(body["actions"][0].get("value"), services.week.today())
        if (body.get("container") or {}).get("type") == "view" or respond is None:
            await refresh.publish_home(client, services, tenant_id, user_id, target)
        else:
            week = await services.week.load(tenant_id, user_id, target)
            await respond(**week_view.message(week, replace=True))

    for action_id in week_view.NAV_ACTIONS:  # one per button: Slack wants them distinct in a block
        app.action(action_id)(navigate)

    @app.action(week_view.LOG_HOURS_ACTION)
    @app.action(week_view.LOG_EXPENSE_ACTION)
    async def log_from_week(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        ctx = _origin(body, services.week.today())
        opener = (
            hours_modal.open_modal
            if body["actions"][0]["action_id"] == week_view.LOG_HOURS_ACTION
            else expense_modal.open_modal
        )
        await opener(client, services, tenant_id, body["user"]["id"], body["trigger_id"], ctx=ctx)

    @app.action(week_view.MENU_ACTION)
    async def entry_menu(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        action = body["actions"][0]
        chosen = week_view.parse_menu_value(str((action.get("selected_option") or {}).get("value", "")))
        if chosen is None:
            return
        verb, kind, item_id = chosen
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        ctx = _origin(body, services.week.today())
        if verb == "edit":
            opener = hours_modal.open_modal if kind == "time" else expense_modal.open_modal
            await opener(
                client, services, tenant_id, user_id, body["trigger_id"], ctx=ctx.with_entry(item_id)
            )
            return
        service = services.time_entries if kind == "time" else services.expenses
        draft = await service.draft(tenant_id, user_id, item_id)
        if isinstance(draft, Refusal):
            view = notice_modal("Delete entry", draft.message)
        else:
            view = week_view.delete_confirm(kind, item_id, draft.summary, ctx)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @modal_flow.on_submission(app, deps, week_view.DELETE_CALLBACK_ID)
    async def confirm_delete(submission: modal_flow.Submission) -> None:
        ack, tenant_id, user_id = submission.ack, submission.tenant_id, submission.user_id
        ctx = ModalContext.load(submission.view.get("private_metadata"))
        if ctx.entry_id is None:
            await ack()
            return
        service = services.time_entries if ctx.kind == "time" else services.expenses
        removed = await service.delete(tenant_id, user_id, ctx.entry_id)
        if isinstance(removed, Refusal):
            await ack(response_action="update", view=notice_modal("Delete entry", removed.message))
            return
        await ack()
        await refresh.after_change(submission.client, services, tenant_id, user_id, ctx)
