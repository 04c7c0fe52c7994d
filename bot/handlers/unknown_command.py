"""Any slash command the app does not know gets a friendly answer instead of Slack's 'dispatch_failed'."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncAck

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import help as help_texts

ANY_COMMAND = Surface("an unknown command", Permission.ANYONE)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    @surfaces.command(re.compile(r".*"), ANY_COMMAND)
    async def unknown(ack: AsyncAck, command: dict[str, str]) -> None:
        await ack(help_texts.unknown_command(command.get("command", "?")))
