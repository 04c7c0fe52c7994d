"""The Bolt app factory: one AsyncApp with every handler registered.

Signature verification stays on (Bolt's default); the aiohttp server in ``bxhours.server`` feeds it
requests through ``bot.requests`` so that the "payload" parsing bug is handled in one place.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import register_all

log = logging.getLogger(__name__)


def create_bolt_app(*, signing_secret: str, client: AsyncWebClient, deps: BotDeps) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=True,
        process_before_response=False,
        logger=logging.getLogger("bxhours.bolt"),
    )
    app.middleware(deps.ack_first.middleware)
    deps.in_flight.install(app)
    register_all(app, deps)
    return app
