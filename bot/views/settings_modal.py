"""The Settings modal (App Home → Settings, admins only): settings for people, not for operators
(issue 15 §9).

Each setting gets the input that fits what it holds — yes/no a checkbox, people a user picker,
dates a date picker, the default activity a select of the imported activities, a choice of a few
values a select — and a label that is a sentence in the admin's language; the key stays in the
hint for those who also use `bxhours settings`. Polling intervals are under "Advanced". Every
value read back is validated by the settings service as if typed on the command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from bot.views.blocks import Block, context, header, modal, option, plain, section, text_input
from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _
from core.settings_schema import parse_bool, parse_date_setting, spec_for
from services.settings import SettingRow

CALLBACK_ID = "settings_modal"
OPEN_ACTION = "home_open_settings"
VALUE_ACTION = "value"
NEW_KEY_BLOCK = "new_setting_key"
NEW_VALUE_BLOCK = "new_setting_value"
SETTING_BLOCK_PREFIX = "setting:"
YES = "true"
NOT_SET = "-"
"""The value of a select's "not set" option (Slack's selects cannot be emptied again)."""

ADVANCED = frozenset({"poll_contacts_seconds", "poll_full_minutes", "poll_timesheets_full_hours"})
"""Operators' knobs: shown under "Advanced", after everything else."""
USER_PICKERS = frozenset({"billing_users"})
ACTIVITY_SELECTS = frozenset({"default_activity"})
OWN_DESCRIPTION = frozenset({"write_back_hours"})
"""Labelled with the setting's own description (its owner words what it does)."""
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "invoice_grouping": (
        ("activity", N_("One line per project and activity")),
        ("day", N_("One line per day")),
        ("entry", N_("One line per entry")),
    ),
}
LABELS: dict[str, str] = {
    "customer_category": N_("Which bexio contact groups mark customers (names, comma-separated)"),
    "default_activity": N_("The activity used when /log-hours names none and the person has no previous one"),
    "default_sales_tax": N_("The sales tax code for lines without their own, e.g. UN81"),
    "allow_future_dates": N_("Hours may be logged for days after today"),
    "invoice_imported_hours_since": N_(
        "Hours imported from bexio are offered for invoicing from this day on"
    ),
    "use_bexio_numbering": N_("New invoices use bexio's invoice number"),
    "invoice_number_format": N_("bxhours' own invoice numbers look like this"),
    "invoice_grouping": N_("How a new invoice groups its hours at first"),
    "time_rounding": N_("How each entry is rounded before invoicing, e.g. 15:up"),
    "billing_users": N_("Who may create invoices besides the admins"),
    "language": N_("The workspace's language for people who chose none"),
    "daily_norm_hours": N_("Hours of a full working day for people payroll does not know"),
    "reminders_enabled": N_("People get a reminder when they logged too few hours on a working day"),
    "reminder_min_hours": N_("Hours logged on a working day after which no reminder is sent"),
    "holidays_canton": N_("The canton whose public holidays are days off, e.g. ZH"),
    "poll_contacts_seconds": N_("Seconds between two looks at bexio's contacts"),
    "poll_full_minutes": N_("Minutes between two full reads of bexio's master data"),
    "poll_timesheets_full_hours": N_("Hours between two full reads of bexio's timesheets"),
}


def block_id_for(key: str) -> str:
    return SETTING_BLOCK_PREFIX + key


def label_for(row: SettingRow) -> str:
    """A sentence in the reader's language; the setting's description where no label was written."""
    if row.key in LABELS and row.key not in OWN_DESCRIPTION:
        return _(LABELS[row.key])
    return _(row.description).rstrip(".")


def per_name_label(key: str) -> str:
    """`person_rate:anna@example.ch` → "Hourly rate of anna@example.ch", as a sentence."""
    prefix, _colon, name = key.partition(":")
    if prefix == "activity_rate":
        return _("Hourly rate of the activity {name}", name=name)
    if prefix == "person_rate":
        return _("Hourly rate of {person}", person=name)
    if prefix == "activity_tax":
        return _("Sales tax code of the activity {name}", name=name)
    return key


