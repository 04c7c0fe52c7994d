"""Which language a person reads bxhours in (issue 14 §2).

Their own choice (``/log-hours language fr``, the App Home) first; else the language of their Slack
account (Slack reports ``de-DE``, ``fr-FR`` … — the language part decides, when bxhours speaks it);
else the workspace's ``language`` setting; else the deployment's default (``BXHOURS_LANGUAGE``).
A person's preferences live in one store (``person_preferences``) that later preferences share.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from core.i18n import normalise_language
from services.settings import SettingsService
from storage.db import Database
from storage.models import PersonPreference

log = logging.getLogger(__name__)

LOCALE_TTL = 3600.0
"""How long a person's Slack language is remembered (they rarely change it)."""
LOCALE_WAIT = 0.3
"""How long a request waits for Slack to tell a person's language the first time; after that it
goes on in the workspace's language, and the answer, when it comes, is remembered for next time.
Slack gives a command three seconds: its answer must not wait for a second call to Slack."""
CHOICE_TTL = 30.0
"""How long this process remembers a person's own choice (another process's change shows after it)."""


class SlackLocales(Protocol):
    """The language of a Slack account (``users.info`` with ``include_locale``); implemented in ``bot``."""

    async def locale_of(self, user_id: str) -> str | None: ...


class LanguageService:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        now: Callable[[], datetime],
        *,
        default: str = "de",
        locales: SlackLocales | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.now = now
        self.default = normalise_language(default) or "de"
        self.locales = locales
        self._slack: dict[tuple[int, str], tuple[str | None, float]] = {}
        self._asking: dict[tuple[int, str], asyncio.Task[str | None]] = {}
        self._chosen: dict[tuple[int, str], tuple[str | None, float]] = {}

    async def for_person(self, tenant_id: int, slack_user_id: str | None) -> str:
        if slack_user_id:
            chosen = await self.chosen(tenant_id, slack_user_id)
            if chosen:
                return chosen
            from_slack = await self._slack_language(tenant_id, slack_user_id)
            if from_slack:
                return from_slack
        return await self.for_workspace(tenant_id)

    async def automatic(self, tenant_id: int, slack_user_id: str) -> tuple[str, bool]:
        """The language a person reads without a choice of their own, and whether it is their
        Slack account's (else the workspace's): what "Automatic" in the App Home means for them."""
        from_slack = await self._slack_language(tenant_id, slack_user_id)
        if from_slack:
            return from_slack, True
        return await self.for_workspace(tenant_id), False

    async def for_workspace(self, tenant_id: int) -> str:
        configured = (await self.settings.load(tenant_id)).get("language")
        return normalise_language(configured) or self.default

    async def chosen(self, tenant_id: int, slack_user_id: str) -> str | None:
        key = (tenant_id, slack_user_id)
        cached = self._chosen.get(key)
        if cached is not None and time.monotonic() - cached[1] < CHOICE_TTL:
            return cached[0]
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(
                select(PersonPreference.language).where(PersonPreference.slack_user_id == slack_user_id)
            )
        language = normalise_language(row) if row else None
        if len(self._chosen) > 50_000:
            self._chosen.clear()
        self._chosen[key] = (language, time.monotonic())
        return language

    async def choose(self, tenant_id: int, slack_user_id: str, language: str | None) -> str | None:
        """Set (or with None, forget) a person's own language; returns it, normalised."""
        value = normalise_language(language) if language else None
        if language and value is None:
            raise ValueError(language)
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(
                select(PersonPreference).where(PersonPreference.slack_user_id == slack_user_id)
            )
            if row is None:
                row = PersonPreference(slack_user_id=slack_user_id, updated_at=self.now())
                session.add(row)
            row.language = value
            row.updated_at = self.now()
        self._chosen[(tenant_id, slack_user_id)] = (value, time.monotonic())
        return value

    async def _slack_language(self, tenant_id: int, slack_user_id: str) -> str | None:
        if self.locales is None:
            return None
        key = (tenant_id, slack_user_id)
        cached = self._slack.get(key)
        if cached is not None and time.monotonic() - cached[1] < LOCALE_TTL:
            return cached[0]
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask_slack(key))
        done, _pending = await asyncio.wait({asking}, timeout=LOCALE_WAIT)
        return asking.result() if done else None

    async def _ask_slack(self, key: tuple[int, str]) -> str | None:
        assert self.locales is not None
        try:
            language = normalise_language(await self.locales.locale_of(key[1]))
        except Exception:  # Slack unreachable: the workspace's language, and ask again later
            log.info("the Slack language of %s could not be read", key[1], exc_info=True)
            return None
        finally:
            self._asking.pop(key, None)
        if len(self._slack) > 50_000:
            self._slack.clear()
        self._slack[key] = (language, time.monotonic())
        return language
