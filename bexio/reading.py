"""Reading a page of bexio records so that one bad record costs that record, not the page.

bexio's answers vary in shape (issue 11): the read types in ``bexio.fields`` take every shape bexio
documents, but a record may still arrive that nothing can read — a contact without an id, a
timesheet whose duration is ``"soon"``. A list read with one ``TypeAdapter`` fails as a whole on
such a record, and with it the import. A ``PageReader`` reads the page in one pass as before (the
fast path, no cost per record) and only when that fails reads the records one by one, handing back
the readable ones and an ``Unreadable`` for each of the others: its id when it has a usable one, and
a reason a person can act on.

Callers that must not lose sight of a record — the push's search for its own draft — keep reading
strictly (a plain ``TypeAdapter``): there a record that cannot be read must stop the work rather
than look absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, get_args

from pydantic import TypeAdapter, ValidationError

from bexio.fields import as_id

T = TypeVar("T")

REASON_LIMIT = 200
"""Characters of a reason kept: enough to name the field and the value, no more."""
VALUE_LIMIT = 60
"""Characters of an offending value kept in a ``Problem``."""

ProblemKind = Literal[
    "missing", "integer", "number", "text", "boolean", "date", "range", "length", "shape", "value"
]


@dataclass(frozen=True)
class Problem:
    """Why a record could not be read, in parts rather than pydantic's English sentence, so the
    import summary can say it in its reader's language (issue 14 §1): the field, what kind of
    value it should have held, the value it held (``repr``, None when it was an object or list)
    and how many other problems the record had."""

    field: str
    """Dotted path of the field (``postcode``, ``contact_group_ids.2``); "" for the whole record."""
    kind: ProblemKind
    value: str | None = None
    more: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "value": self.value, "more": self.more}

    @classmethod
    def from_json(cls, data: Any) -> Problem | None:
        """A stored problem, None when it is not one (an older summary, a damaged row)."""
        if not isinstance(data, dict) or data.get("kind") not in PROBLEM_KINDS:
            return None
        value = data.get("value")
        more = data.get("more")
        return cls(
            str(data.get("field") or ""),
            data["kind"],
            str(value)[:VALUE_LIMIT] if value is not None else None,
            more if isinstance(more, int) and more > 0 else 0,
        )


PROBLEM_KINDS: frozenset[str] = frozenset(get_args(ProblemKind))


@dataclass(frozen=True)
class Unreadable:
    """A record bexio sent that bxhours could not read."""

    id: int | None
    """The record's id, when it had a usable one (None: the record cannot be told apart)."""
    reason: str
    """In English, for the log and `bxhours sync --json`."""
    problem: Problem | None = None
    """The same in parts, for people (``services.importing.summary``)."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


class NotAPage(ValueError):
    """The answer is not a JSON list at all: nothing in it can be read record by record."""


class PageReader(Generic[T]):
    """Reads a JSON list of ``item`` records; see the module docstring."""

    def __init__(self, item: Any) -> None:
        self.item = item
        self.page: TypeAdapter[list[T]] = TypeAdapter(list[item])
        self.one: TypeAdapter[T] = TypeAdapter(item)

    def read(self, content: bytes) -> tuple[list[T], list[Unreadable]]:
        """The readable records in order, and the unreadable ones. Raises ``NotAPage`` when the
        answer is not a list."""
        try:
            return self.page.validate_json(content), []
        except ValidationError:
            pass
        try:
            raw = json.loads(content)
        except ValueError as exc:
            raise NotAPage(f"not JSON ({exc})") from None
        if not isinstance(raw, list):
            raise NotAPage(f"expected a list, got {type(raw).__name__}")
        return self.read_records(raw)

    def read_records(self, raw: list[Any]) -> tuple[list[T], list[Unreadable]]:
        readable: list[T] = []
        unreadable: list[Unreadable] = []
        for record in raw:
            try:
                readable.append(self.one.validate_python(record))
            except ValidationError as exc:
                unreadable.append(Unreadable(record_id(record), describe(exc), problem_of(exc)))
        return readable, unreadable


def read_written(adapter: TypeAdapter[T], content: bytes) -> tuple[T, list[str]]:
    """Read bexio's answer to a write it carried out, giving up fields rather than the answer.

    When bexio answered a create with 201, the record exists: an answer in a shape nobody expected
    must still say so (issue 11 §3), or the caller would treat a created draft as "bexio did not
    answer for sure" and retry. So each top-level field that cannot be read is left out — an
    optional field then reads as its default — until the rest reads. Returns the record and the
    fields given up; raises ``ValidationError`` when even that fails (no usable id, say).
    """
    try:
        return adapter.validate_json(content), []
    except ValidationError as first_error:
        error = first_error
    try:
        data = json.loads(content)
    except ValueError:
        raise error from None
    given_up: list[str] = []
    while isinstance(data, dict):
        broken = {
            str(problem["loc"][0])
            for problem in error.errors(include_url=False)
            if problem["loc"] and problem["type"] != "missing" and str(problem["loc"][0]) in data
        }
        if not broken:
            break
        given_up.extend(sorted(broken))
        data = {key: value for key, value in data.items() if key not in broken}
        try:
            return adapter.validate_python(data), given_up
        except ValidationError as again:
            error = again
    raise error


def record_id(record: Any) -> int | None:
    """The id of a raw record, when it has one bxhours could use."""
    if not isinstance(record, dict):
        return None
    found = as_id(record.get("id"))
    return found if found is not None and 0 < found < 2**63 else None


def describe(exc: ValidationError) -> str:
    """The first problem of a validation error, as ``field: message (value)``: short and specific."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    value = first.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    more = f"; {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{shown}{more}"[:REASON_LIMIT]


_KIND_BY_PREFIX: tuple[tuple[str, ProblemKind], ...] = (
    ("missing", "missing"),
    ("int_", "integer"),
    ("float_", "number"),
    ("decimal_max", "range"),
    ("decimal_", "number"),
    ("string_too", "length"),
    ("string_", "text"),
    ("bool_", "boolean"),
    ("date", "date"),
    ("time", "date"),
    ("greater_than", "range"),
    ("less_than", "range"),
    ("finite_number", "range"),
    ("too_", "length"),
    ("model_", "shape"),
    ("dict_", "shape"),
    ("list_", "shape"),
    ("tuple_", "shape"),
)


def problem_of(exc: ValidationError) -> Problem:
    """The first problem of a validation error in parts (see ``Problem``)."""
    first = exc.errors(include_url=False)[0]
    kind: ProblemKind = next(
        (kind for prefix, kind in _KIND_BY_PREFIX if first["type"].startswith(prefix)), "value"
    )
    value = first.get("input")
    shown = None if kind == "missing" or isinstance(value, dict | list) else repr(value)[:VALUE_LIMIT]
    return Problem(".".join(str(part) for part in first["loc"]), kind, shown, exc.error_count() - 1)


def problem_of_row(exc: Exception) -> Problem:
    """A record that was read but whose values bxhours cannot use (converting it into a row
    raised): a missing key names its field; any other detail stays in the English reason."""
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return Problem(exc.args[0], "missing")
    return Problem("", "value")
