"""The sandbox's documented shapes: what bexio documents beyond its recordings, served on demand.

Under `shapes="documented"` (`--shapes documented`, `BXHOURS_SANDBOX_SHAPES=documented`)
records with an odd id are shown as bexio's description and samples show them, records with
an even id as recorded; the stored state never changes. These tests pin the shapes they
expect, so they pass whichever shapes the environment asks for.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest

from bexio.sandbox import ManualClock, SandboxState, build_state, serve_sandbox
from bexio.sandbox.__main__ import main as sandbox_main
from bexio.sandbox.shapes import SHAPES_ENV, Shapes, parse_shapes, present, shapes_from_env
from bxhours.cli import build_parser
from bxhours.commands.sandbox import sandbox_command
from bxhours.settings import Settings

NOW = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)


def state_with(shapes: Shapes) -> SandboxState:
    return build_state("demo", timesheets=40, clock=ManualClock(NOW), shapes=shapes)


async def serve(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_sandbox(state) as sandbox:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
        async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
            yield client


@pytest.fixture
def documented_state() -> SandboxState:
    return state_with("documented")


@pytest.fixture
async def documented(documented_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(documented_state):
        yield client


@pytest.fixture
async def usual() -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(state_with("usual")):
        yield client


def as_json(value: Any) -> str:
    """JSON text, so `1` and `true` (equal in Python) are told apart."""
    return json.dumps(value)


def by_id(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {record["id"]: record for record in records}


# -- switching ----------------------------------------------------------------------------


def test_the_environment_variable_chooses_the_shapes_where_the_state_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SHAPES_ENV, raising=False)
    assert build_state("empty").settings.shapes == "usual"
    monkeypatch.setenv(SHAPES_ENV, "documented")
    assert build_state("empty").settings.shapes == "documented"
    assert build_state("empty", shapes="usual").settings.shapes == "usual"  # explicit wins
    monkeypatch.setenv(SHAPES_ENV, " Documented ")
    assert shapes_from_env() == "documented"
    monkeypatch.setenv(SHAPES_ENV, "")
    assert shapes_from_env() == "usual"
    monkeypatch.setenv(SHAPES_ENV, "strict")
    with pytest.raises(ValueError, match="unknown sandbox shapes 'strict'"):
        build_state("empty")
    with pytest.raises(ValueError, match="choose one of usual, documented"):
        parse_shapes("recorded")


@pytest.mark.parametrize(("argv", "expected"), [([], None), (["--shapes", "documented"], "documented")])
def test_bxhours_sandbox_takes_shapes(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: str | None
) -> None:
    """`bxhours sandbox --shapes …`; without it the sandbox follows the environment variable."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr("bexio.sandbox.run_standalone", lambda **kwargs: seen.update(kwargs))
    args = build_parser().parse_args(["sandbox", *argv])
    sandbox_command(args, cast(Settings, None))
    assert seen["shapes"] == expected
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--shapes", "strict"])


def test_python_m_bexio_sandbox_takes_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("bexio.sandbox.__main__.run_standalone", lambda *args, **kwargs: seen.update(kwargs))
    sandbox_main(["--shapes", "documented", "--seed", "empty"])
    assert seen["shapes"] == "documented"


# -- what is served -----------------------------------------------------------------------


@pytest.mark.parametrize("shapes", ["usual", "documented"])
async def test_the_company_profile_has_an_integer_postcode(shapes: Shapes) -> None:
    """bexio's API description types it integer and its samples say `"postcode": 8640`."""
    async for api in serve(state_with(shapes)):
        listed = (await api.get("/2.0/company_profile")).json()
        single = (await api.get("/2.0/company_profile/1")).json()
        assert listed[0]["postcode"] == single["postcode"] == 8001


async def test_contacts_mix_integer_and_string_postcodes_and_numbers(
    documented: httpx.AsyncClient, documented_state: SandboxState
) -> None:
    contacts = by_id((await documented.get("/2.0/contact")).json())
    # The fresh account's sample contact, shown as bexio's older samples show contacts.
    assert (contacts[1]["postcode"], contacts[1]["nr"]) == (8640, 1)
    stored = documented_state.tables["contact"][3]
    assert (contacts[3]["postcode"], contacts[3]["nr"]) == (int(stored["postcode"]), 3)
    assert (contacts[4]["postcode"], contacts[4]["nr"]) == (
        documented_state.tables["contact"][4]["postcode"],
        "000004",
    )
    assert {type(c["postcode"]) for c in contacts.values()} == {int, str}
    assert (await documented.get("/2.0/contact/1")).json()["postcode"] == 8640
    found = await documented.post("/2.0/contact/search", json=[{"field": "id", "value": 1, "criteria": "="}])
    assert found.json()[0]["nr"] == 1


