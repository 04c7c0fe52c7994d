"""Serialised JSON per record, so a 2000-record page costs a join, not 2000 encodings.

Tests may change records in place (that is what makes the sandbox useful), so a cached text
is only reused while the record still holds the very same values — compared by identity
against a tuple taken when it was encoded, which costs far less than encoding again. A
nested dict or list edited *in place* is not noticed: replace it instead (the sandbox's own
handlers always do).
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


@dataclass
class JsonCache:
    #: (table, view, id) → (the record's keys and values when encoded, the JSON text).
    entries: dict[tuple[str, str, int], tuple[tuple[Any, ...], str]] = field(default_factory=dict)

    def text(self, table: str, view_name: str, record: Record, view: View) -> str:
        key = (table, view_name, record["id"])
        cached = self.entries.get(key)
        current = (*record, *record.values())
        if cached is not None and cached[0] == current:
            return cached[1]
        text = dumps(view(record))
        self.entries[key] = (current, text)
        return text

    def array(self, table: str, view_name: str, records: Iterable[Record], view: View) -> str:
        return "[" + ",".join(self.text(table, view_name, record, view) for record in records) + "]"
