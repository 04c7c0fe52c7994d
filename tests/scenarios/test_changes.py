"""Change processing end to end (issue 7 §3, §4, §10): a signed notification to the real server,
the stack's worker runs the ``change.process`` job against the bexio sandbox, and the database,
the sandbox's recorded calls and the fake Slack show what happened.

bexio data is changed the way bexio would change it, by editing ``sandbox.state`` directly.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bexio.pacing import Pacer
from bexio.sandbox import RunningSandbox, build_state
from bexio.testing import FakeTime
from bxhours.fakes.invoicing_seed import SeededCompany, WorkLog, mirror_sandbox
from bxhours.fakes.stack import ANDREA, Stack
from core.dates import end_of_last_month
from services.invoicing import InvoiceRequest, Selection
from storage.models import Customer, Expense, Invoice, Job, Project, TimeEntry
from tests.invoicing_fixtures import PERSON_RATES, SLACK_IDS
from tests.scenarios.test_webhook import http, post_signed
from webhooks.notifications import CHANGE_JOB

__all__ = ["http"]

TIMESHEETS = 60


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo", timesheets=TIMESHEETS)


# --- helpers ---------------------------------------------------------------------------------------


async def notify(http: httpx.AsyncClient, stack: Stack, *notes: dict[str, Any]) -> None:
    """Send the notifications signed, then wait until the worker has run every job."""
    body = json.dumps(list(notes) if len(notes) > 1 else notes[0]).encode()
    response = await post_signed(http, stack, body)
    assert response.status_code == 202, response.text
    await settle(stack)


async def settle(stack: Stack) -> None:
    for _ in range(400):
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("change jobs did not finish")


def api_calls(sandbox: RunningSandbox) -> list[str]:
    """bexio API calls since the last reset, as "METHOD route"."""
    return [
        f"{call.method} {call.route or call.path}"
        for call in sandbox.state.calls
        if call.path.startswith(("/2.0/", "/3.0/", "/4.0/"))
    ]


async def change_jobs(stack: Stack) -> list[Job]:
    async with stack.runtime.db.system_session() as session:
        return list(await session.scalars(select(Job).where(Job.kind == CHANGE_JOB).order_by(Job.id)))


@pytest.fixture
def fake_time(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """bexio's pacing (50 searches spread under its 250/min limit) and the client's retry backoff
    on a fake clock: the test checks what is called, not how long bexio asks bxhours to wait."""
    fake = FakeTime()
    access = stack.runtime.services.bexio
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    original = access.client
    monkeypatch.setattr(access, "pacer", lambda tenant_id: pacer)
    monkeypatch.setattr(
        access, "client", lambda tenant_id, **options: original(tenant_id, sleep=fake.sleep, **options)
    )
    return fake


@pytest.fixture
async def imported(stack: Stack, sandbox: RunningSandbox) -> Stack:
    """The stack after a full import of the sandbox company; the sandbox's call log starts empty."""
    await stack.runtime.services.importer.run(stack.tenant_id)
    sandbox.state.reset_calls()
    return stack


# --- contacts and projects -------------------------------------------------------------------------


