"""Settings modal: opened from the App Home by admins, validated field by field on submit."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.deps import BotDeps
from bot.handlers import admin_modal
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import settings_modal
from core.errors import DomainError
from core.i18n import N_, _
from core.settings_schema import SettingError, validate_setting
from services.container import Services


async def _settings_modal(services: Services, tenant_id: int) -> dict[str, Any]:
    settings = services.settings
    return settings_modal.build(await settings.list(tenant_id), await settings.activity_choices(tenant_id))


ONLY_ADMINS = N_("Only admins can change settings.")
SETTINGS = Surface(
    "the settings", Permission.ADMIN, ONLY_ADMINS, views=frozenset({settings_modal.CALLBACK_ID})
)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    admin_modal.register_opener(surfaces, deps, settings_modal.OPEN_ACTION, _settings_modal)

    @surfaces.view(settings_modal.CALLBACK_ID, SETTINGS)
    async def save_settings(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        view = body["view"]
        values = settings_modal.submitted_values(view["state"]["values"])
        current = {row.key: row for row in await services.settings.list(tenant_id)}
        errors: dict[str, str] = {}
        changes: list[tuple[str, str | None]] = []
        for block_id, value in values.items():
            if not block_id.startswith(settings_modal.SETTING_BLOCK_PREFIX):
                continue
            key = block_id.removeprefix(settings_modal.SETTING_BLOCK_PREFIX)
            row = current.get(key)
            if row is None or (value is None and not row.is_set) or _unchanged(key, value, row.value):
                continue
            changes.append((key, value))
        new_key = values.get(settings_modal.NEW_KEY_BLOCK)
        new_value = values.get(settings_modal.NEW_VALUE_BLOCK)
        if new_key and new_value is None:
            errors[settings_modal.NEW_VALUE_BLOCK] = _("Give a value for the new key.")
        elif new_value and not new_key:
            errors[settings_modal.NEW_KEY_BLOCK] = _("Give the key this value belongs to.")
        elif new_key and new_value:
            changes.append((new_key, new_value))
        for key, value in changes:
            block_id = settings_modal.block_id_for(key) if key in current else settings_modal.NEW_KEY_BLOCK
            try:
                if value is None:
                    await services.settings.unset(tenant_id, key, actor=user_id)
                else:
                    await services.settings.set(tenant_id, key, value, actor=user_id)
            except DomainError as exc:
                errors[block_id] = exc.message[:2000]
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await services.notifier.refresh_home(tenant_id, user_id)


def _unchanged(key: str, value: str | None, current: str | None) -> bool:
    """Whether ``value`` is what applies now (stored or default): a checkbox or a select always
    sends a value, which must not turn a default into a stored setting."""
    if value is None:
        return False
    try:
        return validate_setting(key, value) == current
    except (SettingError, DomainError):
        return False  # saving it reports the error under its field
