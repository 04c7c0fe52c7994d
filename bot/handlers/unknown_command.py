"""Any slash command the app does not know gets a friendly answer instead of Slack's 'dispatch_failed'."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import BotDeps
from bot.views import help as help_texts


def register(app: AsyncApp, deps: BotDeps) -> None:
    @app.command(re.compile(r".*"))
    async def unknown(ack: AsyncAck, command: dict[str, str]) -> None:
        await ack(help_texts.unknown_command(command.get("command", "?")))