async def test_empty_text_swaps_between_empty_string_and_null(
    documented: httpx.AsyncClient, documented_state: SandboxState
) -> None:
    contact = documented_state.tables["contact"][1]
    assert (contact["name_2"], contact["address_addition"]) == ("", None)
    shown = (await documented.get("/2.0/contact/1")).json()
    assert (shown["name_2"], shown["address_addition"]) == (None, "")
    assert shown["contact_branch_ids"] is None  # not a text field: null stays null
    even = (await documented.get("/2.0/contact/2")).json()
    assert even["name_2"] == documented_state.tables["contact"][2]["name_2"]


async def test_project_dates_carry_a_time_of_day(
    documented: httpx.AsyncClient, documented_state: SandboxState
) -> None:
    projects = by_id((await documented.get("/2.0/pr_project")).json())
    day = documented_state.tables["pr_project"][1]["start_date"][:10]
    assert projects[1]["start_date"] == f"{day} 08:30:00"
    assert projects[2]["start_date"].endswith(" 00:00:00")
    project = {"name": "Relaunch", "pr_state_id": 2, "pr_project_type_id": 2, "contact_id": 2, "user_id": 1}
    created = await documented.post(
        "/2.0/pr_project", json={**project, "start_date": "2026-07-01", "end_date": "2026-08-01"}
    )
    assert created.status_code == 201
    answer = created.json()
    assert answer["id"] == 13  # odd: documented
    assert (answer["start_date"], answer["end_date"]) == ("2026-07-01 08:30:00", "2026-08-01 17:45:00")
    assert documented_state.tables["pr_project"][13]["start_date"] == "2026-07-01 00:00:00"


async def test_invoice_positions_count_pos_in_integers(documented: httpx.AsyncClient) -> None:
    line = {
        "type": "KbPositionCustom",
        "amount": "1",
        "unit_id": 2,
        "account_id": 121,
        "tax_id": 14,
        "text": "Umsetzung",
        "unit_price": "100",
    }
    body = {"contact_id": 2, "user_id": 1, "positions": [{"type": "KbPositionText", "text": "Rapport"}, line]}
    created = (await documented.post("/2.0/kb_invoice", json=body)).json()
    assert created["id"] == 3
    assert [p["pos"] for p in created["positions"]] == [1, 2]
    assert as_json([p["is_optional"] for p in created["positions"]]) == "[0, 0]"
    assert (
        as_json([created["mwst_is_net"], created["api_reference"], created["reference"]]) == '[1, "", null]'
    )
    fetched = (await documented.get("/2.0/kb_invoice/3")).json()
    assert [p["pos"] for p in fetched["positions"]] == [1, 2]
    even = (await documented.get("/2.0/kb_invoice/2")).json()
    assert {type(p["pos"]) for p in even["positions"]} == {str}


async def test_booleans_come_as_zero_or_one(
    documented: httpx.AsyncClient, documented_state: SandboxState
) -> None:
    timesheets = by_id((await documented.get("/2.0/timesheet")).json())
    for timesheet_id, shown in timesheets.items():
        stored = documented_state.tables["timesheet"][timesheet_id]["allowable_bill"]
        assert as_json(shown["allowable_bill"]) == as_json(int(stored) if timesheet_id % 2 else stored)
    assert {as_json(shown["allowable_bill"]) for shown in timesheets.values()} >= {"0", "1", "true"}
    activities = by_id((await documented.get("/2.0/client_service")).json())
    assert (
        as_json([activities[1]["default_is_billable"], activities[2]["default_is_billable"]]) == "[1, true]"
    )
    settings = (await documented.get("/2.0/kb_item_setting")).json()
    assert {type(s["use_automatic_enumeration"]) for s in settings} == {int, bool}


