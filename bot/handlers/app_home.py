"""The App Home tab: connection state, and (for admins) settings."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.views import home


def register(app: AsyncApp, deps: BotDeps) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = event["user"]
        view = await home.build(deps.services, tenant_id, user_id)
        await client.views_publish(user_id=user_id, view=view)
