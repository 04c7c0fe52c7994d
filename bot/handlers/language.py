"""The App Home's language select: a person chooses the language bxhours speaks to them
(issue 14 §2), as `/log-hours language fr|auto` does, and the App Home is shown again in it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import home, payload
from bot.views.payload import PayloadError
from core.i18n import N_, _

YOUR_LANGUAGE = Surface("your language", Permission.ANYONE, home=True)
DAMAGED_CHOICE = N_("That language is not one bxhours speaks, so nothing was changed.")


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.action(home.LANGUAGE_ACTION, YOUR_LANGUAGE)
    async def choose_language(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        await ack()
        chosen = payload.selected_value(body)
        if chosen not in home.LANGUAGE_VALUES:  # the payload is the sender's: only the offered values
            raise PayloadError(_(DAMAGED_CHOICE), f"a language select value {str(chosen)[:40]!r}")
        languages = services.languages
        if languages is None:
            return
        await languages.choose(tenant_id, user_id, None if chosen == home.AUTOMATIC else chosen)
        await services.notifier.refresh_home(tenant_id, user_id)  # rendered in the new language
