"""Payroll (`/4.0/payroll`): employees and their absences.

A different generation of bexio's API: UUID ids, lists wrapped in `{"data": [...]}`,
`application/problem+json` errors, 204 on updates, 410 for an employee deleted in bexio —
and 403 on every call when the account has no payroll module (as on trial accounts).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from aiohttp import web

from bexio.sandbox.errors import ApiError
from bexio.sandbox.forms import Field, Invalid, check_form, parse_date
from bexio.sandbox.json_cache import Record
from bexio.sandbox.resources import json_response, read_object
from bexio.sandbox.routing import Routes, state_of
from bexio.sandbox.state import SandboxState

MALFORMED: Final = "Malformed content (missing or invalid parameters)"
MALFORMED_REQUEST: Final = "Malformed request (missing or invalid parameters)"
"""bexio's title for a bad path or query parameter (``date``, ``businessYear``), as documented."""

EMPLOYEE_FIELDS: Final = (
    Field("first_name", "str", required=True, nullable=False, max_length=255),
    Field("last_name", "str", required=True, nullable=False, max_length=255),
    Field("date_of_birth", "date"),
    Field("ahv_number", "str"),
    Field("gender", "str", choices=("male", "female")),
    Field("nationality", "str"),
    Field("stay_permit_category", "str"),
    Field("language", "str", choices=("de", "it", "fr", "en")),
    Field("marital_status", "str"),
    Field("email", "str"),
    Field("phone_number", "str"),
    Field("hours_per_week", "number"),
    Field("employment_level", "number"),
    Field("annual_vacation_days", "number"),
    Field("address", "object"),
    Field("personal_number", "str"),
    Field("iban", "str"),
)
ABSENCE_FIELDS: Final = (
    Field(
        "reason",
        "str",
        required=True,
        nullable=False,
        choices=("Injury", "Sickness", "MaternityLeave", "MilitaryLeave", "Vacation", "InterruptionOfWork"),
    ),
    Field("start_date", "date", required=True, nullable=False),
    Field("end_date", "date"),
    Field("half_day", "bool"),
    Field("continued_pay", "number"),
    Field("disability", "number"),
    Field("paid_hours", "number"),
)
"""A create (documented: only ``reason`` and ``start_date`` are required; the three figures are
numbers — ``continued_pay`` a percentage, not a flag)."""
ABSENCE_REPLACE_FIELDS: Final = tuple(
    Field(field.name, field.kind, required=True, nullable=False, choices=field.choices)
    for field in ABSENCE_FIELDS
)
"""``PUT …/absences/{id}`` replaces the whole absence: bexio documents every field as required."""
ADDRESS_KEYS: Final = (
    "complementary_line",
    "street",
    "street_name",
    "house_number",
    "postbox",
    "locality",
    "zip_code",
    "city",
    "country",
    "canton",
    "municipality_id",
)


def _ensure_enabled(state: SandboxState) -> None:
    if not state.settings.payroll_enabled:
        raise ApiError(403, "Forbidden: the payroll module is not active for this company")


def _form(
    state: SandboxState, body: dict[str, Any], fields: tuple[Field, ...], *, creating: bool
) -> dict[str, Any]:
    try:
        return check_form(body, fields, read_only=("id",), creating=creating, ref_exists=state.exists)
    except ApiError as exc:
        raise ApiError(400, MALFORMED, errors=exc.errors) from None


def _employee(state: SandboxState, request: web.Request) -> Record:
    employee_id = request.match_info["employee_id"]
    if employee_id in state.payroll_removed:
        raise ApiError(410, "Gone")
    employee = state.payroll_employees.get(employee_id)
    if employee is None:
        raise ApiError(404, "Not Found")
    return employee


def blank_employee(employee_id: str) -> Record:
    return {
        "id": employee_id,
        "first_name": "",
        "last_name": "",
        "date_of_birth": None,
        "ahv_number": None,
        "gender": None,
        "nationality": None,
        "stay_permit_category": None,
        "language": "de",
        "marital_status": "unknown",
        "email": None,
        "phone_number": None,
        "hours_per_week": 42,
        "employment_level": 100,
        "annual_vacation_days_total": 25,
        "address": {key: None for key in ADDRESS_KEYS},
        "personal_number": None,
        "iban": None,
    }


