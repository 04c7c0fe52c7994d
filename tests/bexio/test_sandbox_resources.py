"""Projects, timesheets, business activities, taxes, users, currencies and payroll in the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bexio.sandbox import ManualClock, RunningSandbox, build_state, serve_sandbox

NEW_PROJECT = {"name": "Relaunch", "pr_state_id": 2, "pr_project_type_id": 2, "contact_id": 2, "user_id": 1}
NEW_TIMESHEET = {"user_id": 2, "client_service_id": 4, "allowable_bill": True, "pr_project_id": 1}


async def serve(seed: str) -> AsyncIterator[tuple[RunningSandbox, httpx.AsyncClient]]:
    # Pinned to the recorded shapes these tests assert exactly (test_sandbox_shapes: the others).
    state = build_state(seed, clock=ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC)), shapes="usual")
    async with serve_sandbox(state) as sandbox:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
        async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
            yield sandbox, client


@pytest.fixture
async def demo() -> AsyncIterator[tuple[RunningSandbox, httpx.AsyncClient]]:
    async for pair in serve("demo"):
        yield pair


@pytest.fixture
async def empty() -> AsyncIterator[tuple[RunningSandbox, httpx.AsyncClient]]:
    async for pair in serve("empty"):
        yield pair


async def test_projects_are_numbered_and_archivable(demo: tuple[RunningSandbox, httpx.AsyncClient]) -> None:
    _, api = demo
    listed = (await api.get("/2.0/pr_project")).json()
    assert {project["pr_invoice_type_id"] for project in listed} == {1, 2, 3, 4}
    created = await api.post("/2.0/pr_project", json={**NEW_PROJECT, "start_date": "2026-07-01"})
    assert created.status_code == 201
    project = created.json()
    assert (project["nr"], project["start_date"]) == ("000013", "2026-07-01 00:00:00")
    assert "updated_at" not in project
    path = f"/2.0/pr_project/{project['id']}"

    assert (await api.post(f"{path}/archive")).json() == {"success": True}
    assert project["id"] not in {p["id"] for p in (await api.get("/2.0/pr_project")).json()}
    found = await api.post(
        "/2.0/pr_project/search", json=[{"field": "name", "value": "Relaunch", "criteria": "="}]
    )
    assert found.json() == []
    assert (await api.get(path)).status_code == 200
    # bexio re-activates at /reactivate; /unarchive (an earlier guess) is no route of bexio's.
    assert (await api.post(f"{path}/unarchive")).status_code == 404
    assert (await api.post(f"{path}/reactivate")).json() == {"success": True}
    assert project["id"] in {p["id"] for p in (await api.get("/2.0/pr_project")).json()}

    edited = await api.post(path, json={"pr_invoice_type_id": 4, "pr_invoice_type_amount": "12000"})
    assert (edited.json()["pr_invoice_type_id"], edited.json()["pr_invoice_type_amount"]) == (4, "12000.00")
    assert (await api.delete(path)).json() == {"success": True}
    assert (await api.get(path)).status_code == 404
    assert [s["name"] for s in (await api.get("/2.0/pr_project_state")).json()] == [
        "Offen",
        "Aktiv",
        "Abgeschlossen",
    ]


async def test_project_numbers_follow_the_numbering_setting(
    demo: tuple[RunningSandbox, httpx.AsyncClient],
) -> None:
    sandbox, api = demo
    refused = await api.post("/2.0/pr_project", json={**NEW_PROJECT, "document_nr": "P-1"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0].startswith("document_nr: Die Nummer wird automatisch vergeben.")
    sandbox.state.settings.project_automatic_numbering = False
    missing = await api.post("/2.0/pr_project", json=NEW_PROJECT)
    assert missing.json()["errors"] == ["document_nr: Pflichtfeld"]
    own = await api.post("/2.0/pr_project", json={**NEW_PROJECT, "document_nr": "P-1"})
    assert own.json()["nr"] == "P-1"
    invalid = await api.post(
        "/2.0/pr_project", json={**NEW_PROJECT, "document_nr": "P-2", "pr_invoice_type_id": 5}
    )
    assert invalid.json()["errors"] == ["pr_invoice_type_id: Diese Eingabe ist nicht korrekt."]


@pytest.mark.parametrize(
    ("tracking", "date", "duration"),
    [
        ({"type": "duration", "date": "2026-06-17", "duration": "01:15"}, "2026-06-17", "1:15"),
        ({"type": "duration", "date": "2026-06-17", "duration": "0:30"}, "2026-06-17", "0:30"),
        ({"type": "duration", "date": "2026-06-17", "duration": "10:05"}, "2026-06-17", "10:05"),
        (
            {"type": "range", "start": "2026-06-16 14:22:48", "end": "2026-06-16 16:13:25"},
            "2026-06-16",
            "1:50",
        ),
    ],
)
async def test_timesheets_echo_tracking_and_render_durations(
    demo: tuple[RunningSandbox, httpx.AsyncClient], tracking: dict[str, str], date: str, duration: str
) -> None:
    _, api = demo
    created = await api.post("/2.0/timesheet", json={**NEW_TIMESHEET, "tracking": tracking})
    assert created.status_code == 201, created.text
    timesheet = created.json()
    assert (timesheet["tracking"], timesheet["date"], timesheet["duration"]) == (tracking, date, duration)
    fetched = (await api.get(f"/2.0/timesheet/{timesheet['id']}")).json()
    assert fetched == timesheet


async def test_timesheet_edits_and_refusals(demo: tuple[RunningSandbox, httpx.AsyncClient]) -> None:
    _, api = demo
    tracking = {"type": "duration", "date": "2026-06-17", "duration": "02:00"}
    timesheet = (await api.post("/2.0/timesheet", json={**NEW_TIMESHEET, "tracking": tracking})).json()
    path = f"/2.0/timesheet/{timesheet['id']}"
    edited = await api.post(
        path, json={**NEW_TIMESHEET, "tracking": {**tracking, "duration": "03:45"}, "text": "Review"}
    )
    assert (edited.json()["duration"], edited.json()["text"]) == ("3:45", "Review")

    async def errors(body: dict[str, Any]) -> list[str]:
        response = await api.post("/2.0/timesheet", json=body)
        assert response.status_code == 422
        result: list[str] = response.json()["errors"]
        return result

    assert await errors({}) == [
        "user_id: Pflichtfeld",
        "client_service_id: Pflichtfeld",
        "allowable_bill: Pflichtfeld",
        "tracking: Pflichtfeld",
    ]
    backwards = {"type": "range", "start": "2026-06-16 16:00:00", "end": "2026-06-16 15:00:00"}
    assert await errors({**NEW_TIMESHEET, "tracking": backwards}) == [
        "tracking: Diese Eingabe ist nicht korrekt."
    ]
    assert await errors({**NEW_TIMESHEET, "tracking": {**tracking, "duration": "1:75"}}) == [
        "tracking: Diese Eingabe ist nicht korrekt."
    ]
    assert await errors({**NEW_TIMESHEET, "user_id": 404, "tracking": tracking}) == [
        "user_id: Diese Eingabe ist nicht korrekt."
    ]
    assert await errors({**NEW_TIMESHEET, "tracking": tracking, "duration": "1:00"}) == [
        "Widget schema does not include the following field(s): duration"
    ]
    assert (await api.delete(path)).json() == {"success": True}
    assert [s["id"] for s in (await api.get("/2.0/timesheet_status")).json()] == [1, 2, 3, 4]


@pytest.mark.parametrize("missing", ["user_id", "client_service_id", "allowable_bill", "tracking"])
async def test_a_timesheet_edit_requires_what_a_create_requires(
    demo: tuple[RunningSandbox, httpx.AsyncClient], missing: str
) -> None:
    """v2EditTimesheet requires user_id, client_service_id, allowable_bill and tracking; an edit
    that sends only what changed is refused (the wording of that refusal is UNCONFIRMED)."""
    sandbox, api = demo
    tracking = {"type": "duration", "date": "2026-06-17", "duration": "02:00"}
    full = {**NEW_TIMESHEET, "tracking": tracking}
    created = await api.post(
        "/2.0/timesheet", json={key: value for key, value in full.items() if key != missing}
    )
    assert created.status_code == 422
    assert created.json()["errors"] == [f"{missing}: Pflichtfeld"]
    timesheet = (await api.post("/2.0/timesheet", json=full)).json()
    path = f"/2.0/timesheet/{timesheet['id']}"
    body = {**full, "text": "Review"}
    del body[missing]
    refused = await api.post(path, json=body)
    assert refused.status_code == 422
    assert refused.json() == {
        "error_code": 422,
        "message": "The form could not be saved due to the following errors:",
        "errors": [f"{missing}: Pflichtfeld"],
    }
    assert sandbox.state.tables["timesheet"][timesheet["id"]]["text"] == ""  # nothing was saved
    cleared = await api.post(path, json={**full, missing: None})
    assert cleared.json()["errors"] == [f"{missing}: Pflichtfeld"]
    assert (await api.post(path, json=body | {missing: full[missing]})).status_code == 200


async def test_business_activities(
    demo: tuple[RunningSandbox, httpx.AsyncClient], empty: tuple[RunningSandbox, httpx.AsyncClient]
) -> None:
    _, api = demo
    activities = (await api.get("/2.0/client_service")).json()
    assert [a["name"] for a in activities] == [
        "Administration",
        "Meeting",
        "Projekt Management",
        "Umsetzung",
        "Allgemein",
    ]
    assert [a["default_price_per_hour"] for a in activities] == [120, 140, 165, 150, 137.5]
    assert {a["account_id"] for a in activities} == {121}
    account = (
        await api.post(
            "/2.0/accounts/search", json=[{"field": "account_no", "value": "3400", "criteria": "="}]
        )
    ).json()
    assert [(a["id"], a["name"], a["account_type"]) for a in account] == [(121, "Dienstleistungserlöse", 1)]
    created = await api.post("/2.0/client_service", json={"name": "Support", "default_price_per_hour": 99.5})
    assert created.status_code == 201
    assert created.json() == {
        "id": 6,
        "default_is_billable": True,
        "default_price_per_hour": 99.5,
        "account_id": None,
        "name": "Support",
    }
    assert (await api.get("/2.0/client_service/1")).status_code == 404
    _, fresh = empty
    assert {a["default_price_per_hour"] for a in (await fresh.get("/2.0/client_service")).json()} == {None}


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"scope": "active", "types": "sales_tax"}, ["UN77", "UR25", "UN81", "UR26"]),
        ({"scope": "active", "types": "sales_tax", "date": "2023-03-01"}, ["UN77", "UR25"]),
        ({"scope": "active", "types": "sales_tax", "date": "2023-09-01"}, ["UN77", "UR25", "UN81", "UR26"]),
        ({"scope": "active", "types": "sales_tax", "date": "2025-01-15"}, ["UN81", "UR26"]),
        ({"scope": "inactive", "types": "sales_tax"}, ["U00", "US38"]),
        (
            {"scope": "active", "types": "pre_tax"},
            ["V00", "VIM", "ZOLLM", "ZOLLB", "VM26", "VM81", "VB26", "VB81"],
        ),
    ],
)
async def test_taxes_filter_by_scope_type_and_validity(
    demo: tuple[RunningSandbox, httpx.AsyncClient], query: dict[str, str], codes: list[str]
) -> None:
    _, api = demo
    response = await api.get("/3.0/taxes", params=query)
    assert [tax["code"] for tax in response.json()] == codes
    assert (await api.get("/3.0/taxes", params={"scope": "everything"})).status_code == 422


async def test_the_current_user_is_the_tokens_user(demo: tuple[RunningSandbox, httpx.AsyncClient]) -> None:
    sandbox, api = demo
    assert (await api.get("/3.0/users/me")).json()["is_superadmin"] is True
    token = sandbox.state.issue_pat(user_id=3)
    me = await api.get("/3.0/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == 3
    users = (await api.get("/3.0/users")).json()
    assert len(users) == 15
    assert sum(user["is_superadmin"] for user in users) == 1


async def test_currencies(demo: tuple[RunningSandbox, httpx.AsyncClient]) -> None:
    _, api = demo
    listed = (await api.get("/3.0/currencies")).json()
    assert [(c["name"], c["round_factor"]) for c in listed] == [
        ("CHF", 0.05),
        ("EUR", 0.01),
        ("USD", 0.01),
        ("GBP", 0.01),
    ]
    created = await api.post("/3.0/currencies", json={"name": "JPY", "round_factor": 1})
    assert (created.status_code, created.json()["name"]) == (201, "JPY")
    duplicate = await api.post("/3.0/currencies", json={"name": "JPY", "round_factor": 1})
    assert duplicate.json()["errors"] == ["name: Diese Eingabe ist nicht korrekt."]
    assert (await api.post("/3.0/currencies", json={"name": "XYZ", "round_factor": 1})).status_code == 422
    assert (await api.delete("/3.0/currencies/1")).status_code == 409
    assert (await api.delete(f"/3.0/currencies/{created.json()['id']}")).json() == {"success": True}


async def test_payroll_employees_and_absences(demo: tuple[RunningSandbox, httpx.AsyncClient]) -> None:
    _, api = demo
    employees = (await api.get("/4.0/payroll/employees")).json()["data"]
    assert len(employees) == 10
    created = await api.post(
        "/4.0/payroll/employees", json={"first_name": "Eva", "last_name": "Frei", "annual_vacation_days": 30}
    )
    assert created.status_code == 201
    employee_id = created.json()["id"]
    base = f"/4.0/payroll/employees/{employee_id}"
    assert (await api.patch(base, json={"employment_level": 80})).status_code == 204
    absence = await api.post(
        f"{base}/absences",
        json={"reason": "Vacation", "start_date": "2026-07-06", "end_date": "2026-07-10", "half_day": False},
    )
    assert absence.status_code == 201
    detail = (await api.get(base, params={"date": "2026-08-01"})).json()
    assert (
        detail["employment_level"],
        detail["annual_vacation_days_used"],
        detail["annual_vacation_days_left"],
    ) == (
        80,
        5,
        25,
    )
    assert len((await api.get(f"{base}/absences", params={"businessYear": 2026})).json()["data"]) == 1
    assert (await api.get(f"{base}/absences", params={"businessYear": 2025})).json()["data"] == []
    absence_path = f"{base}/absences/{absence.json()['id']}"
    assert (await api.delete(absence_path)).status_code == 204
    missing = await api.get(absence_path)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert missing.json() == {"status": 404, "title": "Not Found"}
    malformed = await api.post("/4.0/payroll/employees", json={"first_name": "Ohne Nachname"})
    assert malformed.status_code == 400
    assert malformed.json()["title"] == "Malformed content (missing or invalid parameters)"
    assert "last_name" in malformed.json()["detail"]


async def test_payroll_answers_410_for_removed_employees_and_403_without_the_module(
    demo: tuple[RunningSandbox, httpx.AsyncClient], empty: tuple[RunningSandbox, httpx.AsyncClient]
) -> None:
    sandbox, api = demo
    employee_id = next(iter(sandbox.state.payroll_employees))
    sandbox.state.payroll_removed.add(employee_id)
    assert (await api.get(f"/4.0/payroll/employees/{employee_id}")).json() == {"status": 410, "title": "Gone"}
    listed = (await api.get("/4.0/payroll/employees")).json()["data"]
    assert employee_id not in {employee["id"] for employee in listed}
    _, trial = empty
    refused = await trial.get("/4.0/payroll/employees")
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
