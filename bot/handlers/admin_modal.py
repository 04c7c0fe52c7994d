"""Opening an admin's modal from the App Home (settings, account mapping), written once.

The buttons are only shown to admins, but a Home rendered before someone lost the role can still
show them; the surface (``HOME_ADMIN``) refuses a click from someone who is not an admin (any more).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import payload
from core.i18n import N_
from services.container import Services

ModalFor = Callable[[Services, int], Awaitable[dict[str, Any]]]
"""The modal for a workspace (``tenant_id``), read fresh at each click."""

ONLY_ADMINS = N_("Only admins can use the admin tools of the App Home.")
HOME_ADMIN = Surface("the App Home's admin tools", Permission.ADMIN, ONLY_ADMINS, home=True)


def register_opener(surfaces: Surfaces, deps: BotDeps, action_id: str, modal_for: ModalFor) -> None:
    services = deps.services

    @surfaces.action(action_id, HOME_ADMIN)
    async def open_for_admin(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int
    ) -> None:
        await ack()
        trigger = payload.trigger_id(body)
        await client.views_open(trigger_id=trigger, view=await modal_for(services, tenant_id))
