"""What ``bot.front_door`` puts in a Bolt request's context, and the ``respond`` every handler gets.

``respond`` posts to the request's ``response_url`` while Slack still takes it (30 minutes), and to
the person's DM when the URL has expired (a request finished after a restart), is missing (a modal, the
App Home) or does not answer 200 — so whoever ``respond``s reaches the person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.inbox import response_url_fresh
from services.notifier import Notifier
from storage.inbox import RequestRun

log = logging.getLogger(__name__)

REQUEST_ID = "bxhours_request_id"
"""The inbox row's id (absent for requests that have no row)."""
RUN = "bxhours_run"
"""The ``storage.inbox.RequestRun`` of the request: whether its write was committed."""
RECOVERY = "bxhours_recovery"
"""True when the request is finished after a restart (its acknowledgement was sent long ago)."""


def request_id(context: Mapping[str, Any] | None) -> str | None:
    value = (context or {}).get(REQUEST_ID)
    return value if isinstance(value, str) else None


def run_of(context: Mapping[str, Any] | None) -> RequestRun | None:
    value = (context or {}).get(RUN)
    return value if isinstance(value, RequestRun) else None


def in_recovery(context: Mapping[str, Any] | None) -> bool:
    return bool((context or {}).get(RECOVERY))


class PersonRespond(AsyncRespond):
    """``respond`` that reaches the person: response_url while it lives, else their DM."""

    def __init__(
        self,
        *,
        response_url: str | None,
        user_id: str | None,
        notifier: Notifier,
        received_at: datetime,
        now: Callable[[], datetime],
    ) -> None:
        super().__init__(response_url=response_url)
        self.user_id = user_id
        self.notifier = notifier
        self.received_at = received_at
        self.now = now

    async def __call__(  # type: ignore[override]
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        url = self.response_url
        if url and response_url_fresh(self.received_at, self.now()):
            try:
                answer = await AsyncWebhookClient(url).send_dict(message)
            except Exception as exc:  # unreachable: the DM below still reaches the person
                log.info("response_url unreachable (%s); answering by DM", type(exc).__name__)
            else:
                if answer.status_code == 200:
                    return answer
                log.info("response_url answered HTTP %s; answering by DM", answer.status_code)
        if message.get("delete_original"):
            return WebhookResponse(
                url=url or "", status_code=200, body="nothing to delete in a DM", headers={}
            )
        return await self.direct_message(message)

    async def direct_message(self, message: dict[str, Any]) -> WebhookResponse:
        if not self.user_id:
            raise ValueError("respond: no response_url and no user to message")
        await self.notifier.direct_message(self.user_id, message.get("text", ""), message.get("blocks"))
        return WebhookResponse(
            url=self.response_url or "", status_code=200, body="ok (sent by DM)", headers={}
        )
