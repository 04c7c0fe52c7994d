"""Contacts and contact groups in the sandbox: archive/restore, numbering, group strings,
updated_at, direct state edits, and bexio's 422s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bexio.sandbox import ManualClock, RunningSandbox, build_state, serve_sandbox

FORM_ERROR = "The form could not be saved due to the following errors:"
NEW_CONTACT = {"contact_type_id": 1, "name_1": "Muster Bau AG", "user_id": 1, "owner_id": 1}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    # Pinned to the recorded shapes these tests assert exactly (test_sandbox_shapes: the others).
    async with serve_sandbox(build_state("demo", clock=clock, shapes="usual")) as running:
        yield running


@pytest.fixture
async def api(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


async def all_contacts(api: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/2.0/contact", params={"limit": 2000, **params})
    assert response.status_code == 200
    contacts: list[dict[str, Any]] = response.json()
    return contacts


async def test_delete_archives_and_restore_brings_back(
    api: httpx.AsyncClient, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    archived_before = {c["id"] for c in await all_contacts(api, show_archived="true")}
    assert archived_before == sandbox.state.archived["contact"]
    assert len(archived_before) == 3

    clock.advance(minutes=10)
    assert (await api.delete("/2.0/contact/5")).json() == {"success": True}
    assert 5 not in {c["id"] for c in await all_contacts(api)}
    assert {c["id"] for c in await all_contacts(api, show_archived="true")} == archived_before | {5}
    fetched = await api.get("/2.0/contact/5")
    assert fetched.status_code == 200
    assert fetched.json()["updated_at"] == "2026-06-18 14:10:00"
    search = await api.post("/2.0/contact/search", json=[{"field": "id", "value": 5, "criteria": "="}])
    assert search.json() == []

    clock.advance(minutes=5)
    assert (await api.patch("/2.0/contact/5/restore")).json() == {"success": True}
    assert 5 in {c["id"] for c in await all_contacts(api)}
    assert (await api.get("/2.0/contact/5")).json()["updated_at"] == "2026-06-18 14:15:00"


async def test_new_contacts_are_numbered_and_shaped_like_bexios(api: httpx.AsyncClient) -> None:
    response = await api.post("/2.0/contact", json={**NEW_CONTACT, "contact_group_ids": [1, 6]})
    assert response.status_code == 201
    contact = response.json()
    assert contact["nr"] == "000061"  # the demo company has 60
    assert contact["contact_group_ids"] == "1,6"
    assert (contact["name_2"], contact["postcode"], contact["address"], contact["country_id"]) == (
        "",
        "",
        None,
        None,
    )
    assert contact["profile_image"]
    assert contact["updated_at"] == "2026-06-18 14:00:00"
    second = (await api.post("/2.0/contact", json={**NEW_CONTACT, "contact_group_ids": "6"})).json()
    assert (second["nr"], second["contact_group_ids"]) == ("000062", "6")
    own = (await api.post("/2.0/contact", json={**NEW_CONTACT, "nr": "K-100"})).json()
    assert own["nr"] == "K-100"
    street = (
        await api.post("/2.0/contact", json={**NEW_CONTACT, "street_name": "Seestrasse", "house_number": "7"})
    ).json()
    assert street["address"] == "Seestrasse 7"


async def test_lists_leave_the_profile_image_out(api: httpx.AsyncClient) -> None:
    listed = await all_contacts(api)
    assert all("profile_image" not in contact for contact in listed)
    assert "profile_image" in (await api.get("/2.0/contact/1")).json()


async def test_empty_values_mix_empty_strings_and_nulls(api: httpx.AsyncClient) -> None:
    listed = await all_contacts(api)
    mail_second = {contact["mail_second"] for contact in listed}
    assert {"", None} <= mail_second


async def test_edits_bump_updated_at_for_incremental_polling(
    api: httpx.AsyncClient, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    contact_id = min(set(sandbox.state.tables["contact"]) - sandbox.state.archived["contact"] - {1})
    clock.advance(days=1)
    edited = await api.post(
        f"/2.0/contact/{contact_id}", json={"contact_group_ids": "6", "mail": "neu@example.ch"}
    )
    assert edited.status_code == 200
    assert (edited.json()["contact_group_ids"], edited.json()["updated_at"]) == ("6", "2026-06-19 14:00:00")
    changed = await api.post(
        "/2.0/contact/search",
        json=[{"field": "updated_at", "value": "2026-06-19 00:00:00", "criteria": ">="}],
    )
    assert [contact["id"] for contact in changed.json()] == [contact_id]


async def test_tests_may_change_the_state_directly(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    before = {c["id"]: c for c in await all_contacts(api)}
    assert before[2]["contact_group_ids"] != "13,31"
    sandbox.state.tables["contact"][2]["contact_group_ids"] = "13,31"
    sandbox.state.touch("contact", 2)
    after = {c["id"]: c for c in await all_contacts(api)}
    assert after[2]["contact_group_ids"] == "13,31"
    # bexio's `like` is a substring match on the comma string: group "3" matches "13,31".
    found = await api.post("/2.0/contact/search", json=[{"field": "contact_group_ids", "value": "3"}])
    assert 2 in {contact["id"] for contact in found.json()}


async def test_invalid_contacts_get_bexios_422(api: httpx.AsyncClient) -> None:
    async def errors(body: dict[str, Any], path: str = "/2.0/contact") -> list[str]:
        response = await api.post(path, json=body)
        assert response.status_code == 422
        assert response.json()["message"] == FORM_ERROR
        result: list[str] = response.json()["errors"]
        return result

    assert await errors({}) == [
        "contact_type_id: Pflichtfeld",
        "name_1: Pflichtfeld",
        "user_id: Pflichtfeld",
        "owner_id: Pflichtfeld",
    ]
    assert await errors({**NEW_CONTACT, "nickname": "x", "updated_at": "2026-01-01 00:00:00"}) == [
        "Widget schema does not include the following field(s): updated_at",
        'global: Unexpected extra form field named "nickname".',
    ]
    assert await errors(
        {**NEW_CONTACT, "user_id": 99, "contact_group_ids": "1,99", "contact_type_id": 3}
    ) == [
        "contact_type_id: Diese Eingabe ist nicht korrekt.",
        "contact_group_ids: Diese Eingabe ist nicht korrekt.",
        "user_id: Diese Eingabe ist nicht korrekt.",
    ]
    assert await errors({"name_1": ""}, "/2.0/contact/2") == ["name_1: Pflichtfeld"]
    malformed = await api.post(
        "/2.0/contact", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["error_code"]) == (400, 400)


async def test_bulk_create_is_all_or_nothing(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    count = len(sandbox.state.tables["contact"])
    refused = await api.post("/2.0/contact/_bulk_create", json=[NEW_CONTACT, {"name_1": "Ohne Typ"}])
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == "1 [contact_type_id: Pflichtfeld]"
    assert len(sandbox.state.tables["contact"]) == count
    created = await api.post(
        "/2.0/contact/_bulk_create", json=[NEW_CONTACT, {**NEW_CONTACT, "name_1": "Zwei AG"}]
    )
    assert created.status_code == 201
    assert [c["name_1"] for c in created.json()] == ["Muster Bau AG", "Zwei AG"]


async def test_contact_groups_are_plain_crud(api: httpx.AsyncClient) -> None:
    groups = (await api.get("/2.0/contact_group")).json()
    assert [g["name"] for g in groups] == [
        "Partner",
        "Lieferanten",
        "Benutzerdefinierte Kategorie 1",
        "Benutzerdefinierte Kategorie 2",
        "Kunden",
    ]
    created = (await api.post("/2.0/contact_group", json={"name": "Interessenten"})).json()
    assert created == {"id": 7, "name": "Interessenten"}
    assert (await api.post("/2.0/contact_group/7", json={"name": "Leads"})).json() == {
        "id": 7,
        "name": "Leads",
    }
    assert (await api.delete("/2.0/contact_group/7")).json() == {"success": True}
    assert (await api.get("/2.0/contact_group/7")).status_code == 404
    assert (await api.get("/2.0/contact_branch")).json() == []


async def test_empty_strings_clear_optional_fields(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/2.0/contact", json={**NEW_CONTACT, "country_id": "", "birthday": "", "city": ""}
    )
    assert created.status_code == 201
    assert (created.json()["country_id"], created.json()["birthday"], created.json()["city"]) == (
        None,
        None,
        "",
    )
