"""Tenant settings: validated once (``core.settings_schema``), stored as strings, read as typed values.

Used by `bxhours settings`, the Settings modal of the App Home and every service that has a knob
(default activity, numbering, rounding, per-person rates, polling intervals, …).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from core.settings_schema import SETTINGS, SettingError, normalise_setting_key, spec_for, validate_setting
from storage.db import Database
from storage.models import Activity, AuditLog, TenantSetting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: str | None
    is_set: bool
    description: str


class TenantSettings:
    """A snapshot of one tenant's settings with typed access; defaults filled in from the schema."""

    def __init__(self, values: dict[str, str]) -> None:
        self.raw = values

    def get(self, key: str) -> Any:
        key = normalise_setting_key(key)
        spec = spec_for(key)
        value = self.raw.get(key, spec.default)
        return None if value is None else spec.parse(value)

    def text(self, key: str) -> str | None:
        key = normalise_setting_key(key)
        return self.raw.get(key, spec_for(key).default)

    def __getattr__(self, key: str) -> Any:
        if key in SETTINGS:
            return self.get(key)
        raise AttributeError(key)


SettingListener = Callable[[int, str, str | None, str | None, str], Awaitable[None]]
"""Told after a setting changed: (tenant_id, key, old value, new value — None when unset —, actor)."""


class SettingsService:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now
        self.listeners: list[SettingListener] = []
        """Who reacts to a change, whichever surface made it (the CLI, the Settings modal): the
        write-back offers its back-fill when ``write_back_hours`` is turned on (issue 16 §4)."""

    async def _changed(self, tenant_id: int, key: str, old: str | None, new: str | None, actor: str) -> None:
        if old == new:
            return
        for listener in self.listeners:
            try:
                await listener(tenant_id, key, old, new, actor)
            except Exception:  # the setting is stored; a listener's failure must not undo that
                log.warning("a listener of setting %s failed", key, exc_info=True)

    async def load(self, tenant_id: int, session: AsyncSession | None = None) -> TenantSettings:
        if session is not None:
            return TenantSettings(await _values(session))
        async with self.db.session(tenant_id) as own:
            return TenantSettings(await _values(own))

    async def activity_choices(self, tenant_id: int) -> list[str]:
        """What the Settings modal offers for ``default_activity``."""
        async with self.db.session(tenant_id) as session:
            return (await activity_names(session))[:ACTIVITY_CHOICES]

    async def list(self, tenant_id: int) -> list[SettingRow]:
        async with self.db.session(tenant_id) as session:
            stored = await _values(session)
        rows = [
            SettingRow(key, stored.get(key, spec.default), key in stored, spec.description)
            for key, spec in SETTINGS.items()
        ]
        rows += [
            SettingRow(key, value, True, spec_for(key).description)
            for key, value in sorted(stored.items())
            if key not in SETTINGS
        ]
        return rows

    async def set(self, tenant_id: int, key: str, value: str, *, actor: str) -> str:
        """Validate and store; raises ValueError (a SettingError) with a message naming the key."""
        normalised = validate_setting(key, value)
        key = normalise_setting_key(key)
        now = self.now()
        async with self.db.session(tenant_id) as session:
            if key == DEFAULT_ACTIVITY:
                normalised = await _existing_activity(session, normalised)
            row = await session.scalar(select(TenantSetting).where(TenantSetting.key == key))
            old = row.value if row is not None else _default(key)
            if row is None:
                session.add(TenantSetting(key=key, value=normalised, updated_by=actor, updated_at=now))
            else:
                row.value, row.updated_by, row.updated_at = normalised, actor, now
            session.add(
                AuditLog(
                    actor=actor,
                    action="setting.set",
                    subject_type="setting",
                    subject_id=key,
                    details={"value": normalised},
                    created_at=now,
                )
            )
        await self._changed(tenant_id, key, old, normalised, actor)
        return normalised

    async def unset(self, tenant_id: int, key: str, *, actor: str) -> None:
        key = normalise_setting_key(key)
        spec_for(key)  # unknown keys are an error, not a silent no-op
        now = self.now()
        async with self.db.session(tenant_id) as session:
            old = await session.scalar(select(TenantSetting.value).where(TenantSetting.key == key))
            await session.execute(delete(TenantSetting).where(TenantSetting.key == key))
            session.add(
                AuditLog(
                    actor=actor,
                    action="setting.unset",
                    subject_type="setting",
                    subject_id=key,
                    details={},
                    created_at=now,
                )
            )
        await self._changed(tenant_id, key, old if old is not None else _default(key), _default(key), actor)


DEFAULT_ACTIVITY = "default_activity"
ACTIVITY_CHOICES = 100
"""Activities a select offers (Slack's limit)."""


async def activity_names(session: AsyncSession) -> list[str]:
    """The active imported activities, by name: what ``default_activity`` can be."""
    rows = await session.scalars(
        select(Activity.name).where(Activity.active.is_(True)).order_by(Activity.name, Activity.id)
    )
    return list(dict.fromkeys(rows))


async def _existing_activity(session: AsyncSession, name: str) -> str:
    """``default_activity`` names an imported activity (spelt as bexio does), or is refused."""
    names = await activity_names(session)
    folded = name.casefold()
    found = next((known for known in names if known.casefold() == folded), None)
    if found is None:
        shown = ", ".join(names[:10]) or _("none yet — import from bexio first")
        raise SettingError(
            _(
                "default_activity: there is no active activity {name} (imported: {known}).",
                name=repr(name),
                known=shown,
            )
        )
    return found


def _default(key: str) -> str | None:
    """The schema's default of a known key (what an unset key reads as); None for per-name keys."""
    try:
        return spec_for(key).default
    except SettingError:
        return None


async def _values(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(select(TenantSetting.key, TenantSetting.value))
    return {key: value for key, value in rows}


__all__ = ["SettingError", "SettingRow", "SettingsService", "TenantSettings"]
