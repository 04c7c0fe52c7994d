"""Search criteria for bexio's ``POST …/search`` endpoints.

A search body is a JSON array of ``{"field", "value", "criteria"}`` objects combined with AND.
Values are written the way bexio compares them: datetimes as Swiss local ``YYYY-MM-DD HH:MM:SS``
(``updated_at`` is the incremental-sync key), dates as ISO, decimals as plain strings, lists for
``in``/``not_in``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from bexio.fields import decimal_to_str, to_bexio_datetime

Criteria = Literal[
    "=",
    "equal",
    "!=",
    "not_equal",
    ">",
    "greater_than",
    ">=",
    "greater_equal",
    "<",
    "less_than",
    "<=",
    "less_equal",
    "like",
    "not_like",
    "is_null",
    "not_null",
    "in",
    "not_in",
]

SearchValue = str | int | Decimal | date | datetime | Sequence[str | int] | None

_LIST_CRITERIA = frozenset({"in", "not_in"})
_NULL_CRITERIA = frozenset({"is_null", "not_null"})
_MAX_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Criterion:
    """One condition. ``like`` is a case-insensitive *substring* match in bexio: use ``=`` for
    numbers, document numbers and ``api_reference``."""

    field: str
    criteria: Criteria
    value: SearchValue = None

    def __post_init__(self) -> None:
        if self.criteria in _LIST_CRITERIA and (
            isinstance(self.value, str | bytes) or not isinstance(self.value, Sequence)
        ):
            raise ValueError(f"criteria {self.criteria!r} needs a list of values")
        if self.criteria not in _NULL_CRITERIA and self.value is None:
            raise ValueError(f"criteria {self.criteria!r} needs a value")
        if len(self.field) > _MAX_LENGTH or (isinstance(self.value, str) and len(self.value) > _MAX_LENGTH):
            raise ValueError(f"bexio search fields and values are limited to {_MAX_LENGTH} characters")

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": _encode(self.value), "criteria": self.criteria}


def _encode(value: SearchValue) -> Any:
    if isinstance(value, datetime):
        return to_bexio_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_to_str(value)
    if isinstance(value, str | int) or value is None:
        return value
    return list(value)


def search_body(criteria: Sequence[Criterion]) -> list[dict[str, Any]]:
    if not criteria:
        raise ValueError("a bexio search needs at least one criterion")
    return [criterion.to_json() for criterion in criteria]
