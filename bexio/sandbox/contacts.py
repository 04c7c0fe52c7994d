"""Contacts, contact groups (the UI's "categories") and contact sectors.

bexio quirks kept on purpose: deleting a contact archives it (`show_archived=true` lists the
archived ones only; `PATCH …/restore` brings one back); `nr` is an auto-numbered digit string
("000001"); `contact_group_ids` is a comma string, and a `like` search on it is a plain
substring match ("3" matches "13"); empty values are a mix of "" and null.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from bexio.sandbox.documents import default_avatar
from bexio.sandbox.errors import ApiError, bad_request, validation_failed
from bexio.sandbox.forms import Field, check_form
from bexio.sandbox.json_cache import Record
from bexio.sandbox.query import SearchType
from bexio.sandbox.ratelimit import CONTACT_SEARCH_GROUP
from bexio.sandbox.resources import (
    Listing,
    create_handler,
    delete_handler,
    edit_handler,
    get_handler,
    get_record,
    list_handler,
    read_json,
    read_object,
    record_response,
    search_handler,
    success,
    validate,
    without,
)
from bexio.sandbox.routing import Routes, record_id, state_of
from bexio.sandbox.state import SandboxState

CONTACT_FIELDS: Final = (
    Field("nr", "str", max_length=255),
    Field("contact_type_id", "int", required=True, nullable=False, choices=(1, 2)),
    Field("name_1", "str", required=True, nullable=False, max_length=255),
    Field("name_2", "str", max_length=255),
    Field("salutation_id", "int"),
    Field("salutation_form", "int"),
    Field("title_id", "int"),
    # The spec's write-only spelling of title_id; bexio stores it as title_id.
    Field("titel_id", "int"),
    Field("birthday", "date"),
    Field("address", "str"),
    Field("street_name", "str", max_length=255),
    Field("house_number", "str", max_length=255),
    Field("address_addition", "str", max_length=255),
    Field("postcode", "str", max_length=255),
    Field("city", "str", max_length=255),
    Field("country_id", "int", ref="country"),
    Field("mail", "str", max_length=255),
    Field("mail_second", "str", max_length=255),
    Field("phone_fixed", "str", max_length=255),
    Field("phone_fixed_second", "str", max_length=255),
    Field("phone_mobile", "str", max_length=255),
    Field("fax", "str", max_length=255),
    Field("url", "str", max_length=255),
    Field("skype_name", "str", max_length=255),
    Field("remarks", "str"),
    Field("language_id", "int", ref="language"),
    Field("contact_group_ids", "ids", ref="contact_group"),
    Field("contact_branch_ids", "ids", ref="contact_branch"),
    Field("user_id", "int", required=True, nullable=False, ref="user"),
    Field("owner_id", "int", required=True, nullable=False, ref="user"),
)
CONTACT_READ_ONLY: Final = ("id", "is_lead", "updated_at", "profile_image")

CONTACT_SEARCH: Final[dict[str, SearchType]] = {
    "id": "int",
    "name_1": "str",
    "name_2": "str",
    # Compared as a number, as bexio's database does with a numeric value ("10" = "000010").
    "nr": "decimal",
    "address": "str",
    "mail": "str",
    "mail_second": "str",
    "postcode": "str",
    "city": "str",
    "country_id": "int",
    "contact_group_ids": "str",
    "contact_type_id": "int",
    "updated_at": "str",
    "user_id": "int",
    "phone_fixed": "str",
    "phone_mobile": "str",
    "fax": "str",
}


def _archive_filter(state: SandboxState, request: web.Request, record: Record) -> bool:
    show_archived = request.query.get("show_archived", "").lower() in ("true", "1")
    return state.is_archived("contact", record["id"]) == show_archived


CONTACTS = Listing(
    "contact",
    order_fields=("id", "nr", "name_1", "updated_at"),
    searchable=CONTACT_SEARCH,
    list_view=without("profile_image"),
    include=_archive_filter,
)
GROUPS = Listing("contact_group", order_fields=("id", "name"), searchable={"name": "str"})
SECTORS = Listing("contact_branch", order_fields=("id", "name"), searchable={"name": "str"})
NAME_FIELDS: Final = (Field("name", "str", required=True, nullable=False, max_length=255),)


def blank_contact(record_id: int, nr: str) -> Record:
    """A contact as bexio creates it from a minimal body (see Contacts/create-contact.json)."""
    return {
        "id": record_id,
        "nr": nr,
        "contact_type_id": 1,
        "name_1": "",
        "name_2": "",
        "salutation_id": None,
        "salutation_form": None,
        "title_id": None,
        "birthday": None,
        "address": None,
        "street_name": None,
        "house_number": None,
        "address_addition": None,
        "postcode": "",
        "city": "",
        "country_id": None,
        "mail": "",
        "mail_second": "",
        "phone_fixed": "",
        "phone_fixed_second": "",
        "phone_mobile": "",
        "fax": "",
        "url": "",
        "skype_name": "",
        "remarks": "",
        "language_id": None,
        "is_lead": False,
        "contact_group_ids": None,
        "contact_branch_ids": None,
        "user_id": 1,
        "owner_id": 1,
        "profile_image": default_avatar(),
        "updated_at": "",
    }


def next_contact_nr(state: SandboxState) -> str:
    state.counters["contact"] = state.counters.get("contact", 0) + 1
    return str(state.counters["contact"]).zfill(6)


def _apply(record: Record, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        if name in ("contact_group_ids", "contact_branch_ids"):
            record[name] = ",".join(str(i) for i in value) if value else None
        elif name == "titel_id":
            record["title_id"] = value
        else:
            record[name] = value
    if ("street_name" in clean or "house_number" in clean) and "address" not in clean:
        parts = [record.get("street_name") or "", record.get("house_number") or ""]
        record["address"] = " ".join(part for part in parts if part) or None


def _create(state: SandboxState, body: dict[str, Any]) -> Record:
    clean = validate(state, body, CONTACT_FIELDS, read_only=CONTACT_READ_ONLY, creating=True)
    record = blank_contact(state.new_id("contact"), clean.pop("nr", None) or next_contact_nr(state))
    _apply(record, clean)
    state.tables["contact"][record["id"]] = record
    state.touch("contact", record["id"])
    return record


async def create_contact(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    return record_response(state, "contact", _create(state, await read_object(request)), status=201)


async def bulk_create_contacts(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise bad_request("The request body must be a JSON array of contacts.")
    errors: list[str] = []
    for index, item in enumerate(body):
        try:
            check_form(
                item, CONTACT_FIELDS, read_only=CONTACT_READ_ONLY, creating=True, ref_exists=state.exists
            )
        except ApiError as exc:  # collect every contact's errors; create none of them
            errors.extend(f"{index} [{message}]" for message in exc.errors or [exc.message])
    if errors:
        raise validation_failed(errors)
    return record_response(state, "contact", [_create(state, item) for item in body], status=201)


async def edit_contact(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "contact", record_id(request))
    clean = validate(
        state, await read_object(request), CONTACT_FIELDS, read_only=CONTACT_READ_ONLY, creating=False
    )
    _apply(record, clean)
    state.touch("contact", record["id"])
    return record_response(state, "contact", record)


async def archive_contact(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "contact", record_id(request))
    state.archived["contact"].add(record["id"])
    state.touch("contact", record["id"])
    return success()


async def restore_contact(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "contact", record_id(request))
    state.archived["contact"].discard(record["id"])
    state.touch("contact", record["id"])
    return success()


def register(routes: Routes) -> None:
    show, edit = "contact_show", "contact_edit"
    routes.add("GET", "/2.0/contact", list_handler(CONTACTS), scope=show)
    routes.add("POST", "/2.0/contact", create_contact, scope=edit, creates=True)
    routes.add("POST", "/2.0/contact/_bulk_create", bulk_create_contacts, scope=edit, creates=True)
    routes.add(
        "POST", "/2.0/contact/search", search_handler(CONTACTS), scope=show, rate_group=CONTACT_SEARCH_GROUP
    )
    routes.add("GET", "/2.0/contact/{id}", get_handler("contact"), scope=show)
    routes.add("POST", "/2.0/contact/{id}", edit_contact, scope=edit)
    routes.add("DELETE", "/2.0/contact/{id}", archive_contact, scope=edit)
    routes.add("PATCH", "/2.0/contact/{id}/restore", restore_contact, scope=edit)

    routes.add("GET", "/2.0/contact_group", list_handler(GROUPS), scope=show)
    routes.add(
        "POST", "/2.0/contact_group", create_handler("contact_group", NAME_FIELDS), scope=edit, creates=True
    )
    routes.add("POST", "/2.0/contact_group/search", search_handler(GROUPS), scope=show)
    routes.add("GET", "/2.0/contact_group/{id}", get_handler("contact_group"), scope=show)
    routes.add("POST", "/2.0/contact_group/{id}", edit_handler("contact_group", NAME_FIELDS), scope=edit)
    routes.add("DELETE", "/2.0/contact_group/{id}", delete_handler("contact_group"), scope=edit)

    routes.add("GET", "/2.0/contact_branch", list_handler(SECTORS), scope=show)
    routes.add("POST", "/2.0/contact_branch/search", search_handler(SECTORS), scope=show)
