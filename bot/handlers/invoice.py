"""`/invoice`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import BotDeps
from bot.views import help as help_texts


def register(app: AsyncApp, deps: BotDeps) -> None:
    @app.command("/invoice")
    async def handle(ack: AsyncAck, command: dict[str, str]) -> None:
        words = command.get("text", "").split()
        if not words or words[0].lower() == "help":
            await ack(help_texts.INVOICE)
            return
        await ack(help_texts.unknown_subcommand("/invoice", words[0]))
