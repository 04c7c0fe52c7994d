"""The week view's controls, in the App Home and in `/log-hours week` messages: back/forward,
log, and each entry's Edit/Delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import expense_modal, hours_modal, modal_flow, refresh
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import payload
from bot.views import week as week_view
from bot.views.blocks import notice_modal
from bot.views.form_state import ModalContext
from bot.views.payload import PayloadError
from core.i18n import N_, _
from services.entry_outcomes import Refusal

WEEK = Surface("the week", Permission.ANYONE, home=True, messages=True)
DELETE = Surface("deleting an entry", Permission.ANYONE, views=frozenset({week_view.DELETE_CALLBACK_ID}))
DAMAGED_MENU = N_("That menu is out of date or damaged, so nothing was opened. Open your week again.")


def _origin(body: dict[str, Any], today: date) -> ModalContext:
    """Where the click came from: the App Home (its view names the week) or a week message."""
    view = body.get("view") or {}
    if view.get("type") == "home":
        return ModalContext(week=week_view.week_of(view.get("private_metadata"), today).isoformat())
    shown = week_view.week_in_block_id(body["actions"][0]["block_id"])
    return ModalContext(week=shown, response_url=body.get("response_url"))


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    async def navigate(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        """◀ / This week / ▶: the week the button's value names, where the button was."""
        await ack()
        target = week_view.week_of(payload.action_value(body), services.week.today())
        if (body.get("view") or {}).get("type") == "home" or not body.get("response_url"):
            await refresh.publish_home(client, services, tenant_id, user_id, target)
        else:
            week = await services.week.load(tenant_id, user_id, target)
            await tell(**week_view.message(week, replace=True))

    for action_id in week_view.NAV_ACTIONS:  # one per button: Slack wants them distinct in a block
        surfaces.action(action_id, WEEK)(navigate)

    @surfaces.action(week_view.LOG_HOURS_ACTION, WEEK)
    @surfaces.action(week_view.LOG_EXPENSE_ACTION, WEEK)
    async def log_from_week(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        ctx = _origin(body, services.week.today())
        opener = (
            hours_modal.open_modal
            if body["actions"][0]["action_id"] == week_view.LOG_HOURS_ACTION
            else expense_modal.open_modal
        )
        await opener(client, services, tenant_id, user_id, payload.trigger_id(body), ctx=ctx)

    @surfaces.action(week_view.MENU_ACTION, WEEK)
    async def entry_menu(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        chosen = week_view.parse_menu_value(payload.selected_value(body))
        if chosen is None:
            raise PayloadError(_(DAMAGED_MENU), "a week menu value that names no entry")
        verb, kind, item_id = chosen
        ctx = _origin(body, services.week.today())
        trigger = payload.trigger_id(body)
        if verb == "edit":
            opener = hours_modal.open_modal if kind == "time" else expense_modal.open_modal
            await opener(client, services, tenant_id, user_id, trigger, ctx=ctx.with_entry(item_id))
            return
        service = services.time_entries if kind == "time" else services.expenses
        draft = await service.draft(tenant_id, user_id, item_id)
        if isinstance(draft, Refusal):
            view = notice_modal(_("Delete entry"), draft.message)
        else:
            view = week_view.delete_confirm(kind, item_id, draft.summary, ctx)
        await client.views_open(trigger_id=trigger, view=view)

    @modal_flow.on_submission(surfaces, deps, week_view.DELETE_CALLBACK_ID, DELETE)
    async def confirm_delete(submission: modal_flow.Submission) -> None:
        ack, tenant_id, user_id = submission.ack, submission.tenant_id, submission.user_id
        ctx = ModalContext.load(submission.view.get("private_metadata"))
        if ctx.entry_id is None:
            await ack()
            return
        service = services.time_entries if ctx.kind == "time" else services.expenses
        removed = await service.delete(tenant_id, user_id, ctx.entry_id)
        if isinstance(removed, Refusal):
            await ack(response_action="update", view=notice_modal(_("Delete entry"), removed.message))
            return
        await ack()
        await refresh.after_change(submission.client, services, tenant_id, user_id, ctx)