async def test_changed_contact_is_refreshed_alone_with_at_most_two_calls(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    async with imported.runtime.db.session(imported.tenant_id) as session:
        customer = await session.scalar(select(Customer).where(Customer.active.is_(True)).limit(1))
    assert customer is not None and customer.bexio_id is not None
    contact = sandbox.state.tables["contact"][customer.bexio_id]
    sandbox.state.tables["contact"][customer.bexio_id] = {**contact, "name_1": "Neuer Name AG"}
    sandbox.state.touch("contact", customer.bexio_id)

    await notify(http, imported, {"resource": "contact", "id": customer.bexio_id, "action": "updated"})

    calls = api_calls(sandbox)
    assert 1 <= len(calls) <= 2, calls
    assert all("/2.0/contact" in call for call in calls)
    async with imported.runtime.db.session(imported.tenant_id) as session:
        refreshed = await session.get(Customer, customer.id)
        assert refreshed is not None and refreshed.name == "Neuer Name AG"
    [job] = await change_jobs(imported)
    assert job.status == "done"
    assert job.result is not None
    assert job.result["resource"] == "contact" and job.result["id"] == customer.bexio_id
    assert job.result["changes"]["customers"]["updated"] == 1
    assert job.result["bexio_calls"] == len(calls)


async def test_archived_contact_becomes_an_inactive_customer(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    async with imported.runtime.db.session(imported.tenant_id) as session:
        customer = await session.scalar(select(Customer).where(Customer.active.is_(True)).limit(1))
    assert customer is not None and customer.bexio_id is not None
    sandbox.state.archived["contact"].add(customer.bexio_id)  # what deleting a contact does in bexio
    await notify(http, imported, {"resource": "contact", "id": customer.bexio_id, "action": "deleted"})
    async with imported.runtime.db.session(imported.tenant_id) as session:
        refreshed = await session.get(Customer, customer.id)
        assert refreshed is not None and refreshed.active is False


async def test_deleted_project_becomes_inactive(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    del sandbox.state.tables["pr_project"][3]
    await notify(http, imported, {"resource": "project", "id": 3, "action": "deleted"})
    async with imported.runtime.db.session(imported.tenant_id) as session:
        project = await session.scalar(select(Project).where(Project.bexio_id == 3))
        others = list(await session.scalars(select(Project).where(Project.bexio_id != 3)))
    assert project is not None and not project.active
    assert project.inactive_reason == "archived or deleted in bexio"
    assert others and all(
        other.active for other in others if other.bexio_id in sandbox.state.tables["pr_project"]
    )
    assert "GET /2.0/pr_project/{id}" in api_calls(sandbox)


async def test_burst_of_10k_notifications_about_50_contacts_reads_each_once(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox, fake_time: FakeTime
) -> None:
    contact_ids = sorted(sandbox.state.tables["contact"])[:50]
    assert len(contact_ids) == 50
    notes = [{"resource": "contact", "id": contact_ids[i % 50], "action": "updated"} for i in range(10_000)]
    # The worker runs throughout: the flood takes longer than a re-read, and every contact is
    # named again every few milliseconds. Debouncing holds each job until its contact is quiet.
    bodies = [json.dumps(notes[i : i + 100]).encode() for i in range(0, len(notes), 100)]
    responses = []
    for start in range(0, len(bodies), 10):
        responses += await asyncio.gather(
            *(post_signed(http, imported, body) for body in bodies[start : start + 10])
        )
        await asyncio.sleep(0.02)
    assert {response.status_code for response in responses} == {202}
    assert sum(response.json()["accepted"] for response in responses) == 10_000
    assert len(await change_jobs(imported)) == 50
    await settle(imported)
    contact_reads = [call for call in api_calls(sandbox) if "/2.0/contact" in call]
    assert len(contact_reads) <= 50, contact_reads
    assert {job.status for job in await change_jobs(imported)} == {"done"}


async def test_activity_notifications_share_one_whole_list_job(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    activities = sandbox.state.tables["client_service"]
    first = min(activities)
    activities[first] = {**activities[first], "name": "Beratung neu"}
    imported.runtime.worker.concurrency = 0
    notes = [
        {"resource": "business_activity", "id": activity, "action": "updated"} for activity in activities
    ]
    response = await post_signed(http, imported, json.dumps(notes).encode())
    assert response.json() == {"accepted": len(activities), "jobs": 1}
    imported.runtime.worker.concurrency = 2
    imported.runtime.worker.wake()
    await settle(imported)
    assert api_calls(sandbox) == ["GET /2.0/client_service"]
    [job] = await change_jobs(imported)
    assert job.result is not None and job.result["changes"]["activities"]["updated"] == 1


# --- timesheets ------------------------------------------------------------------------------------


async def _entry(stack: Stack, timesheet_id: int) -> TimeEntry | None:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        return await session.scalar(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == timesheet_id))


async def test_timesheet_edited_in_bexio_updates_its_entry(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    timesheets = sandbox.state.tables["timesheet"]
    timesheet_id = next(tid for tid, ts in timesheets.items() if ts.get("date"))
    before = await _entry(imported, timesheet_id)
    assert before is not None and before.source == "bexio"
    timesheets[timesheet_id] = {**timesheets[timesheet_id], "text": "edited in bexio", "duration": "3:45"}
    await notify(http, imported, {"resource": "timesheet", "id": timesheet_id, "action": "updated"})
    after = await _entry(imported, timesheet_id)
    assert after is not None and after.id == before.id
    assert (after.note, after.minutes) == ("edited in bexio", 225)
    assert (after.rate, after.rate_source) == (
        before.rate,
        before.rate_source,
    )  # same project, activity, person
    assert api_calls(sandbox) == ["GET /2.0/timesheet/{id}"]


async def test_timesheet_deleted_in_bexio_removes_only_its_open_imported_entry(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    timesheets = sandbox.state.tables["timesheet"]
    gone, written_back = sorted(tid for tid, ts in timesheets.items() if ts.get("date"))[:2]
    async with imported.runtime.db.session(imported.tenant_id) as session:
        entry = await session.scalar(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == written_back))
        assert entry is not None
        entry.source = "slack"  # logged in Slack and written back to bexio: bexio is not its source
    del timesheets[gone], timesheets[written_back]
    await notify(
        http,
        imported,
        {"resource": "timesheet", "id": gone, "action": "deleted"},
        {"resource": "timesheet", "id": written_back, "action": "deleted"},
    )
    assert await _entry(imported, gone) is None
    kept = await _entry(imported, written_back)
    assert kept is not None and kept.source == "slack"
    results = [job.result for job in await change_jobs(imported)]
    assert [r["changes"]["timesheets"]["deactivated"] for r in results if r] == [1, 0]


# --- failures --------------------------------------------------------------------------------------


async def test_refused_token_parks_the_job_with_a_clear_message(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.script("GET /2.0/pr_project/{id}", [401, 401, 401])
    await notify(http, imported, {"resource": "project", "id": 3})
    [job] = await change_jobs(imported)
    assert job.status == "failed"
    assert job.last_error is not None and "expired or was revoked" in job.last_error


async def test_bexio_down_is_retried_later(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox, fake_time: FakeTime
) -> None:
    sandbox.state.faults.script("GET /2.0/pr_project/{id}", [503] * 10)
    body = json.dumps({"resource": "project", "id": 3}).encode()
    assert (await post_signed(http, imported, body)).status_code == 202
    for _ in range(400):
        [job] = await change_jobs(imported)
        if job.attempts >= 1 and job.status == "queued":
            break
        await asyncio.sleep(0.025)
    assert job.status == "queued" and job.last_error is not None  # waiting for its backoff
    assert job.run_at is not None


# --- invoices --------------------------------------------------------------------------------------


@pytest.fixture
async def company(stack: Stack, sandbox: RunningSandbox) -> SeededCompany:
    return await mirror_sandbox(
        stack.runtime.db, stack.tenant_id, sandbox.state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES
    )


async def _draft(stack: Stack, sandbox: RunningSandbox, company: SeededCompany) -> tuple[Invoice, list[int]]:
    """Andrea invoices three entries and an expense of project 1; returns the invoice once in bexio."""
    end = end_of_last_month(stack.runtime.services.invoicing.today())
    work = WorkLog(stack.runtime.db, stack.tenant_id)
    entries = [
        await work.entry(
            user_id=company.users[1],
            project_id=company.projects[1],
            activity_id=company.activities[4],
            day=date(end.year, end.month, day),
            minutes=60 * day,
        )
        for day in (1, 2, 3)
    ]
    await work.expense(
        user_id=company.users[1],
        project_id=company.projects[1],
        category_id=company.categories["Reisekosten"],
        day=date(end.year, end.month, 4),
        amount=Decimal("42.00"),
    )
    customer = company.customers[sandbox.state.tables["pr_project"][1]["contact_id"]]
    submitted = await stack.runtime.services.invoicing.submit(
        stack.tenant_id, InvoiceRequest(Selection(customer, period_to=end), actor=ANDREA)
    )
    await settle(stack)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        invoice = await session.get(Invoice, submitted.invoice_id)
    assert invoice is not None and invoice.status == "created" and invoice.bexio_id is not None
    sandbox.state.reset_calls()
    return invoice, entries


async def _items(stack: Stack, invoice_id: int) -> tuple[list[tuple[str, int | None]], list[str]]:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        entries = [(e.status, e.invoice_id) for e in await session.scalars(select(TimeEntry))]
        expenses = [e.status for e in await session.scalars(select(Expense))]
    return entries, expenses


async def test_draft_deleted_in_bexio_unbills_its_items_and_tells_its_creator(
    http: httpx.AsyncClient, stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    invoice, _entries = await _draft(stack, sandbox, company)
    assert (await _items(stack, invoice.id)) == ([("billed", invoice.id)] * 3, ["billed"])
    assert invoice.bexio_id is not None
    del sandbox.state.tables["kb_invoice"][invoice.bexio_id]
    dms = len(stack.fake.dm_messages(ANDREA))

    await notify(http, stack, {"resource": "invoice", "id": invoice.bexio_id, "action": "deleted"})

    assert (await _items(stack, invoice.id)) == ([("open", None)] * 3, ["open"])
    async with stack.runtime.db.session(stack.tenant_id) as session:
        row = await session.get(Invoice, invoice.id)
    assert row is not None and row.status == "deleted"
    await stack.fake.wait_for("chat.postMessage", lambda call: "deleted in bexio" in str(call.params))
    texts = [message["text"] for message in stack.fake.dm_messages(ANDREA)[dms:]]
    assert texts == [
        f"Draft {invoice.document_nr} was deleted in bexio: its 3 entries and 1 expense are unbilled again."
    ]
    assert api_calls(sandbox) == ["GET /2.0/kb_invoice/{id}"]

    # Told again (a retried job, the poller): nothing more happens, and bexio is not asked again.
    await notify(http, stack, {"resource": "invoice", "id": invoice.bexio_id, "action": "deleted"})
    assert len(stack.fake.dm_messages(ANDREA)) == dms + 1
    assert api_calls(sandbox) == ["GET /2.0/kb_invoice/{id}"]


async def test_invoice_cancelled_in_bexio_is_released_too(
    http: httpx.AsyncClient, stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    invoice, _entries = await _draft(stack, sandbox, company)
    assert invoice.bexio_id is not None
    sandbox.state.tables["kb_invoice"][invoice.bexio_id]["kb_item_status_id"] = 19
    sandbox.state.touch("kb_invoice", invoice.bexio_id)
    await notify(http, stack, {"resource": "invoice", "id": invoice.bexio_id})
    assert (await _items(stack, invoice.id)) == ([("open", None)] * 3, ["open"])
    async with stack.runtime.db.session(stack.tenant_id) as session:
        row = await session.get(Invoice, invoice.id)
    assert row is not None and (row.status, row.bexio_status_id) == ("cancelled", 19)
    await stack.fake.wait_for("chat.postMessage", lambda call: "cancelled in bexio" in str(call.params))


async def test_issued_and_paid_invoice_shows_paid_on_the_home(
    http: httpx.AsyncClient, stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    invoice, _entries = await _draft(stack, sandbox, company)
    assert invoice.bexio_id is not None
    headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as bexio:
        path = f"/2.0/kb_invoice/{invoice.bexio_id}"
        assert (await bexio.post(f"{path}/issue")).status_code == 200
        await notify(http, stack, {"resource": "invoice", "id": invoice.bexio_id})
        total = (await bexio.get(path)).json()["total"]
        payment = await bexio.post(f"{path}/payment", json={"date": "2026-06-20", "value": total})
        assert payment.status_code == 201
    await notify(http, stack, {"resource": "invoice", "id": invoice.bexio_id})

    async with stack.runtime.db.session(stack.tenant_id) as session:
        row = await session.get(Invoice, invoice.id)
    assert row is not None and (row.status, row.bexio_status_id) == ("created", 9)
    assert (await _items(stack, invoice.id))[0] == [("billed", invoice.id)] * 3  # paid work stays billed
    results = [job.result for job in await change_jobs(stack)]
    assert [r["changes"]["invoices"][str(invoice.bexio_id)]["changes"] for r in results if r] == [
        ["bexio_status_id 7 → 8"],
        ["bexio_status_id 8 → 9"],
    ]
    published = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", count=published + 1)
    home = str(stack.fake.home[ANDREA]["blocks"])
    assert "Your invoices" in home
    assert f"{invoice.document_nr}>* paid ✓" in home


async def test_invoice_bxhours_did_not_create_is_ignored_without_a_call(
    http: httpx.AsyncClient, stack: Stack, sandbox: RunningSandbox
) -> None:
    sandbox.state.reset_calls()
    await notify(http, stack, {"resource": "invoice", "id": 4242, "action": "updated"})
    assert api_calls(sandbox) == []
    [job] = await change_jobs(stack)
    assert job.status == "done" and job.result is not None
    assert job.result == {"resource": "invoice", "id": 4242, "changes": {"invoices": {}}, "bexio_calls": 0}


# --- rates ---------------------------------------------------------------------------------------


async def test_a_rate_changed_in_bexio_applies_to_new_entries_and_logged_ones_keep_theirs(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    async with imported.runtime.db.session(imported.tenant_id) as session:
        project = await session.scalar(
            select(Project).where(Project.invoice_type == 1, Project.active.is_(True)).limit(1)
        )
    assert project is not None  # billed per activity: the activity's bexio rate applies
    activities = sandbox.state.tables["client_service"]
    umsetzung = next(i for i, a in activities.items() if a["name"] == "Umsetzung")
    old = Decimal(str(activities[umsetzung]["default_price_per_hour"]))

    async def log_hour() -> str:
        before = len(imported.fake.hooks)
        response = await imported.slack.command("/log-hours", f"1h {project.nr} / Umsetzung", user_id=ANDREA)
        assert response.status == 200
        reply = await imported.fake.wait_for_hook(
            lambda b: any(b is h for _p, h in imported.fake.hooks[before:])
        )
        return str(reply["text"])

    first = await log_hour()
    assert first.endswith(f"CHF {old:.2f} billable"), first
    activities[umsetzung] = {**activities[umsetzung], "default_price_per_hour": float(old + 30)}
    await notify(http, imported, {"resource": "business_activity", "id": umsetzung, "action": "updated"})
    second = await log_hour()
    assert second.endswith(f"CHF {old + 30:.2f} billable"), second
    async with imported.runtime.db.session(imported.tenant_id) as session:
        rates = list(
            await session.scalars(
                select(TimeEntry.rate).where(TimeEntry.source != "bexio").order_by(TimeEntry.id)
            )
        )
    assert rates == [old, old + 30]
