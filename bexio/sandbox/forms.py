"""bexio's strict write forms: required, unknown, read-only and referenced fields.

bexio's 2.0 API validates request bodies like a server-side form: every unknown field is an
error (`global: Unexpected extra form field named "x".`), read-only fields are refused,
missing required fields say `Pflichtfeld`, and a value that does not fit — including an id
that references nothing — says `Diese Eingabe ist nicht korrekt.`. All errors of a body are
reported together, in one 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from bexio.sandbox.errors import INVALID, REQUIRED, read_only_fields, unexpected_field, validation_failed

Kind = Literal["int", "str", "bool", "decimal", "number", "date", "datetime", "ids", "time", "object", "list"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_TIME = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_MAX_DECIMALS = 6


class Invalid(ValueError):
    """A value that does not fit its field."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False
    nullable: bool = True
    #: Table whose ids this field references (checked for existence).
    ref: str | None = None
    choices: tuple[Any, ...] | None = None
    max_length: int | None = None


#: Checks a reference: (table, id) → does it exist and is it acceptable here?
RefCheck = Callable[[str, int], bool]


def parse_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise Invalid(value)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(value) from exc


def parse_datetime(value: object) -> datetime:
    if isinstance(value, str) and _DATE.match(value):
        return datetime.combine(parse_date(value), datetime.min.time())
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise Invalid(value)
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise Invalid(value) from exc


def parse_minutes(value: object) -> int:
    """ "1:15" / "01:40" → minutes."""
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise Invalid(value)
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_decimal(value: object) -> Decimal:
    """Money and quantities: decimal strings (or JSON numbers), at most six decimals."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise Invalid(value) from exc
    if not number.is_finite():
        raise Invalid(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_DECIMALS:
        raise Invalid(value)
    return number


def parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise Invalid(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise Invalid(value)


def parse_ids(value: object) -> list[int]:
    """`contact_group_ids`: bexio's comma string ("1,3"); a JSON list of ids is accepted too."""
    if isinstance(value, list):
        return [parse_int(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, str):
        raise Invalid(value)
    parts = [part.strip() for part in value.split(",") if part.strip()]
    return [parse_int(part) for part in parts]


def _parse(field: Field, value: object) -> Any:
    kind = field.kind
    if kind == "int":
        return parse_int(value)
    if kind == "str":
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise Invalid(value)
        if field.max_length is not None and len(value) > field.max_length:
            raise Invalid(value)
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in (0, 1, "0", "1"):
            return value in (1, "1")
        raise Invalid(value)
    if kind == "decimal":
        return parse_decimal(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(value)
        return value
    if kind == "date":
        parse_date(value)
        return value
    if kind == "datetime":
        return parse_datetime(value)
    if kind == "ids":
        return parse_ids(value)
    if kind == "time":
        parse_minutes(value)
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise Invalid(value)
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise Invalid(value)
        return value
    raise AssertionError(f"unknown field kind {kind}")


def check_form(
    body: Mapping[str, Any],
    fields: Iterable[Field],
    *,
    read_only: Iterable[str] = (),
    creating: bool,
    ref_exists: RefCheck,
    extra_errors: Iterable[str] = (),
) -> dict[str, Any]:
    """Validate a create (all required fields) or an edit (only what is sent) like bexio.

    Returns the parsed values of the fields present in `body`; raises a 422 `ApiError`
    with every problem found.
    """
    by_name = {field.name: field for field in fields}
    read_only_names = set(read_only)
    errors: list[str] = []
    clean: dict[str, Any] = {}

    for name, field in by_name.items():
        present = name in body
        value = body.get(name)
        # An empty string is no value, except for an optional text field (PHP forms alike).
        if value is None or (value == "" and (field.required or field.kind != "str")):
            if field.required and (creating or present):
                errors.append(f"{name}: {REQUIRED}")
            elif present:
                if field.nullable:
                    clean[name] = None
                else:
                    errors.append(f"{name}: {INVALID}")
            continue
        try:
            parsed = _parse(field, value)
            if field.choices is not None and parsed not in field.choices:
                raise Invalid(value)
            if field.ref is not None:
                ids = parsed if field.kind == "ids" else [parsed]
                if not all(ref_exists(field.ref, ref_id) for ref_id in ids):
                    raise Invalid(value)
        except Invalid:
            errors.append(f"{name}: {INVALID}")
            continue
        clean[name] = parsed

    errors.extend(extra_errors)
    sent_read_only = [name for name in body if name in read_only_names and name not in by_name]
    if sent_read_only:
        errors.append(read_only_fields(sent_read_only))
    errors.extend(
        unexpected_field(name) for name in body if name not in by_name and name not in read_only_names
    )
    if errors:
        raise validation_failed(errors)
    return clean


def format_decimal(value: Decimal, places: int) -> str:
    """Fixed precision, as bexio renders stored values ("100.000000", "0.0000")."""
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def format_plain(value: Decimal) -> str:
    """Without trailing zeros, as bexio echoes freshly computed values ("100", "108.1")."""
    normalized = value.normalize()
    if normalized == 0:
        return "0"
    text = f"{normalized:f}"
    return text