async def test_timesheets_carry_ids_as_digit_strings(
    documented: httpx.AsyncClient, documented_state: SandboxState
) -> None:
    shown = (await documented.get("/2.0/timesheet/1")).json()
    stored = documented_state.tables["timesheet"][1]
    assert shown["user_id"] == str(stored["user_id"])
    assert shown["client_service_id"] == str(stored["client_service_id"])
    assert shown["id"] == 1
    assert (await documented.get("/2.0/timesheet/2")).json()["user_id"] == documented_state.tables[
        "timesheet"
    ][2]["user_id"]
    tracking = {"type": "duration", "date": "2026-06-17", "duration": "01:00"}
    created = await documented.post(
        "/2.0/timesheet",
        json={"user_id": 2, "client_service_id": 3, "allowable_bill": True, "tracking": tracking},
    )
    assert created.json()["id"] == 41
    assert as_json([created.json()["user_id"], created.json()["allowable_bill"]]) == '["2", 1]'


async def test_bank_account_numbers_are_integers(
    documented: httpx.AsyncClient, usual: httpx.AsyncClient
) -> None:
    account = (await documented.get("/3.0/banking/accounts/1")).json()
    assert (account["owner_zip"], account["bc_nr"]) == (4010, 81223)
    assert (await documented.get("/3.0/banking/accounts")).json()[0]["owner_zip"] == 4010
    assert (await usual.get("/3.0/banking/accounts/1")).json()["owner_zip"] == "4010"


async def test_payments_show_documented_shapes_too(documented: httpx.AsyncClient) -> None:
    invoice = "/2.0/kb_invoice/2"  # the demo's pending invoice
    paid = (await documented.post(f"{invoice}/payment", json={"value": "10"})).json()
    assert paid["id"] == 1
    assert (
        as_json([paid["is_cash_discount"], paid["kb_credit_voucher_text"], paid["value"]])
        == '[0, null, "10"]'
    )


# -- presentation only --------------------------------------------------------------------


async def test_usual_shapes_are_the_recorded_ones(usual: httpx.AsyncClient) -> None:
    contact = (await usual.get("/2.0/contact/1")).json()
    assert (contact["postcode"], contact["nr"], contact["name_2"]) == ("8640", "000001", "")
    assert (await usual.get("/2.0/pr_project/1")).json()["start_date"].endswith(" 00:00:00")
    assert isinstance((await usual.get("/2.0/timesheet/1")).json()["user_id"], int)
    assert {type(p["pos"]) for p in (await usual.get("/2.0/kb_invoice/1")).json()["positions"]} == {str}


async def test_the_stored_state_stays_canonical(
    documented: httpx.AsyncClient, documented_state: SandboxState
) -> None:
    before = copy.deepcopy(documented_state.tables)
    for path in (
        "/2.0/contact",
        "/2.0/pr_project",
        "/2.0/timesheet",
        "/2.0/kb_invoice/1",
        "/2.0/company_profile",
    ):
        assert (await documented.get(path)).status_code == 200
    assert documented_state.tables == before
    # Searches compare stored values: a documented integer postcode is still found as text.
    found = await documented.post(
        "/2.0/contact/search", json=[{"field": "postcode", "value": "8640", "criteria": "="}]
    )
    assert 1 in {c["id"] for c in found.json()}


async def test_documented_shapes_are_deterministic() -> None:
    answers = []
    for _ in range(2):
        async for api in serve(state_with("documented")):
            answers.append(
                [
                    (await api.get(path)).json()
                    for path in ("/2.0/contact", "/2.0/timesheet", "/2.0/pr_project")
                ]
            )
    assert answers[0] == answers[1]


async def test_switching_shapes_on_a_running_sandbox_is_not_fooled_by_the_json_cache(
    documented_state: SandboxState,
) -> None:
    async for api in serve(documented_state):
        assert (await api.get("/2.0/contact/1")).json()["postcode"] == 8640
        documented_state.settings.shapes = "usual"
        assert (await api.get("/2.0/contact/1")).json()["postcode"] == "8640"
        assert (await api.get("/2.0/contact")).json()[0]["postcode"] == "8640"
        documented_state.settings.shapes = "documented"
        assert (await api.get("/2.0/contact")).json()[0]["postcode"] == 8640


def test_present_leaves_even_ids_and_foreign_postcodes_alone() -> None:
    even = {"id": 2, "postcode": "8001", "name_2": ""}
    assert present("contact", even) is even
    foreign = present("contact", {"id": 5, "postcode": "D-79539", "nr": None, "is_lead": False})
    assert as_json(foreign) == '{"id": 5, "postcode": "D-79539", "nr": null, "is_lead": 0}'
    assert present("user", {"id": 1, "is_superadmin": True, "lastname": ""}) == {
        "id": 1,
        "is_superadmin": True,
        "lastname": "",
    }  # 3.0 resources keep their typed shapes
