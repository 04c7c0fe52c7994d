"""Serialised JSON per record, so a 2000-record page costs a join, not 2000 encodings.

Tests are allowed to mutate records in place (that is what makes the sandbox useful), so a
cached text is only reused while the record still equals the copy taken when it was encoded.
Comparing two flat dicts is ~20× cheaper than encoding one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]
View = Callable[[Record], Record]


def dumps(value: Any) -> str:
    # bexio (PHP) escapes non-ASCII characters: "Umlaufverm\u00f6gen".
    return json.dumps(value, separators=(",", ":"))


def _snapshot(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snapshot(item) for item in value]
    return value


@dataclass
class JsonCache:
    entries: dict[tuple[str, str, int], tuple[Record, str]] = field(default_factory=dict)

    def text(self, table: str, view_name: str, record: Record, view: View) -> str:
        key = (table, view_name, record["id"])
        cached = self.entries.get(key)
        if cached is not None and cached[0] == record:
            return cached[1]
        text = dumps(view(record))
        self.entries[key] = (_snapshot(record), text)
        return text

    def array(self, table: str, view_name: str, records: Iterable[Record], view: View) -> str:
        return "[" + ",".join(self.text(table, view_name, record, view) for record in records) + "]"