def _apply(employee: Record, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        if name == "annual_vacation_days":
            employee["annual_vacation_days_total"] = value
        elif name == "address":
            employee["address"] = {key: (value or {}).get(key) for key in ADDRESS_KEYS}
        else:
            employee[name] = value


def _vacation_days_used(state: SandboxState, employee_id: str, year: int) -> float:
    used = 0.0
    for absence in state.payroll_absences.get(employee_id, {}).values():
        if absence["reason"] == "Vacation" and absence["start_date"].startswith(str(year)):
            days = (parse_date(absence["end_date"]) - parse_date(absence["start_date"])).days + 1
            used += 0.5 if absence.get("half_day") else days
    return used


async def list_employees(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    employees = [e for e in state.payroll_employees.values() if e["id"] not in state.payroll_removed]
    return json_response({"data": employees})


async def create_employee(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    clean = _form(state, await read_object(request), EMPLOYEE_FIELDS, creating=True)
    employee = blank_employee(str(uuid.uuid4()))
    _apply(employee, clean)
    state.payroll_employees[employee["id"]] = employee
    return json_response(employee, status=201)


async def get_employee(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    employee = _employee(state, request)
    raw_date = request.query.get("date")
    try:
        on = parse_date(raw_date)  # documented as required
    except Invalid:
        raise ApiError(400, MALFORMED_REQUEST, errors=["date: expected YYYY-MM-DD"]) from None
    used = _vacation_days_used(state, employee["id"], on.year)
    total = float(employee.get("annual_vacation_days_total") or 0)
    level = float(employee.get("employment_level") or 0)
    return json_response(
        {
            **employee,
            "annual_vacation_days_used": used,
            "annual_vacation_days_left": total - used,
            "effective_working_hours_per_week": float(employee.get("hours_per_week") or 0) * level / 100,
        }
    )


async def edit_employee(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    employee = _employee(state, request)
    _apply(employee, _form(state, await read_object(request), EMPLOYEE_FIELDS, creating=False))
    return web.Response(status=204)


def _absence_dates_valid(clean: dict[str, Any]) -> None:
    if clean.get("end_date") is not None and parse_date(clean["end_date"]) < parse_date(clean["start_date"]):
        raise ApiError(400, MALFORMED, errors=["end_date: must not be before start_date"])


async def list_absences(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    employee = _employee(state, request)
    year = request.query.get("businessYear")
    if year is None or not year.isdigit():  # documented as required
        raise ApiError(400, MALFORMED_REQUEST, errors=["businessYear: expected a year like 2026"])
    absences = [
        absence
        for absence in state.payroll_absences.get(employee["id"], {}).values()
        if absence["start_date"].startswith(year)
    ]
    return json_response({"data": absences})


async def create_absence(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    employee = _employee(state, request)
    clean = _form(state, await read_object(request), ABSENCE_FIELDS, creating=True)
    _absence_dates_valid(clean)
    absence: Record = {
        "reason": clean["reason"],
        "start_date": clean["start_date"],
        # UNCONFIRMED: what bexio stores for an absence created without an end date (its one day).
        "end_date": clean.get("end_date") or clean["start_date"],
        "half_day": bool(clean.get("half_day", False)),  # documented default
        # UNCONFIRMED: bexio's values for figures it was not sent (its samples show 0).
        "continued_pay": clean.get("continued_pay"),
        "disability": clean.get("disability"),
        "paid_hours": clean.get("paid_hours"),
        "id": str(uuid.uuid4()),
    }
    state.payroll_absences.setdefault(employee["id"], {})[absence["id"]] = absence
    return json_response(absence, status=201)


def _absence(state: SandboxState, request: web.Request) -> tuple[Record, Record]:
    employee = _employee(state, request)
    absence = state.payroll_absences.get(employee["id"], {}).get(request.match_info["absence_id"])
    if absence is None:
        raise ApiError(404, "Not Found")
    return employee, absence


async def get_absence(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    return json_response(_absence(state, request)[1])


async def replace_absence(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    _, absence = _absence(state, request)
    clean = _form(state, await read_object(request), ABSENCE_REPLACE_FIELDS, creating=True)
    _absence_dates_valid(clean)
    absence.update(clean)
    return web.Response(status=204)


async def delete_absence(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    _ensure_enabled(state)
    employee, absence = _absence(state, request)
    del state.payroll_absences[employee["id"]][absence["id"]]
    return web.Response(status=204)


def register(routes: Routes) -> None:
    base = "/4.0/payroll/employees"
    show, edit = "payroll_employee_show", "payroll_employee_edit"
    absence_show, absence_edit = "payroll_absence_show", "payroll_absence_edit"
    routes.add("GET", base, list_employees, scope=show, kind="payroll")
    routes.add("POST", base, create_employee, scope=edit, kind="payroll", creates=True)
    routes.add("GET", base + "/{employee_id}", get_employee, scope=show, kind="payroll")
    routes.add("PATCH", base + "/{employee_id}", edit_employee, scope=edit, kind="payroll")
    absences = base + "/{employee_id}/absences"
    routes.add("GET", absences, list_absences, scope=absence_show, kind="payroll")
    routes.add("POST", absences, create_absence, scope=absence_edit, kind="payroll", creates=True)
    routes.add("GET", absences + "/{absence_id}", get_absence, scope=absence_show, kind="payroll")
    routes.add("PUT", absences + "/{absence_id}", replace_absence, scope=absence_edit, kind="payroll")
    routes.add("DELETE", absences + "/{absence_id}", delete_absence, scope=absence_edit, kind="payroll")
