"""The import service on its own: tenants kept apart, what bexio may and may not change, one record at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bexio.sandbox.seed import KUNDEN_GROUP_ID
from services.importing.service import UnknownResource
from storage.models import Customer, Project, TimeEntry, User
from tests.services.conftest import Importing

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def count(importing: Importing, tenant_id: int, model: Any, *conditions: Any) -> int:
    async with importing.db.session(tenant_id) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def replace(importing: Importing, table: str, record_id: int, **changes: Any) -> None:
    records = importing.sandbox.state.tables[table]
    records[record_id] = {**records[record_id], **changes}


async def test_tenants_are_kept_apart(importing: Importing) -> None:
    other = await importing.second_tenant()
    first = await importing.service.run(importing.tenant_id)
    second = await importing.service.run(other)
    assert first.to_json() | {"seconds": 0} == second.to_json() | {"seconds": 0}
    customer = await _a_customer(importing, importing.tenant_id)
    importing.sandbox.state.archived["contact"].add(customer)
    again = await importing.service.run(importing.tenant_id)
    assert again.resources["customers"].deactivated == 1
    assert await count(importing, importing.tenant_id, Customer, Customer.active.is_(False)) == 1
    assert await count(importing, other, Customer, Customer.active.is_(False)) == 0
    total = await count(importing, importing.tenant_id, TimeEntry)
    assert (
        await count(importing, other, TimeEntry) == total == len(importing.sandbox.state.tables["timesheet"])
    )


async def test_customers_created_in_bxhours_are_left_alone(importing: Importing) -> None:
    async with importing.db.session(importing.tenant_id) as session:
        session.add(Customer(name="Neukunde GmbH", created_in_bxhours=True, active=True, updated_at=NOW))
    await importing.service.run(importing.tenant_id)
    summary = await importing.service.run(importing.tenant_id)
    assert summary.changed == 0
    assert (
        await count(
            importing, importing.tenant_id, Customer, Customer.bexio_id.is_(None), Customer.active.is_(True)
        )
        == 1
    )


async def test_invoiced_entries_are_not_changed_or_removed_by_bexio(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    async with importing.db.session(importing.tenant_id) as session:
        for timesheet_id in (1, 2):
            entry = await session.scalar(
                select(TimeEntry).where(TimeEntry.bexio_timesheet_id == timesheet_id)
            )
            assert entry is not None
            entry.status = "billed"
    minutes = importing.sandbox.state.tables["timesheet"][1]["duration"]
    replace(importing, "timesheet", 1, duration="9:45", tracking={"type": "duration", "duration": "09:45"})
    replace(importing, "timesheet", 3, text="korrigiert in bexio")
    del importing.sandbox.state.tables["timesheet"][2]
    summary = await importing.service.run(importing.tenant_id)
    assert summary.resources["timesheets"].updated == 1  # only the open entry 3
    assert summary.resources["timesheets"].deactivated == 0  # 2 is on an invoice: it stays
    async with importing.db.session(importing.tenant_id) as session:
        first = await session.scalar(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == 1))
        third = await session.scalar(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == 3))
    assert first is not None and first.minutes != 9 * 60 + 45 and minutes != "9:45"
    assert third is not None and third.note == "korrigiert in bexio"
    assert await count(importing, importing.tenant_id, TimeEntry, TimeEntry.bexio_timesheet_id == 2) == 1


async def test_timesheet_deleted_in_bexio_is_removed_while_open(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    del importing.sandbox.state.tables["timesheet"][5]
    summary = await importing.service.run(importing.tenant_id)
    assert summary.resources["timesheets"].deactivated == 1
    assert await count(importing, importing.tenant_id, TimeEntry, TimeEntry.bexio_timesheet_id == 5) == 0


async def test_a_rate_is_kept_until_the_entry_moves(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    entry = await _entry_of_invoice_type(importing, 1)
    rate_before = entry.rate
    await importing.service.settings.set(
        importing.tenant_id, "activity_rate:Administration", "999", actor="t"
    )
    await importing.service.settings.set(importing.tenant_id, "activity_rate:Meeting", "999", actor="t")
    await importing.service.settings.set(importing.tenant_id, "activity_rate:Umsetzung", "999", actor="t")
    await importing.service.settings.set(importing.tenant_id, "activity_rate:Allgemein", "999", actor="t")
    await importing.service.settings.set(
        importing.tenant_id, "activity_rate:Projekt Management", "999", actor="t"
    )
    summary = await importing.service.run(importing.tenant_id)
    assert summary.changed == 0  # a setting changed, not bexio: stored work is not re-priced
    kept = await _entry(importing, entry.bexio_timesheet_id)
    assert kept.rate == rate_before
    timesheet = importing.sandbox.state.tables["timesheet"][entry.bexio_timesheet_id]
    other_activity = 2 if timesheet["client_service_id"] != 2 else 3
    replace(importing, "timesheet", timesheet["id"], client_service_id=other_activity)
    summary = await importing.service.run(importing.tenant_id)
    assert summary.resources["timesheets"].updated == 1
    moved = await _entry(importing, entry.bexio_timesheet_id)
    assert moved.rate == Decimal("999.00") and moved.rate_source == "activity_setting"


async def test_one_contact_is_reread_with_one_bexio_call(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    contact_id = await _a_customer(importing, importing.tenant_id)
    replace(importing, "contact", contact_id, name_1="Umbenannt AG")
    importing.sandbox.state.reset_calls()
    summary = await importing.service.import_contact(importing.tenant_id, contact_id)
    api_calls = [c for c in importing.sandbox.state.calls if c.path.startswith("/2.0")]
    assert [(c.method, c.path) for c in api_calls] == [("POST", "/2.0/contact/search")]
    assert summary.resources["customers"].updated == 1
    assert summary.resources["customers"].created == 0
    async with importing.db.session(importing.tenant_id) as session:
        assert (
            await session.scalar(select(Customer.name).where(Customer.bexio_id == contact_id))
            == "Umbenannt AG"
        )
    importing.sandbox.state.archived["contact"].add(contact_id)
    summary = await importing.service.import_contact(importing.tenant_id, contact_id)
    assert summary.resources["customers"].deactivated == 1
    assert (
        await count(importing, importing.tenant_id, Customer, Customer.active.is_(True))
        == summary.resources["customers"].total
    )


async def test_a_contact_that_moves_the_rule_rereads_every_contact(importing: Importing) -> None:
    contacts = importing.sandbox.state.tables["contact"]
    archived = importing.sandbox.state.archived["contact"]
    active = sorted(cid for cid in contacts if cid not in archived)
    for position, contact_id in enumerate(active):
        replace(
            importing, "contact", contact_id, contact_group_ids=str(KUNDEN_GROUP_ID) if position < 9 else None
        )
    first = await importing.service.run(importing.tenant_id)
    assert first.customer_rule == "all"
    replace(importing, "contact", active[20], contact_group_ids=str(KUNDEN_GROUP_ID))  # the tenth
    importing.sandbox.state.reset_calls()
    summary = await importing.service.import_contact(importing.tenant_id, active[20])
    assert summary.customer_rule == "tagged"
    assert summary.resources["customers"].total == 10
    assert importing.sandbox.state.calls_to("GET", "/2.0/contact")  # the whole list was read again


async def test_one_project_is_reread_with_two_bexio_calls(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    replace(importing, "pr_project", 4, name="Neuer Name 4")
    importing.sandbox.state.reset_calls()
    summary = await importing.service.import_project(importing.tenant_id, 4)
    calls = [f"{c.method} {c.path}" for c in importing.sandbox.state.calls]
    assert calls == ["GET /2.0/pr_project/4", "POST /2.0/pr_project/search"]  # state and type names known
    assert summary.resources["projects"].updated == 1
    importing.sandbox.state.archived["pr_project"].add(4)
    summary = await importing.service.import_project(importing.tenant_id, 4)
    assert summary.resources["projects"].deactivated == 1
    del importing.sandbox.state.tables["pr_project"][5]
    summary = await importing.service.import_project(importing.tenant_id, 5)
    assert summary.resources["projects"].deactivated == 1
    async with importing.db.session(importing.tenant_id) as session:
        gone = list(await session.scalars(select(Project).where(Project.bexio_id.in_([4, 5]))))
    assert [p.active for p in gone] == [False, False]


async def test_one_project_in_a_state_bxhours_has_not_seen_reads_the_state_list(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    states = importing.sandbox.state.tables["pr_project_state"]
    state_id = max(states) + 1
    states[state_id] = {"id": state_id, "name": "Pausiert"}
    replace(importing, "pr_project", 4, pr_state_id=state_id)
    importing.sandbox.state.reset_calls()
    await importing.service.import_project(importing.tenant_id, 4)
    assert [c.path for c in importing.sandbox.state.calls].count("/2.0/pr_project_state") == 1
    async with importing.db.session(importing.tenant_id) as session:
        project = await session.scalar(select(Project).where(Project.bexio_id == 4))
    assert project is not None and project.state_name == "Pausiert"


async def test_one_resource_by_bexio_name(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    replace(importing, "user", 4, lastname="Neuname")
    summary = await importing.service.import_resource(importing.tenant_id, "user")
    assert list(summary.resources) == ["users"]
    assert summary.resources["users"].updated == 1
    with pytest.raises(UnknownResource, match="unknown resource 'invoices'"):
        await importing.service.import_resource(importing.tenant_id, "invoices")


async def test_superadmin_in_bexio_is_admin_here(importing: Importing) -> None:
    await importing.service.run(importing.tenant_id)
    async with importing.db.session(importing.tenant_id) as session:
        roles = {u.bexio_id: u.role for u in await session.scalars(select(User))}
    assert roles[1] == "admin"
    assert {role for bexio_id, role in roles.items() if bexio_id != 1} == {"member"}


async def test_unreadable_timesheet_is_skipped_and_its_entry_kept(importing: Importing) -> None:
    """Issue 11 §2: one unreadable record costs that record, never the import — and is not gone."""
    await importing.service.run(importing.tenant_id)
    before = await count(importing, importing.tenant_id, TimeEntry)
    kept = await _entry(importing, 7)
    replace(importing, "timesheet", 7, duration="soon")
    summary = await importing.service.run(importing.tenant_id)
    assert [(s.resource, s.id) for s in summary.skipped] == [("timesheets", 7)]
    assert "soon" in summary.skipped[0].reason
    assert summary.to_json()["skipped"] == [
        {"resource": "timesheets", "id": 7, "reason": summary.skipped[0].reason}
    ]
    assert summary.resources["timesheets"].deactivated == 0
    assert await count(importing, importing.tenant_id, TimeEntry) == before
    assert (await _entry(importing, 7)).minutes == kept.minutes


async def test_company_is_recorded_on_the_tenant(importing: Importing) -> None:
    summary = await importing.service.run(importing.tenant_id)
    tenant = await importing.tenants.get(importing.tenant_id)
    assert tenant is not None
    assert tenant.bexio_company_name == "Alpenblick Digital AG" == summary.company_name
    assert tenant.bexio_company_id == importing.sandbox.state.company_id == summary.company_id


async def _a_customer(importing: Importing, tenant_id: int) -> int:
    async with importing.db.session(tenant_id) as session:
        found = await session.scalar(
            select(Customer.bexio_id).where(Customer.active.is_(True)).order_by(Customer.bexio_id)
        )
    assert found is not None
    return found


async def _entry(importing: Importing, timesheet_id: int | None) -> TimeEntry:
    async with importing.db.session(importing.tenant_id) as session:
        entry = await session.scalar(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == timesheet_id))
    assert entry is not None
    return entry


async def _entry_of_invoice_type(importing: Importing, invoice_type: int) -> TimeEntry:
    async with importing.db.session(importing.tenant_id) as session:
        entry = await session.scalar(
            select(TimeEntry)
            .join(Project, Project.id == TimeEntry.project_id)
            .where(Project.invoice_type == invoice_type, TimeEntry.rate.is_not(None))
            .order_by(TimeEntry.id)
        )
    assert entry is not None
    return entry


def test_offered_for_invoicing() -> None:
    from services.importing.invoicing import offered_for_invoicing

    since = date(2026, 1, 1)
    assert offered_for_invoicing("slack", date(2020, 1, 1), None)
    assert not offered_for_invoicing("bexio", date(2026, 6, 1), None)
    assert offered_for_invoicing("bexio", date(2026, 1, 1), since)
    assert not offered_for_invoicing("bexio", date(2025, 12, 31), since)
