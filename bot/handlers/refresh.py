"""After an entry changed, show it where the person was looking: their App Home week, or the
`/log-hours week` message they acted from (through its ``response_url``)."""

from __future__ import annotations

import logging
from datetime import date

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


async def after_change(
    client: AsyncWebClient, services: Services, tenant_id: int, user_id: str, ctx: ModalContext
) -> None:
    """A modal's context says where it was opened: a week message (it has a response URL), the
    App Home (a week but no URL), or a slash command (neither: the modal itself confirms)."""
    shown = week_view.week_of(ctx.week, services.week.today())
    if ctx.response_url is not None:
        week = await services.week.load(tenant_id, user_id, shown)
        response = await AsyncWebhookClient(ctx.response_url).send_dict(week_view.message(week, replace=True))
        if response.status_code != 200:
            log.info("could not update the week message: HTTP %s", response.status_code)
    elif ctx.week is not None:
        await publish_home(client, services, tenant_id, user_id, shown)
