"""Which language a person reads bxhours in (issue 14 §2).

Their own choice (``/log-hours language fr``, the App Home) first; else the language of their Slack
account (Slack reports ``de-DE``, ``fr-FR`` … — the language part decides, when bxhours speaks it);
else the workspace's ``language`` setting; else the deployment's default (``BXHOURS_LANGUAGE``).
A person's preferences live in one store (``person_preferences``) that later preferences share.
"""

from __future__ import annotations

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

    async def for_person(self, tenant_id: int, slack_user_id: str | None) -> str:
        if slack_user_id:
            chosen = await self.chosen(tenant_id, slack_user_id)
            if chosen:
                return chosen
            from_slack = await self._slack_language(tenant_id, slack_user_id)
            if from_slack:
                return from_slack
        return await self.for_workspace(tenant_id)

    async def for_workspace(self, tenant_id: int) -> str:
        configured = (await self.settings.load(tenant_id)).get("language")
        return normalise_language(configured) or self.default

    async def chosen(self, tenant_id: int, slack_user_id: str) -> str | None:
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(
                select(PersonPreference).where(PersonPreference.slack_user_id == slack_user_id)
            )
        return normalise_language(row.language) if row is not None else None

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
        return value

    async def _slack_language(self, tenant_id: int, slack_user_id: str) -> str | None:
        if self.locales is None:
            return None
        key = (tenant_id, slack_user_id)
        cached = self._slack.get(key)
        if cached is not None and time.monotonic() - cached[1] < LOCALE_TTL:
            return cached[0]
        try:
            language = normalise_language(await self.locales.locale_of(slack_user_id))
        except Exception:  # Slack unreachable: the workspace's language, and ask again later
            log.info("the Slack language of %s could not be read", slack_user_id, exc_info=True)
            return None
        if len(self._slack) > 50_000:
            self._slack.clear()
        self._slack[key] = (language, time.monotonic())
        return language
