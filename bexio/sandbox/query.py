"""Paging, ordering and search over a table, with bexio's rules.

* `limit` defaults to 500 and is capped at 2000, `offset` defaults to 0;
* `order_by=name_desc,id` — fields from a per-endpoint whitelist, `_asc`/`_desc` suffixes;
* `POST …/search` takes a JSON array of `{field, value, criteria}` combined with AND; `like`
  (the default) is a case-insensitive substring match — also on comma strings like
  `contact_group_ids`, where "3" matches "13" exactly as bexio does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from bexio.sandbox.errors import ApiError

DEFAULT_LIMIT: Final = 500
MAX_LIMIT: Final = 2000

SearchType = Literal["int", "str", "decimal", "bool"]

CRITERIA: Final[Mapping[str, str]] = {
    "=": "=",
    "==": "=",
    "equal": "=",
    "!=": "!=",
    "not_equal": "!=",
    ">": ">",
    "greater_than": ">",
    ">=": ">=",
    "greater_equal": ">=",
    "<": "<",
    "less_than": "<",
    "<=": "<=",
    "less_equal": "<=",
    "like": "like",
    "not_like": "not_like",
    "is_null": "is_null",
    "not_null": "not_null",
    "in": "in",
    "not_in": "not_in",
}


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def parse_page(query: Mapping[str, str]) -> Page:
    def number(name: str, default: int) -> int:
        raw = query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(422, f"The parameter '{name}' must be a non-negative integer.") from None
        if value < 0:
            raise ApiError(422, f"The parameter '{name}' must be a non-negative integer.")
        return value

    limit = number("limit", DEFAULT_LIMIT)
    return Page(limit=min(limit, MAX_LIMIT), offset=number("offset", 0))


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


def parse_order(raw: str | None, allowed: Iterable[str]) -> list[SortKey]:
    """`order_by` → sort keys; unknown fields are refused with the list of allowed ones."""
    allowed_fields = set(allowed)
    if not raw:
        return [SortKey("id", False)]
    keys: list[SortKey] = []
    for part in raw.split(","):
        token = part.strip()
        descending = False
        if token.endswith("_desc"):
            token, descending = token.removesuffix("_desc"), True
        elif token.endswith("_asc"):
            token = token.removesuffix("_asc")
        if token not in allowed_fields:
            raise ApiError(
                422,
                f"The value '{part.strip()}' is not valid for order_by. "
                f"Allowed: {', '.join(sorted(allowed_fields))} (with optional _asc or _desc).",
            )
        keys.append(SortKey(token, descending))
    return keys


def _sort_value(value: Any) -> tuple[int, Any]:
    # NULLs sort first ascending (as MySQL does); numeric strings compare as numbers.
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        try:
            return (1, Decimal(value))
        except InvalidOperation:
            return (2, value.casefold())
    return (3, str(value))


def is_id_order(keys: list[SortKey]) -> bool:
    return len(keys) == 1 and keys[0].field == "id"


def _field_sort_key(field: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda record: _sort_value(record.get(field))


def sort_records(records: list[dict[str, Any]], keys: list[SortKey]) -> list[dict[str, Any]]:
    ordered = list(records)
    # Stable sorts from the last key to the first give a multi-key order with mixed directions.
    for key in reversed(keys):
        ordered.sort(key=_field_sort_key(key.field), reverse=key.descending)
    return ordered


@dataclass(frozen=True)
class Criterion:
    field: str
    op: str
    value: Any
    kind: SearchType


def parse_criteria(body: Any, searchable: Mapping[str, SearchType]) -> list[Criterion]:
    """The body of `POST …/search`; fields outside the endpoint's searchable list → 422."""
    if not isinstance(body, list):
        raise ApiError(422, "The search body must be a JSON array of {field, value, criteria} objects.")
    criteria: list[Criterion] = []
    errors: list[str] = []
    for index, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            errors.append(f"{index}: every search condition needs a 'field'.")
            continue
        field = item["field"]
        raw_op = item.get("criteria", "like")
        op = CRITERIA.get(raw_op) if isinstance(raw_op, str) else None
        if field not in searchable:
            errors.append(
                f"{field}: is not a searchable field here. Searchable: {', '.join(sorted(searchable))}."
            )
            continue
        if op is None:
            errors.append(f"{field}: unknown criteria {raw_op!r}. Use one of: {', '.join(CRITERIA)}.")
            continue
        value = item.get("value")
        if op not in ("is_null", "not_null") and value is None:
            errors.append(f"{field}: a value is required for criteria {raw_op!r}.")
            continue
        if isinstance(value, str) and len(value) > 255:
            errors.append(f"{field}: the value may be at most 255 characters long.")
            continue
        if op in ("in", "not_in"):
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",")]
            elif not isinstance(value, list):
                errors.append(f"{field}: criteria {raw_op!r} needs a list of values.")
                continue
        criteria.append(Criterion(field, op, value, searchable[field]))
    if errors:
        raise ApiError(422, "The search could not be performed due to the following errors:", errors=errors)
    return criteria


def _coerce(value: Any, kind: SearchType) -> Any:
    """The search value in the field's type; None when it cannot be (matches nothing)."""
    try:
        if kind == "int":
            if isinstance(value, bool):
                return int(value)
            return int(Decimal(str(value)))
        if kind == "decimal":
            return Decimal(str(value))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true")
        return str(value)
    except (InvalidOperation, ValueError):
        return None


def _field_value(value: Any, kind: SearchType) -> Any:
    if value is None:
        return None
    if kind == "decimal":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return value


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if isinstance(actual, str) and isinstance(wanted, str):
        # bexio's database collation compares text case-insensitively.
        actual, wanted = actual.casefold(), wanted.casefold()
    if op == "=":
        return bool(actual == wanted)
    if op == "!=":
        return bool(actual != wanted)
    try:
        if op == ">":
            return bool(actual > wanted)
        if op == ">=":
            return bool(actual >= wanted)
        if op == "<":
            return bool(actual < wanted)
        if op == "<=":
            return bool(actual <= wanted)
    except TypeError:
        return False
    raise AssertionError(op)


def matches(record: Mapping[str, Any], criterion: Criterion) -> bool:
    """SQL semantics: a NULL field matches nothing except `is_null`."""
    raw = record.get(criterion.field)
    op = criterion.op
    if op == "is_null":
        return raw is None
    if op == "not_null":
        return raw is not None
    if raw is None:
        return False
    if op in ("like", "not_like"):
        found = str(criterion.value).casefold() in str(raw).casefold()
        return found if op == "like" else not found
    actual = _field_value(raw, criterion.kind)
    if op in ("in", "not_in"):
        options = [_coerce(option, criterion.kind) for option in criterion.value]
        if isinstance(actual, str):
            inside = actual.casefold() in {o.casefold() for o in options if isinstance(o, str)}
        else:
            inside = actual in options
        return inside if op == "in" else not inside
    wanted = _coerce(criterion.value, criterion.kind)
    if wanted is None or actual is None:
        return False
    return _compare(actual, op, wanted)


def filter_records(records: Iterable[dict[str, Any]], criteria: list[Criterion]) -> list[dict[str, Any]]:
    return [record for record in records if all(matches(record, c) for c in criteria)]
