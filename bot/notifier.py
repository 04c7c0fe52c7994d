"""The Slack side of ``services.notifier.Notifier``: DMs, message updates and App Home refreshes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from services.notifier import MessageRef
from storage.tenant_context import working_for

if TYPE_CHECKING:
    from services.container import Services

log = logging.getLogger(__name__)


class SlackNotifier:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._services: Services | None = None

    def bind(self, services: Services) -> None:
        """The home view is built from services, which are built with this notifier: close the loop."""
        self._services = services

    async def direct_message(
        self, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> MessageRef:
        channel = (await self.client.conversations_open(users=user_id))["channel"]["id"]
        posted = await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return MessageRef(str(posted["channel"]), str(posted["ts"]))

    async def upload_file(
        self,
        user_id: str,
        filename: str,
        content: bytes,
        *,
        title: str,
        initial_comment: str | None = None,
    ) -> None:
        """Slack's three-step upload (``files_upload_v2``: an upload URL, the bytes, completing it
        into the DM), which needs the ``files:write`` scope."""
        channel = (await self.client.conversations_open(users=user_id))["channel"]["id"]
        await self.client.files_upload_v2(
            channel=channel,
            filename=filename,
            content=content,
            title=title,
            initial_comment=initial_comment,
        )

    async def update(self, ref: MessageRef, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await self.client.chat_update(channel=ref.channel, ts=ref.ts, text=text, blocks=blocks)

    async def refresh_home(self, tenant_id: int, user_id: str) -> None:
        from bot.views import home

        if self._services is None:
            return
        try:
            view = await home.build(self._services, tenant_id, user_id)
            with working_for(tenant_id):  # in multi-workspace mode: that workspace's bot token
                await self.client.views_publish(user_id=user_id, view=view)
        except Exception:  # what changed is stored; the App Home catches up the next time it is opened
            log.warning("could not refresh the App Home of %s", user_id, exc_info=True)
