"""The generic parts of bexio's REST resources: bodies, answers, lists, searches, CRUD.

A 2.0 list is a bare JSON array; a 3.0 list adds `X-Limit`, `X-Offset` and `X-Total-Count`.
Lists and searches share paging and ordering. Per-resource modules describe their fields and
plug these handlers into routes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from bexio.sandbox.errors import bad_request, not_found
from bexio.sandbox.forms import Field, check_form
from bexio.sandbox.json_cache import Record, View, dumps
from bexio.sandbox.query import (
    Page,
    SearchType,
    SortKey,
    filter_records,
    is_id_order,
    parse_criteria,
    parse_order,
    parse_page,
    sort_records,
)
from bexio.sandbox.routing import Handler, record_id, state_of
from bexio.sandbox.shapes import present
from bexio.sandbox.state import SandboxState

#: "2.0": a bare array; "3.0": with X-Limit/X-Offset/X-Total-Count; "3.0-bare": a 3.0 list
#: that bexio sends without those headers (taxes).
ListStyle = Literal["2.0", "3.0", "3.0-bare"]
Include = Callable[[SandboxState, web.Request, Record], bool]


def identity(record: Record) -> Record:
    return record


def without(*names: str) -> View:
    """A view that leaves out fields (lists omit what only a single GET shows)."""
    hidden = frozenset(names)

    def view(record: Record) -> Record:
        return {key: value for key, value in record.items() if key not in hidden}

    return view


def shown_view(state: SandboxState, table: str, view_name: str, view: View = identity) -> tuple[str, View]:
    """The view a record of `table` is serialised with, and its name in the JSON cache.

    Under documented shapes the view also passes the record through `present`; the name
    says so, so the cache never hands out a text encoded for the other shapes.
    """
    if state.settings.shapes != "documented":
        return view_name, view

    def documented(record: Record) -> Record:
        return present(table, view(record))

    return f"{view_name}:documented", documented


def record_text(
    state: SandboxState, table: str, view_name: str, record: Record, view: View = identity
) -> str:
    """One record's JSON as the sandbox shows it (cached while the record is unchanged)."""
    name, shown = shown_view(state, table, view_name, view)
    return state.json_cache.text(table, name, record, shown)


def record_response(
    state: SandboxState, table: str, body: Record | list[Record], status: int = 200
) -> web.Response:
    """A write's answer — one record or a list of them — as the sandbox shows records of `table`."""
    if state.settings.shapes != "documented":
        return json_response(body, status)
    if isinstance(body, list):
        return json_response([present(table, record) for record in body], status)
    return json_response(present(table, body), status)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return text_response(dumps(body), status, headers)


def text_response(text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"), status=status, content_type="application/json", headers=headers
    )


def success() -> web.Response:
    return json_response({"success": True})


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None


async def read_object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def get_record(state: SandboxState, table: str, rid: int) -> Record:
    record = state.tables[table].get(rid)
    if record is None:
        raise not_found()
    return record


def validate(
    state: SandboxState,
    body: Mapping[str, Any],
    fields: Iterable[Field],
    *,
    read_only: Iterable[str] = (),
    creating: bool,
    extra_errors: Iterable[str] = (),
) -> dict[str, Any]:
    return check_form(
        body,
        fields,
        read_only=read_only,
        creating=creating,
        ref_exists=state.exists,
        extra_errors=extra_errors,
    )


@dataclass(frozen=True)
class Listing:
    """How one resource lists: table, views, allowed order fields, searchable fields."""

    table: str
    order_fields: tuple[str, ...] = ("id",)
    searchable: Mapping[str, SearchType] | None = None
    list_view: View = identity
    style: ListStyle = "2.0"
    #: Which records a list or search shows (e.g. archived contacts only with show_archived).
    include: Include | None = None


def _select(
    state: SandboxState,
    request: web.Request,
    listing: Listing,
    keys: list[SortKey],
    page: Page,
    candidates: Iterable[Record] | None,
) -> tuple[list[Record], int | None]:
    """One page of records in order; the total only when the style needs it (3.0)."""
    table = state.tables[listing.table]
    include = listing.include
    need_total = listing.style == "3.0"
    if candidates is None and is_id_order(keys):
        # Fast path for paging big tables: ids are already near-sorted, so sorting is ~linear,
        # and a 2.0 list stops reading as soon as the page is full.
        ids = sorted(table, reverse=keys[0].descending)
        if include is None:
            page_ids = ids[page.offset : page.offset + page.limit]
            return [table[i] for i in page_ids], len(ids) if need_total else None
        ordered = (table[i] for i in ids)
        selected: list[Record] = []
        seen = 0
        end = page.offset + page.limit
        for record in ordered:
            if include is not None and not include(state, request, record):
                continue
            if page.offset <= seen < end:
                selected.append(record)
            seen += 1
            if seen >= end and not need_total:
                break
        return selected, seen if need_total else None
    pool = table.values() if candidates is None else candidates
    records = [r for r in pool if include is None or include(state, request, r)]
    records = sort_records(records, keys)
    total = len(records)
    return records[page.offset : page.offset + page.limit], total


def list_answer(
    state: SandboxState,
    request: web.Request,
    listing: Listing,
    candidates: Iterable[Record] | None = None,
) -> web.Response:
    page = parse_page(request.query)
    keys = parse_order(request.query.get("order_by"), listing.order_fields)
    records, total = _select(state, request, listing, keys, page, candidates)
    name, view = shown_view(state, listing.table, "list", listing.list_view)
    text = state.json_cache.array(listing.table, name, records, view)
    headers: dict[str, str] = {}
    if listing.style == "3.0":
        headers = {"X-Limit": str(page.limit), "X-Offset": str(page.offset), "X-Total-Count": str(total)}
    return text_response(text, headers=headers)


def list_handler(listing: Listing) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return list_answer(state_of(request), request, listing)

    return handle


def search_handler(listing: Listing) -> Handler:
    if listing.searchable is None:
        raise ValueError(f"{listing.table} has no searchable fields")
    searchable = listing.searchable

    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        criteria = parse_criteria(await read_json(request), searchable)
        # Order and paging are validated before filtering so bad parameters fail fast.
        parse_order(request.query.get("order_by"), listing.order_fields)
        parse_page(request.query)
        matching = filter_records(state.tables[listing.table].values(), criteria)
        return list_answer(state, request, listing, matching)

    return handle


def get_handler(table: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        record = get_record(state, table, record_id(request))
        return text_response(record_text(state, table, "single", record))

    return handle


def delete_handler(table: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        rid = record_id(request)
        get_record(state, table, rid)
        del state.tables[table][rid]
        return success()

    return handle


def create_handler(table: str, fields: tuple[Field, ...], defaults: Record | None = None) -> Handler:
    """Create for simple resources: validated fields over defaults, answered with 201."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        clean = validate(state, await read_object(request), fields, read_only=("id",), creating=True)
        record = {"id": state.new_id(table), **(defaults or {})}
        record.update(clean)
        state.tables[table][record["id"]] = record
        return record_response(state, table, record, status=201)

    return handle


def edit_handler(table: str, fields: tuple[Field, ...]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        record = get_record(state, table, record_id(request))
        clean = validate(state, await read_object(request), fields, read_only=("id",), creating=False)
        record.update(clean)
        return record_response(state, table, record)

    return handle
