"""Projects (`/2.0/pr_project`) with their states and types.

`nr` is assigned automatically ("000002") unless automatic numbering is off, in which case
`document_nr` is required — and refused while it is on. Projects have no `updated_at`.
Archived projects stay readable by id but leave lists and searches (UNCONFIRMED in bexio's
docs; it is what makes "archived in bexio" observable to an importer).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from aiohttp import web

from bexio.sandbox.errors import AUTOMATIC_NUMBERING_ON, REQUIRED
from bexio.sandbox.forms import Field, format_decimal
from bexio.sandbox.json_cache import Record
from bexio.sandbox.resources import (
    Listing,
    get_handler,
    get_record,
    list_handler,
    read_object,
    record_response,
    search_handler,
    success,
    validate,
)
from bexio.sandbox.routing import Routes, record_id, state_of
from bexio.sandbox.state import SandboxState

PROJECT_FIELDS: Final = (
    Field("document_nr", "str", max_length=255),
    Field("name", "str", required=True, nullable=False, max_length=255),
    Field("start_date", "datetime"),
    Field("end_date", "datetime"),
    Field("comment", "str"),
    Field("pr_state_id", "int", required=True, nullable=False, ref="pr_project_state"),
    Field("pr_project_type_id", "int", required=True, nullable=False, ref="pr_project_type"),
    Field("contact_id", "int", required=True, nullable=False, ref="contact"),
    Field("contact_sub_id", "int", ref="contact"),
    Field("pr_invoice_type_id", "int", choices=(1, 2, 3, 4)),
    Field("pr_invoice_type_amount", "decimal"),
    Field("pr_budget_type_id", "int", choices=(1, 2, 3, 4)),
    Field("pr_budget_type_amount", "decimal"),
    Field("user_id", "int", required=True, nullable=False, ref="user"),
)
PROJECT_READ_ONLY: Final = ("id", "uuid", "nr")


def _not_archived(state: SandboxState, request: web.Request, record: Record) -> bool:
    return not state.is_archived("pr_project", record["id"])


PROJECTS = Listing(
    "pr_project",
    order_fields=("id", "name"),
    searchable={"name": "str", "contact_id": "int", "pr_state_id": "int"},
    include=_not_archived,
)
STATES = Listing("pr_project_state", order_fields=("id", "name"))
TYPES = Listing("pr_project_type", order_fields=("id", "name"))


def blank_project(record_id: int, nr: str, project_uuid: str) -> Record:
    return {
        "id": record_id,
        "uuid": project_uuid,
        "nr": nr,
        "name": "",
        "start_date": None,
        "end_date": None,
        "comment": "",
        "pr_state_id": 1,
        "pr_project_type_id": 1,
        "contact_id": None,
        "contact_sub_id": None,
        "pr_invoice_type_id": None,
        "pr_invoice_type_amount": None,
        "pr_budget_type_id": None,
        "pr_budget_type_amount": None,
        "user_id": 1,
    }


def next_project_nr(state: SandboxState) -> str:
    state.counters["pr_project"] = state.counters.get("pr_project", 0) + 1
    return str(state.counters["pr_project"]).zfill(6)


def _numbering_errors(state: SandboxState, body: dict[str, Any], *, creating: bool) -> list[str]:
    sent = body.get("document_nr") not in (None, "")
    if state.settings.project_automatic_numbering and sent:
        return [f"document_nr: {AUTOMATIC_NUMBERING_ON}"]
    if not state.settings.project_automatic_numbering and creating and not sent:
        return [f"document_nr: {REQUIRED}"]
    return []


def _apply(record: Record, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        if name == "document_nr":
            if value:
                record["nr"] = value
        elif name in ("start_date", "end_date"):
            record[name] = None if value is None else value.strftime("%Y-%m-%d %H:%M:%S")
        elif name in ("pr_invoice_type_amount", "pr_budget_type_amount"):
            record[name] = None if value is None else format_decimal(value, 2)
        else:
            record[name] = value


async def create_project(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await read_object(request)
    clean = validate(
        state,
        body,
        PROJECT_FIELDS,
        read_only=PROJECT_READ_ONLY,
        creating=True,
        extra_errors=_numbering_errors(state, body, creating=True),
    )
    nr = clean.get("document_nr") or next_project_nr(state)
    record = blank_project(state.new_id("pr_project"), nr, str(uuid.uuid4()))
    _apply(record, clean)
    state.tables["pr_project"][record["id"]] = record
    return record_response(state, "pr_project", record, status=201)


async def edit_project(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "pr_project", record_id(request))
    body = await read_object(request)
    clean = validate(
        state,
        body,
        PROJECT_FIELDS,
        read_only=PROJECT_READ_ONLY,
        creating=False,
        extra_errors=_numbering_errors(state, body, creating=False),
    )
    _apply(record, clean)
    return record_response(state, "pr_project", record)


async def delete_project(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    rid = record_id(request)
    get_record(state, "pr_project", rid)
    del state.tables["pr_project"][rid]
    state.archived["pr_project"].discard(rid)
    return success()


async def archive_project(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.archived["pr_project"].add(get_record(state, "pr_project", record_id(request))["id"])
    return success()


async def reactivate_project(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.archived["pr_project"].discard(get_record(state, "pr_project", record_id(request))["id"])
    return success()


def register(routes: Routes) -> None:
    show, edit = "project_show", "project_edit"
    routes.add("GET", "/2.0/pr_project", list_handler(PROJECTS), scope=show)
    routes.add("POST", "/2.0/pr_project", create_project, scope=edit, creates=True)
    routes.add("POST", "/2.0/pr_project/search", search_handler(PROJECTS), scope=show)
    routes.add("GET", "/2.0/pr_project/{id}", get_handler("pr_project"), scope=show)
    routes.add("POST", "/2.0/pr_project/{id}", edit_project, scope=edit)
    routes.add("DELETE", "/2.0/pr_project/{id}", delete_project, scope=edit)
    routes.add("POST", "/2.0/pr_project/{id}/archive", archive_project, scope=edit)
    # bexio's operation is v2UnarchiveProject, its route `/reactivate`; `/unarchive` is a 404 there.
    routes.add("POST", "/2.0/pr_project/{id}/reactivate", reactivate_project, scope=edit)
    routes.add("GET", "/2.0/pr_project_state", list_handler(STATES), scope=show)
    routes.add("GET", "/2.0/pr_project_type", list_handler(TYPES), scope=show)
