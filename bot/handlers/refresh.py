"""After an entry changed, show it where the person was looking: their App Home week, or the
`/log-hours week` message they acted from (through its ``response_url``)."""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import urlsplit

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.views import home
from bot.views import week as week_view
from bot.views.form_state import ModalContext
from services.container import Services

log = logging.getLogger(__name__)


async def publish_home(
    client: AsyncWebClient, services: Services, tenant_id: int, user_id: str, week_of: date | None = None
) -> None:
    view = await home.build(services, tenant_id, user_id, week_of)
    await client.views_publish(user_id=user_id, view=view)


SLACK_HOOKS = "https://hooks.slack.com/"


def is_slack_hook(url: str, client: AsyncWebClient) -> bool:
    """A modal remembers the response URL of the week message it was opened from in its private
    metadata — which comes back in the request, and a request can be forged around it. Only Slack's
    own hooks (or, with a stand-in Slack, the host its Web API is on) are ever posted to."""
    own = _origin(client.base_url)
    return url.startswith(SLACK_HOOKS) or (own != "https://slack.com" and _origin(url) == own)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def after_change(
    client: AsyncWebClient, services: Services, tenant_id: int, user_id: str, ctx: ModalContext
) -> None:
    """A modal's context says where it was opened: a week message (it has a response URL), the
    App Home (a week but no URL), or a slash command (neither: the modal itself confirms).

    Best effort, never raises: the change is stored, and the week shows it the next time it is
    opened — a Slack failure here must not turn a saved change into an apology."""
    try:
        shown = week_view.week_of(ctx.week, services.week.today())
        if ctx.response_url is not None and not is_slack_hook(ctx.response_url, client):
            log.warning("not posting the week to %s: not a Slack response URL", _origin(ctx.response_url))
        elif ctx.response_url is not None:
            week = await services.week.load(tenant_id, user_id, shown)
            message = week_view.message(week, replace=True)
            response = await AsyncWebhookClient(ctx.response_url).send_dict(message)
            if response.status_code != 200:
                log.info("could not update the week message: HTTP %s", response.status_code)
        elif ctx.week is not None:
            await publish_home(client, services, tenant_id, user_id, shown)
    except Exception as exc:  # stored already; the person's next look shows it
        log.warning("could not show the change to %s where it was made: %s", user_id, exc)
