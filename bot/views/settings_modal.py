"""The Settings modal (App Home → Settings, admins only)."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import Block, context, header, modal, section, text_input
from core.i18n import _
from services.settings import SettingRow

CALLBACK_ID = "settings_modal"
OPEN_ACTION = "home_open_settings"
VALUE_ACTION = "value"
NEW_KEY_BLOCK = "new_setting_key"
NEW_VALUE_BLOCK = "new_setting_value"
SETTING_BLOCK_PREFIX = "setting:"


def block_id_for(key: str) -> str:
    return SETTING_BLOCK_PREFIX + key


def build(rows: list[SettingRow]) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            _("Changes apply at once to everyone in this workspace. Leave a field empty to use the default.")
        ),
    ]
    for row in rows:
        if ":" in row.key:
            continue
        blocks.append(
            text_input(
                block_id_for(row.key),
                row.key,
                initial=row.value if row.is_set else None,
                placeholder=_("default: {value}", value=row.value) if row.value else _("not set"),
                optional=True,
                hint=_(row.description),
            )
        )
    per_name = [row for row in rows if ":" in row.key]
    blocks.append(header(_("Rates and taxes per activity or person")))
    if per_name:
        for row in per_name:
            blocks.append(
                text_input(
                    block_id_for(row.key), row.key, initial=row.value, optional=True, hint=_(row.description)
                )
            )
    blocks.append(
        context(
            _("Add one: key `activity_rate:<activity>`, `person_rate:<e-mail>` or `activity_tax:<activity>`.")
        )
    )
    blocks.append(
        text_input(NEW_KEY_BLOCK, _("New key"), optional=True, placeholder="activity_rate:Umsetzung")
    )
    blocks.append(text_input(NEW_VALUE_BLOCK, _("New value"), optional=True, placeholder="150"))
    return modal(_("Settings"), blocks, callback_id=CALLBACK_ID, submit=_("Save"))


def submitted_values(state: dict[str, Any]) -> dict[str, str | None]:
    """Block id → typed text (None when emptied), for the setting blocks only."""
    values: dict[str, str | None] = {}
    for block_id, actions in state.items():
        raw = (actions.get(VALUE_ACTION) or {}).get("value")
        values[block_id] = raw.strip() if isinstance(raw, str) and raw.strip() else None
    return values
