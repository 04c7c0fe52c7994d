"""Reading a modal's submitted state, and the small metadata a modal carries between requests.

Slack reports each input under ``state.values[block_id][action_id]``; a block whose id carries a
version suffix (``activity.3``) is found by its prefix, because the app changes that suffix to
make Slack show new defaults after the person picked a project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.views.payload import record_id

VERSION_SEPARATOR = "."


def versioned(block: str, version: int) -> str:
    return f"{block}{VERSION_SEPARATOR}{version}"


def block_id(view: dict[str, Any], prefix: str) -> str:
    """The current id of a (possibly versioned) block in a view."""
    for block in view.get("blocks", []):
        found = str(block.get("block_id", ""))
        if found == prefix or found.startswith(prefix + VERSION_SEPARATOR):
            return found
    return prefix


def _value(state: dict[str, Any], prefix: str, action_id: str) -> dict[str, Any]:
    for block, actions in state.items():
        if block == prefix or block.startswith(prefix + VERSION_SEPARATOR):
            found = actions.get(action_id)
            if isinstance(found, dict):
                return found
    return {}


def text(state: dict[str, Any], block: str, action_id: str) -> str:
    value = _value(state, block, action_id).get("value")
    return value.strip() if isinstance(value, str) else ""


def selected_id(state: dict[str, Any], block: str, action_id: str) -> int | None:
    option = _value(state, block, action_id).get("selected_option")
    return record_id(option.get("value")) if isinstance(option, dict) else None


def selected_option(state: dict[str, Any], block: str, action_id: str) -> dict[str, Any] | None:
    option = _value(state, block, action_id).get("selected_option")
    return option if isinstance(option, dict) else None


def selected_date(state: dict[str, Any], block: str, action_id: str) -> date | None:
    raw = _value(state, block, action_id).get("selected_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def checked(state: dict[str, Any], block: str, action_id: str) -> bool | None:
    """Whether any box is ticked; None when the block is not in the state at all."""
    value = _value(state, block, action_id)
    if not value:
        return None
    return bool(value.get("selected_options"))


@dataclass(frozen=True)
class ModalContext:
    """What a log modal must remember between opening and submit (``private_metadata``)."""

    entry_id: int | None = None
    """Editing this entry (or expense); None for a new one."""
    version: int = 0
    week: str | None = None
    """Opened from the App Home showing this week (ISO Monday): refresh it afterwards."""
    response_url: str | None = None
    """Opened from a `/log-hours week` message: replace it with the updated week afterwards."""
    kind: str | None = None
    """"time" or "expense", where the modal could act on either."""

    def with_entry(self, entry_id: int) -> ModalContext:
        return ModalContext(entry_id, self.version, self.week, self.response_url, self.kind)

    def dump(self) -> str:
        data = {"e": self.entry_id, "v": self.version, "w": self.week, "u": self.response_url, "k": self.kind}
        return json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))

    @classmethod
    def load(cls, raw: str | None) -> ModalContext:
        try:
            data = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        entry = data.get("e")
        return cls(
            entry_id=record_id(entry) if isinstance(entry, int) else None,
            version=_version(data.get("v", 0)),
            week=data.get("w") if isinstance(data.get("w"), str) else None,
            response_url=data.get("u") if isinstance(data.get("u"), str) else None,
            kind=data.get("k") if isinstance(data.get("k"), str) else None,
        )


def _version(value: object) -> int:
    """A modal's version goes into its block ids (which Slack keeps short): small and positive."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**6 else 0
