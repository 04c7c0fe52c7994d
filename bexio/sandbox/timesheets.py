"""Timesheets (`/2.0/timesheet`), their statuses, and business activities (`/2.0/client_service`).

A timesheet is created *and edited* with `user_id`, `client_service_id`, `allowable_bill` and
a `tracking` object — `{"type": "duration", "date", "duration": "01:40"}` or `{"type":
"range", "start", "end"}` — that bexio echoes back, and read with a derived `date` and a
`duration` rendered without a leading zero ("1:15"). Timesheets have no `updated_at` and can
only be searched by id fields, not by date.

Business activities have no GET by id, no edit and no delete in bexio's API; their
`default_price_per_hour` is a JSON number, not a string like other money.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from bexio.sandbox.errors import INVALID
from bexio.sandbox.forms import Field, Invalid, format_decimal, parse_date, parse_datetime, parse_minutes
from bexio.sandbox.json_cache import Record
from bexio.sandbox.resources import (
    Listing,
    create_handler,
    delete_handler,
    get_handler,
    get_record,
    list_handler,
    read_object,
    record_response,
    search_handler,
    validate,
)
from bexio.sandbox.routing import Routes, record_id, state_of
from bexio.sandbox.state import SandboxState

TIMESHEET_FIELDS: Final = (
    Field("user_id", "int", required=True, nullable=False, ref="user"),
    Field("status_id", "int", ref="timesheet_status"),
    Field("client_service_id", "int", required=True, nullable=False, ref="client_service"),
    Field("text", "str"),
    Field("allowable_bill", "bool", required=True, nullable=False),
    Field("charge", "decimal"),
    Field("contact_id", "int", ref="contact"),
    Field("sub_contact_id", "int", ref="contact"),
    Field("pr_project_id", "int", ref="pr_project"),
    Field("pr_package_id", "int"),
    Field("pr_milestone_id", "int"),
    Field("estimated_time", "time"),
    Field("tracking", "object", required=True, nullable=False),
)
TIMESHEET_READ_ONLY: Final = (
    "id",
    "date",
    "duration",
    "running",
    "travel_time",
    "travel_charge",
    "travel_distance",
)
TIMESHEETS = Listing(
    "timesheet",
    order_fields=("id", "date"),
    searchable={
        "id": "int",
        "client_service_id": "int",
        "contact_id": "int",
        "user_id": "int",
        "pr_project_id": "int",
        "status_id": "int",
    },
)
STATUSES = Listing("timesheet_status", order_fields=("id", "name"))

ACTIVITY_FIELDS: Final = (
    Field("name", "str", required=True, nullable=False, max_length=255),
    Field("default_is_billable", "bool"),
    Field("default_price_per_hour", "number"),
    Field("account_id", "int", ref="account"),
)
ACTIVITIES = Listing("client_service", order_fields=("id", "name"), searchable={"name": "str"})

_TRACKING_KEYS: Final = {
    "duration": {"type", "date", "duration"},
    "range": {"type", "start", "end"},
    "stopwatch": {"type", "duration"},
}


Tracking = tuple[dict[str, Any], str, int]


def render_duration(minutes: int) -> str:
    """bexio's reading of a duration: hours without a leading zero, "1:15"."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def read_tracking(tracking: dict[str, Any], today: str) -> Tracking:
    """Validate a `tracking` object → (tracking as echoed, date, minutes)."""
    kind = tracking.get("type")
    if not isinstance(kind, str) or kind not in _TRACKING_KEYS or set(tracking) - _TRACKING_KEYS[kind]:
        raise Invalid(tracking)
    if kind == "range":
        start, end = parse_datetime(tracking.get("start")), parse_datetime(tracking.get("end"))
        if end <= start:
            raise Invalid(tracking)
        minutes = int((end - start).total_seconds() // 60)
        return (
            {"type": "range", "start": tracking["start"], "end": tracking["end"]},
            start.date().isoformat(),
            minutes,
        )
    minutes = parse_minutes(tracking.get("duration"))
    if kind == "stopwatch":
        return {"type": "stopwatch", "duration": tracking["duration"]}, today, minutes
    day = parse_date(tracking.get("date")).isoformat()
    return {"type": "duration", "date": day, "duration": tracking["duration"]}, day, minutes


def timesheet_record(record_id: int, tracking: dict[str, Any], day: str, minutes: int) -> Record:
    return {
        "id": record_id,
        "user_id": 1,
        "status_id": 1,
        "client_service_id": 1,
        "text": "",
        "allowable_bill": True,
        "charge": None,
        "contact_id": None,
        "sub_contact_id": None,
        "pr_project_id": None,
        "pr_package_id": None,
        "pr_milestone_id": None,
        "travel_time": None,
        "travel_charge": None,
        "travel_distance": 0,
        "estimated_time": None,
        "date": day,
        "duration": render_duration(minutes),
        "running": False,
        "tracking": tracking,
    }


def _checked(
    state: SandboxState, body: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], Tracking | None]:
    tracking_errors: list[str] = []
    parsed_tracking: Tracking | None = None
    if isinstance(body.get("tracking"), dict):
        try:
            parsed_tracking = read_tracking(body["tracking"], state.today().isoformat())
        except Invalid:
            tracking_errors.append(f"tracking: {INVALID}")
    clean = validate(
        state,
        body,
        TIMESHEET_FIELDS,
        read_only=TIMESHEET_READ_ONLY,
        creating=creating,
        extra_errors=tracking_errors,
    )
    return clean, parsed_tracking


