"""The back-fill of the write-back: the offer's button (a DM to admins) opens a modal with two
dates; its submission queues one job. Admins only — the button, the modal and the submission are
each checked, since a DM can be forwarded and a payload forged."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import form_state, payload
from bot.views import write_back as views
from bot.views.blocks import notice_modal
from core.i18n import N_, _

ONLY_ADMINS = N_("Only admins can write earlier hours to bexio.")
OFFER = Surface("the write-back offer", Permission.ADMIN, ONLY_ADMINS, messages=True)
MODAL = Surface("the back-fill modal", Permission.ADMIN, ONLY_ADMINS, views=frozenset({views.CALLBACK_ID}))


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.action(views.OFFER_ACTION, OFFER)
    async def open_backfill(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        today = services.time_entries.today()
        await client.views_open(trigger_id=payload.trigger_id(body), view=views.backfill_modal(today))

    @surfaces.view(views.CALLBACK_ID, MODAL)
    async def submit_backfill(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        state = body["view"].get("state", {}).get("values", {})
        start = form_state.selected_date(state, views.FROM_BLOCK, views.DATE_ACTION)
        end = form_state.selected_date(state, views.TO_BLOCK, views.DATE_ACTION)
        errors = views.period_errors(start, end, services.time_entries.today())
        writeback = services.writeback
        if not errors and (writeback is None or not await writeback.enabled(tenant_id)):
            errors[views.TO_BLOCK] = _("Write-back is off: turn on the setting write_back_hours first.")
        if errors:
            # Slack refuses errors under blocks the submitted view does not show (a forged or
            # stale view): then the first problem is said in place of the form.
            inputs = {b.get("block_id") for b in body["view"].get("blocks", []) if b.get("type") == "input"}
            placed = {block: message for block, message in errors.items() if block in inputs}
            if placed:
                await ack(response_action="errors", errors=placed)
            else:
                await ack(
                    response_action="update",
                    view=notice_modal(_("Write earlier hours"), next(iter(errors.values()))),
                )
            return
        assert start is not None and end is not None and writeback is not None
        await writeback.request_backfill(tenant_id, user_id, start, end)
        await ack(response_action="update", view=views.requested(start, end))
