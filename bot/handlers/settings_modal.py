"""Settings modal opened from the App Home (admins only)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import BotDeps


def register(app: AsyncApp, deps: BotDeps) -> None:
    return None
