"""Opening an admin's modal from the App Home (settings, account mapping), written once.

The buttons are only shown to admins, but a Home rendered before someone lost the role can still
show them; a click from someone who is not an admin (any more) opens nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from services.container import Services

ModalFor = Callable[[Services, int], Awaitable[dict[str, Any]]]
"""The modal for a workspace (``tenant_id``), read fresh at each click."""


def register_opener(app: AsyncApp, deps: BotDeps, action_id: str, modal_for: ModalFor) -> None:
    services = deps.services

    @app.action(action_id)
    async def open_for_admin(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        if not await services.people.is_admin(tenant_id, body["user"]["id"]):
            return
        await client.views_open(trigger_id=body["trigger_id"], view=await modal_for(services, tenant_id))
