"""Issue 11 §10: an import reads every shape bexio documents, and an unreadable record costs only itself.

The same company is imported twice into two tenants: once as the sandbox stores it, once after its
records were rewritten into the other shapes bexio documents or is seen to send (integer
postcodes, a date-time project start with a time of day, an activity without a name, timesheets
saying ``allowable_bill: 1`` with ids as digit strings). Both imports must store the same values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from services.importing.summary import SkippedRecord
from storage.models import Activity, Customer, Project, TimeEntry
from tests.services.conftest import Importing

NULL_NAME_ACTIVITY = 3


async def snapshot(importing: Importing, tenant_id: int) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """What the import stored that bexio owns, by bexio id (local ids differ between tenants)."""
    async with importing.db.session(tenant_id) as session:
        customers = {
            c.bexio_id: (c.nr, c.name, c.postcode, c.city, c.group_ids, c.active)
            for c in await session.scalars(select(Customer))
        }
        projects = {
            p.bexio_id: (p.nr, p.name, p.start_date, p.end_date, p.active)
            for p in await session.scalars(select(Project))
        }
        activities = {
            a.bexio_id: (a.name, a.default_is_billable) for a in await session.scalars(select(Activity))
        }
        rows = await session.execute(
            select(
                TimeEntry.bexio_timesheet_id,
                TimeEntry.user_id.is_not(None),
                TimeEntry.project_id.is_not(None),
                TimeEntry.day,
                TimeEntry.minutes,
                TimeEntry.billable,
                TimeEntry.bexio_status_id,
                TimeEntry.rate,
            )
        )
        entries = {row[0]: tuple(row[1:]) for row in rows}
    return {"customers": customers, "projects": projects, "activities": activities, "entries": entries}


def rewrite_into_documented_shapes(importing: Importing) -> None:
    tables = importing.sandbox.state.tables
    profile = tables["company_profile"][1]
    tables["company_profile"][1] = {**profile, "postcode": int(profile["postcode"])}
    for contact_id, contact in tables["contact"].items():
        if contact_id % 2 and str(contact.get("postcode") or "").isdigit():
            contact["postcode"] = int(contact["postcode"])  # mixed: odd ids integer, even ids string
    for project in tables["pr_project"].values():
        if project.get("start_date"):
            project["start_date"] = project["start_date"][:10] + " 08:30:00"
    tables["client_service"][NULL_NAME_ACTIVITY]["name"] = None
    for sheet_id, sheet in tables["timesheet"].items():
        sheet["allowable_bill"] = 1 if sheet["allowable_bill"] else 0
        if sheet_id % 3 == 0:
            sheet["user_id"] = str(sheet["user_id"])
            sheet["client_service_id"] = str(sheet["client_service_id"])


async def test_every_documented_shape_is_read_and_stored_alike(importing: Importing) -> None:
    canonical = await importing.second_tenant()
    await importing.service.run(canonical)
    expected = await snapshot(importing, canonical)

    rewrite_into_documented_shapes(importing)
    summary = await importing.service.run(importing.tenant_id)

    assert summary.skipped == []
    assert summary.company_name == "Alpenblick Digital AG"
    stored = await snapshot(importing, importing.tenant_id)
    expected["activities"][NULL_NAME_ACTIVITY] = (
        f"Tätigkeit {NULL_NAME_ACTIVITY}",
        expected["activities"][NULL_NAME_ACTIVITY][1],
    )
    for kind in ("customers", "projects", "activities", "entries"):
        assert stored[kind] == expected[kind], kind
    assert any(entry[4] for entry in stored["entries"].values())  # billable ones read as billable
    assert all(isinstance(row[2], str) or row[2] is None for row in stored["customers"].values())
    starts = [row[2] for row in stored["projects"].values() if row[2] is not None]
    assert starts and all(type(start) is date for start in starts)


async def test_an_unreadable_contact_is_skipped_named_and_nothing_is_deactivated(
    importing: Importing,
) -> None:
    await importing.service.run(importing.tenant_id)
    before = await snapshot(importing, importing.tenant_id)
    contacts = importing.sandbox.state.tables["contact"]
    broken_id = next(cid for cid, row in before["customers"].items() if row[-1])
    contacts[broken_id] = {**contacts[broken_id], "contact_type_id": {"firma": True}, "name_1": "Renamed"}

    summary = await importing.service.run(importing.tenant_id)

    assert summary.skipped == [SkippedRecord("customers", broken_id, summary.skipped[0].reason)]
    assert "contact_type_id" in summary.skipped[0].reason
    assert summary.to_json()["skipped"] == [
        {"resource": "customers", "id": broken_id, "reason": summary.skipped[0].reason}
    ]
    assert summary.resources["customers"].deactivated == 0
    after = await snapshot(importing, importing.tenant_id)
    assert after["customers"][broken_id] == before["customers"][broken_id]  # left exactly as it was
    assert after == before


async def test_a_record_without_a_usable_id_retires_nothing_of_its_resource(importing: Importing) -> None:
    """A contact gone from bexio is normally deactivated; while a record without an id was skipped
    in the same list, it could be that contact, so nothing is."""
    await importing.service.run(importing.tenant_id)
    before = await snapshot(importing, importing.tenant_id)
    contacts = importing.sandbox.state.tables["contact"]
    gone = next(cid for cid, row in before["customers"].items() if row[-1])
    template = contacts.pop(gone)
    contacts[0] = {**template, "id": 0}  # an id bexio never gives: unusable

    summary = await importing.service.run(importing.tenant_id)

    assert [(s.resource, s.id) for s in summary.skipped] == [("customers", None)]
    assert summary.resources["customers"].deactivated == 0
    assert (await snapshot(importing, importing.tenant_id))["customers"][gone][-1] is True

    del contacts[0]
    summary = await importing.service.run(importing.tenant_id)
    assert summary.skipped == []
    assert summary.resources["customers"].deactivated == 1  # the next clean run does retire it
