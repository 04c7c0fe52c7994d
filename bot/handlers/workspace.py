"""The workspace's installation and its bexio connection: Slack's uninstall events, and the App
Home's Connect and Disconnect buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import bexio_connection
from core.i18n import N_

INSTALLATION = Surface("the workspace's installation", Permission.ANYONE)
"""Slack's own events about the app (no person acts)."""
CONNECTION = Surface(
    "the bexio connection", Permission.ADMIN, N_("Only admins can connect or disconnect bexio."), home=True
)
CONNECT_LINK = Surface("the bexio connect link", Permission.ANYONE, home=True, messages=True)
"""A link button (App Home, or the DM asking admins to reconnect): the click itself does nothing."""


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.event("app_uninstalled", INSTALLATION)
    async def uninstalled(tenant_id: int) -> None:
        if services.workspaces is not None:
            await services.workspaces.removed(tenant_id, "app_uninstalled")
            services.tenants.forget(tenant_id)

    @surfaces.event("tokens_revoked", INSTALLATION)
    async def tokens_revoked(event: dict[str, Any], tenant_id: int) -> None:
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        bots = tokens.get("bot") if isinstance(tokens, dict) else None
        # Only the bot's token matters to bxhours; a person revoking their own grant changes nothing.
        if bots and services.workspaces is not None:
            await services.workspaces.removed(tenant_id, "tokens_revoked")
            services.tenants.forget(tenant_id)

    @surfaces.action(bexio_connection.CONNECT_ACTION, CONNECT_LINK)
    async def connect_clicked(ack: AsyncAck) -> None:
        await ack()  # a link button: the browser opens /bexio/connect, Slack only tells us it was clicked

    @surfaces.action(bexio_connection.DISCONNECT_ACTION, CONNECTION)
    async def disconnect(ack: AsyncAck, tenant_id: int, user_id: str) -> None:
        await ack()
        if services.connect is not None:
            await services.connect.disconnect(tenant_id)
        await services.notifier.refresh_home(tenant_id, user_id)
