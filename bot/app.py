"""The Bolt app factory: one AsyncApp with every handler registered.

Requests reach it only through ``bot.front_door``, which verifies each signature over the raw bytes
(with the current and the previous signing secret) before anything is parsed. Bolt's own check is
therefore replaced by ``bot.requests.require_verified``, which runs before authorization and lets
through only requests the front door built: nothing unverified gets further, not even the error
handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import register_all
from bot.requests import require_verified

log = logging.getLogger(__name__)


def create_bolt_app(
    *,
    signing_secret: str,
    client: AsyncWebClient,
    deps: BotDeps,
    authorize: Callable[..., Awaitable[Any]] | None = None,
) -> AsyncApp:
    """``authorize`` (multi-workspace mode) finds the bot token of each request's installation."""
    app = AsyncApp(
        client=client,
        authorize=authorize,
        signing_secret=signing_secret,
        request_verification_enabled=False,  # verified over the raw bytes before: bot.front_door
        before_authorize=require_verified,
        process_before_response=False,
        logger=logging.getLogger("bxhours.bolt"),
    )
    deps.in_flight.install(app)
    register_all(app, deps)
    return app