def _apply(record: Record, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        if name == "tracking":
            continue
        record[name] = format_decimal(value, 2) if name == "charge" and value is not None else value


async def create_timesheet(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    clean, parsed = _checked(state, await read_object(request), creating=True)
    assert parsed is not None, "a create without a valid tracking fails validation"
    tracking, day, minutes = parsed
    record = timesheet_record(state.new_id("timesheet"), tracking, day, minutes)
    _apply(record, clean)
    state.tables["timesheet"][record["id"]] = record
    return record_response(state, "timesheet", record, status=201)


async def edit_timesheet(request: web.Request) -> web.StreamResponse:
    """``POST /2.0/timesheet/{id}``: bexio's edit form (v2EditTimesheet) requires `user_id`,
    `client_service_id`, `allowable_bill` and `tracking` like a create, so an edit that sends
    only what changed is refused with a 422. UNCONFIRMED: nobody has recorded bexio's refusal
    of an edit; the sandbox words it as its create refusal (`"user_id: Pflichtfeld"`).
    """
    state = state_of(request)
    record = get_record(state, "timesheet", record_id(request))
    clean, parsed = _checked(state, await read_object(request), creating=True)
    assert parsed is not None, "an edit without a valid tracking fails validation"
    tracking, day, minutes = parsed
    record.update(tracking=tracking, date=day, duration=render_duration(minutes))
    _apply(record, clean)
    return record_response(state, "timesheet", record)


def register(routes: Routes) -> None:
    show, edit = "monitoring_show", "monitoring_edit"
    routes.add("GET", "/2.0/timesheet", list_handler(TIMESHEETS), scope=show)
    routes.add("POST", "/2.0/timesheet", create_timesheet, scope=edit, creates=True)
    routes.add("POST", "/2.0/timesheet/search", search_handler(TIMESHEETS), scope=show)
    routes.add("GET", "/2.0/timesheet/{id}", get_handler("timesheet"), scope=show)
    routes.add("POST", "/2.0/timesheet/{id}", edit_timesheet, scope=edit)
    routes.add("DELETE", "/2.0/timesheet/{id}", delete_handler("timesheet"), scope=edit)
    routes.add("GET", "/2.0/timesheet_status", list_handler(STATUSES), scope=show)

    activity_defaults: Record = {
        "name": "",
        "default_is_billable": True,
        "default_price_per_hour": None,
        "account_id": None,
    }
    routes.add("GET", "/2.0/client_service", list_handler(ACTIVITIES))
    routes.add(
        "POST",
        "/2.0/client_service",
        create_handler("client_service", ACTIVITY_FIELDS, activity_defaults),
        creates=True,
    )
    routes.add("POST", "/2.0/client_service/search", search_handler(ACTIVITIES))