def build(rows: list[SettingRow], activities: Sequence[str] = ()) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            _("Changes apply at once to everyone in this workspace. Leave a field empty to use the default.")
        ),
    ]
    plain_rows = [row for row in rows if ":" not in row.key]
    for row in plain_rows:
        if row.key not in ADVANCED:
            blocks.append(_setting_block(row, activities))
    per_name = [row for row in rows if ":" in row.key]
    blocks.append(header(_("Rates and taxes per activity or person")))
    for row in per_name:
        blocks.append(
            text_input(
                block_id_for(row.key),
                per_name_label(row.key),
                initial=row.value,
                optional=True,
                hint=f"{_(row.description)} ({row.key})",
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
    advanced = [row for row in plain_rows if row.key in ADVANCED]
    if advanced:
        blocks.append(header(_("Advanced")))
        blocks.append(context(_("How often bxhours reads from bexio. The defaults suit most workspaces.")))
        blocks += [_setting_block(row, activities) for row in advanced]
    return modal(_("Settings"), blocks[:100], callback_id=CALLBACK_ID, submit=_("Save"))


def _setting_block(row: SettingRow, activities: Sequence[str]) -> Block:
    """The input that fits the setting; its hint says what it does and its key."""
    spec = spec_for(row.key)
    label = label_for(row)
    hint = _(row.description) if row.key not in OWN_DESCRIPTION and row.key in LABELS else ""
    hint = f"{hint} ({row.key})".strip() if hint else f"({row.key})"
    element: dict[str, Any]
    if spec.parse is parse_bool:
        yes = option(_("Yes"), YES)
        element = {"type": "checkboxes", "action_id": VALUE_ACTION, "options": [yes]}
        if row.value is not None and parse_bool(row.value):
            element["initial_options"] = [yes]
        return _input(row.key, label, element, hint)
    if row.key in USER_PICKERS:
        element = {
            "type": "multi_users_select",
            "action_id": VALUE_ACTION,
            "placeholder": plain(_("Choose people")),
        }
        users = [user for user in (row.value or "").split(",") if user]
        if users:
            element["initial_users"] = users
        return _input(row.key, label, element, hint)
    if spec.parse is parse_date_setting:
        element = {"type": "datepicker", "action_id": VALUE_ACTION}
        if row.is_set and row.value:
            with contextlib.suppress(ValueError):
                element["initial_date"] = parse_date_setting(row.value).isoformat()
        return _input(row.key, label, element, hint)
    choices = _choices(row, activities)
    if choices is not None:
        options = [option(_("Not set (default)"), NOT_SET), *choices]
        element = {"type": "static_select", "action_id": VALUE_ACTION, "options": options[:100]}
        current = next((o for o in options if row.is_set and o["value"] == row.value), options[0])
        element["initial_option"] = current
        return _input(row.key, label, element, hint)
    placeholder = _("default: {value}", value=row.value) if row.value else _("not set")
    return text_input(
        block_id_for(row.key),
        label,
        initial=row.value if row.is_set else None,
        placeholder=placeholder,
        optional=True,
        hint=hint,
    )


def _choices(row: SettingRow, activities: Sequence[str]) -> list[dict[str, Any]] | None:
    if row.key in ACTIVITY_SELECTS:
        names = list(activities)
        if row.is_set and row.value and row.value not in names:
            names.insert(0, row.value)  # what is stored stays visible, even if no longer imported
        return [option(name, name) for name in names[:99]]
    if row.key == "language":
        return [option(LANGUAGE_NAMES[code], code) for code in LANGUAGES]
    if row.key in CHOICES:
        return [option(_(text), value) for value, text in CHOICES[row.key]]
    return None


def _input(key: str, label: str, element: dict[str, Any], hint: str) -> Block:
    return {
        "type": "input",
        "block_id": block_id_for(key),
        "label": plain(label[:2000]),
        "element": element,
        "optional": True,
        "hint": plain(hint[:2000]),
    }


def submitted_values(state: dict[str, Any]) -> dict[str, str | None]:
    """Block id → the value as `bxhours settings set` would take it (None: unset / emptied)."""
    values: dict[str, str | None] = {}
    for block_id, actions in state.items():
        element = actions.get(VALUE_ACTION) or {}
        kind = element.get("type")
        if kind == "checkboxes":
            chosen = element.get("selected_options") or []
            values[block_id] = (
                "true" if any(o.get("value") == YES for o in chosen if isinstance(o, dict)) else "false"
            )
        elif kind in ("multi_users_select",):
            users = [u for u in element.get("selected_users") or [] if isinstance(u, str)]
            values[block_id] = ",".join(users) or None
        elif kind == "datepicker":
            raw = element.get("selected_date")
            values[block_id] = raw if isinstance(raw, str) and raw else None
        elif kind in ("static_select", "external_select"):
            chosen = (element.get("selected_option") or {}).get("value")
            values[block_id] = chosen if isinstance(chosen, str) and chosen and chosen != NOT_SET else None
        else:
            raw = element.get("value")
            values[block_id] = raw.strip() if isinstance(raw, str) and raw.strip() else None
    return values
