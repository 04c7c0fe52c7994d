"""The App Home tab: connection state, and (for admins) settings."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import home

log = logging.getLogger(__name__)

HOME = Surface("the App Home", Permission.ANYONE, home=True)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    @surfaces.event("app_home_opened", HOME)
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient, tenant_id: int) -> None:
        user_id = event.get("user")
        if event.get("tab") not in (None, "home") or not isinstance(user_id, str):
            return
        view = await home.build(deps.services, tenant_id, user_id)
        try:
            await client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:  # not (or no longer) a member Slack can show a Home to
            log.info("could not publish the App Home of %s: %s", user_id, exc.response.get("error"))
