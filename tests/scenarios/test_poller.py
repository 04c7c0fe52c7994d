"""The change poller (issue 7 §5, §10): bexio changes become queued ``change.process`` jobs.

The whole service runs against the bexio sandbox on one manual clock, shared by bxhours' job queue
and the sandbox (whose ``updated_at`` stamps follow it), so "one interval later" is a clock move,
not a sleep. Poll jobs run through a worker holding only the poller's handlers: the change jobs
they queue stay visible (their processing is tested elsewhere).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bexio.fields import BEXIO_TZ
from bexio.payloads import InvoiceCreate
from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bexio.sandbox.state import RecordedCall
from bxhours.fakes.stack import Stack, run_stack
from core.changes import CHANGE_JOB
from core.clock import ManualClock
from services.bexio_access import BexioConfig
from services.changes.poller import ChangePoller
from services.changes.schedule import POLL_CHANGES, POLL_FULL, schedule_polls
from services.importing.runs import IMPORT_JOB
from services.invoicing import INVOICE_PUSH
from storage.db import Database
from storage.jobs import QUEUED
from storage.models import Customer, Invoice, Job, Project, SyncCursor, TimeEntry
from webhooks.worker import Worker

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Zurich (CET)
PAGE = 2  # timesheets per page, so paging is visible with a handful of new ones


@dataclass
class Polling:
    stack: Stack
    sandbox: RunningSandbox
    clock: ManualClock
    poller: ChangePoller
    worker: Worker

    @property
    def tenant_id(self) -> int:
        return self.stack.tenant_id

    @property
    def db(self) -> Database:
        return self.stack.runtime.db

    @property
    def tables(self) -> dict[str, dict[int, dict[str, Any]]]:
        return self.sandbox.state.tables

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    async def run(self) -> int:
        return await self.worker.run_until_idle()

    async def jobs(self, kind: str, *, status: str | None = None) -> list[Job]:
        async with self.db.system_session() as session:
            query = select(Job).where(Job.kind == kind).order_by(Job.id)
            if status is not None:
                query = query.where(Job.status == status)
            return list(await session.scalars(query))

    async def change_jobs(self, after: int = 0) -> list[tuple[str | None, dict[str, Any]]]:
        return [(job.dedup_key, job.payload) for job in await self.jobs(CHANGE_JOB) if job.id > after]

    async def last_job_id(self) -> int:
        async with self.db.system_session() as session:
            return int(await session.scalar(select(func.max(Job.id))) or 0)

    async def cursor(self, resource: str) -> SyncCursor:
        async with self.db.session(self.tenant_id) as session:
            row = await session.scalar(select(SyncCursor).where(SyncCursor.resource == resource))
            assert row is not None
            return row

    def calls(self, method: str, path: str) -> list[RecordedCall]:
        return [c for c in self.sandbox.state.calls if c.method == method and c.path == path]

    async def a_customer(self) -> int:
        async with self.db.session(self.tenant_id) as session:
            bexio_id = await session.scalar(
                select(Customer.bexio_id)
                .where(Customer.active.is_(True), Customer.bexio_id.is_not(None))
                .order_by(Customer.bexio_id)
                .limit(1)
            )
            assert bexio_id is not None
            return bexio_id

    def change_contact(self, contact_id: int, name: str) -> str:
        self.tables["contact"][contact_id]["name_1"] = name
        self.sandbox.state.touch("contact", contact_id)
        return str(self.tables["contact"][contact_id]["updated_at"])


@pytest.fixture
async def polling(database_url: str, db: Database) -> AsyncIterator[Polling]:
    """Imported once, then both polls seeded and run: every cursor has its starting point."""
    clock = ManualClock(START)
    async with (
        serve_sandbox(build_state("demo", timesheets=300, clock=clock)) as sandbox,
        run_stack(
            database_url,
            bexio_url=sandbox.url,
            bexio_token=sandbox.token,
            now=clock.now,
            with_worker=False,
        ) as stack,
    ):
        services = stack.runtime.services
        await services.importer.run(stack.tenant_id)
        poller = ChangePoller(services.importer, services.queue, timesheet_page_size=PAGE)
        worker = Worker(
            services.queue, {POLL_CHANGES: poller.run_changes_job, POLL_FULL: poller.run_full_job}
        )
        polling = Polling(stack, sandbox, clock, poller, worker)
        await schedule_polls(services.queue, stack.tenant_id)
        assert await polling.run() == 2
        yield polling


def zurich(instant: datetime) -> str:
    return instant.astimezone(BEXIO_TZ).strftime("%Y-%m-%d %H:%M:%S")


async def test_a_contact_changed_in_bexio_is_queued_within_one_interval(polling: Polling) -> None:
    before = await polling.last_job_id()
    contact_id = await polling.a_customer()

    polling.advance(30)
    polling.change_contact(contact_id, "Umbenannt AG")
    assert await polling.run() == 0, "the next poll is due one interval (60 s) after the last"

    polling.advance(30)
    assert await polling.run() == 1
    assert await polling.change_jobs(after=before) == [
        (f"contact:{contact_id}", {"resource": "contact", "id": contact_id, "action": "updated"})
    ]


async def test_the_watermark_advances_and_the_search_reaches_back_by_the_margin(polling: Polling) -> None:
    contact_id = await polling.a_customer()
    polling.advance(60)
    stamp = polling.change_contact(contact_id, "Umbenannt AG")
    assert stamp == zurich(START + timedelta(seconds=60)) == "2026-11-25 11:01:00"
    await polling.run()
    assert (await polling.cursor("contact")).watermark == stamp

    before = await polling.last_job_id()
    polling.advance(60)
    assert await polling.run() == 1
    search = polling.calls("POST", "/2.0/contact/search")[-1]
    # bexio's wall time in Zurich, two minutes before the watermark — not UTC, not our clock.
    assert search.json_body == [{"field": "updated_at", "value": "2026-11-25 10:59:00", "criteria": ">="}]
    # Found again inside the margin, unchanged: not queued a second time.
    assert await polling.change_jobs(after=before) == []
    done = await polling.jobs(POLL_CHANGES, status="done")
    assert done[-1].result is not None and done[-1].result["contacts"] == 0


async def test_a_contact_that_is_no_customer_is_queued_once(polling: Polling) -> None:
    async with polling.db.session(polling.tenant_id) as session:
        customers = set(await session.scalars(select(Customer.bexio_id)))
    other = next(cid for cid in sorted(polling.tables["contact"]) if cid not in customers)
    before = await polling.last_job_id()
    polling.advance(60)
    polling.change_contact(other, "Lieferant GmbH")
    await polling.run()
    assert await polling.change_jobs(after=before) == [
        (f"contact:{other}", {"resource": "contact", "id": other, "action": "updated"})
    ]
    # Its job is done (nothing stored: it is no customer); the next poll still sees it in the margin.
    async with polling.db.system_session() as session:
        job = await session.scalar(select(Job).where(Job.dedup_key == f"contact:{other}"))
        assert job is not None
        job.status = "done"
    before = await polling.last_job_id()
    polling.advance(60)
    await polling.run()
    assert await polling.change_jobs(after=before) == []


async def test_a_paid_invoice_and_a_deleted_draft_are_queued(polling: Polling) -> None:
    before = await polling.last_job_id()
    contact_id = await polling.a_customer()
    paid, deleted = await draft(polling, contact_id), await draft(polling, contact_id)
    polling.advance(60)
    await polling.run()  # the invoice watermark starts here; both drafts are as bxhours knows them
    assert await polling.change_jobs(after=before) == []

    async with polling.stack.runtime.services.bexio.client(polling.tenant_id) as client:
        await client.invoices.issue(paid)
        await client.invoices.delete(deleted)
    polling.tables["kb_invoice"][paid]["kb_item_status_id"] = 9
    polling.sandbox.state.touch("kb_invoice", paid)

    polling.advance(60)
    await polling.run()
    assert await polling.change_jobs(after=before) == [
        (f"invoice:{paid}", {"resource": "invoice", "id": paid, "action": "updated"}),
        (f"invoice:{deleted}", {"resource": "invoice", "id": deleted, "action": "deleted"}),
    ]
    # Unfinished drafts are looked up by id: a deleted one has no updated_at to be found by.
    by_id = [c.json_body for c in polling.calls("POST", "/2.0/kb_invoice/search")]
    assert [{"field": "id", "value": sorted([paid, deleted]), "criteria": "in"}] in by_id


async def draft(polling: Polling, contact_id: int) -> int:
    """A draft bxhours pushed to bexio, as invoicing records it (status 7 = draft)."""
    async with polling.stack.runtime.services.bexio.client(polling.tenant_id) as client:
        created = await client.invoices.create(
            InvoiceCreate(contact_id=contact_id, user_id=1, title="Stunden")
        )
    now = polling.clock.now()
    async with polling.db.session(polling.tenant_id) as session:
        customer = await session.scalar(select(Customer.id).where(Customer.bexio_id == contact_id))
        assert customer is not None
        session.add(
            Invoice(
                customer_id=customer,
                title="Stunden",
                invoice_date=now.date(),
                bexio_id=created.id,
                document_nr=created.document_nr,
                status="created",
                bexio_status_id=created.kb_item_status_id,
                created_by="U01ANDREA",
                created_at=now,
                updated_at=now,
            )
        )
    return created.id


async def test_new_timesheets_are_found_newest_first_until_a_known_id(polling: Polling) -> None:
    sheets = polling.tables["timesheet"]
    async with polling.db.session(polling.tenant_id) as session:
        known = await session.scalar(select(func.max(TimeEntry.bexio_timesheet_id)))
        stored = await session.scalar(select(func.count()).select_from(TimeEntry))
    assert known == max(sheets)
    template = sheets[known]
    new_ids = []
    for _ in range(5):
        new_id = polling.sandbox.state.new_id("timesheet")
        sheets[new_id] = {**template, "id": new_id, "text": f"neu {new_id}"}
        new_ids.append(new_id)
    calls_before = len(polling.calls("GET", "/2.0/timesheet"))

    polling.advance(15 * 60)
    assert await polling.run() == 2  # poll.full is due, and poll.changes with it
    listed = polling.calls("GET", "/2.0/timesheet")[calls_before:]
    # Five new ones at two a page: the third page holds the first known id, and paging stops there.
    assert [(c.query["order_by"], c.query["limit"], c.query["offset"]) for c in listed] == [
        ("id_desc", "2", "0"),
        ("id_desc", "2", "2"),
        ("id_desc", "2", "4"),
    ]
    async with polling.db.session(polling.tenant_id) as session:
        imported = set(
            await session.scalars(
                select(TimeEntry.bexio_timesheet_id).where(TimeEntry.bexio_timesheet_id.in_(new_ids))
            )
        )
        total = await session.scalar(select(func.count()).select_from(TimeEntry))
    assert imported == set(new_ids)
    assert total == stored + 5, "only the new ones were stored, nothing else retired"
    assert (await polling.cursor("timesheet")).watermark == str(max(new_ids))

    polling.advance(15 * 60)
    await polling.run()
    assert len(polling.calls("GET", "/2.0/timesheet")) == calls_before + 4, "nothing new: one call"


async def test_a_poll_queues_its_next_run_exactly_once(polling: Polling) -> None:
    for kind in (POLL_CHANGES, POLL_FULL):
        queued = await polling.jobs(kind, status=QUEUED)
        assert len(queued) == 1
    # Seeding again (a second worker starting) is absorbed by the queued ones.
    await schedule_polls(polling.stack.runtime.queue, polling.tenant_id)
    changes = await polling.jobs(POLL_CHANGES, status=QUEUED)
    full = await polling.jobs(POLL_FULL, status=QUEUED)
    assert len(changes) == len(full) == 1
    assert changes[0].run_at == START + timedelta(seconds=60)
    assert full[0].run_at == START + timedelta(minutes=15)

    polling.advance(60)
    assert await polling.run() == 1
    assert [job.run_at for job in await polling.jobs(POLL_CHANGES, status=QUEUED)] == [
        START + timedelta(seconds=120)
    ]


async def test_without_a_bexio_connection_the_poll_skips_and_reschedules(polling: Polling) -> None:
    polling.stack.runtime.services.bexio.config = BexioConfig(polling.sandbox.url, polling.sandbox.url)
    calls = len(polling.sandbox.state.calls)
    polling.advance(60)
    assert await polling.run() == 1
    assert len(polling.sandbox.state.calls) == calls
    done = await polling.jobs(POLL_CHANGES, status="done")
    assert done[-1].result == {"skipped": "bexio is not connected"}
    assert len(await polling.jobs(POLL_CHANGES, status=QUEUED)) == 1


async def test_a_failed_poll_still_queues_the_next_one(polling: Polling) -> None:
    polling.sandbox.state.faults.script("POST /2.0/contact/search", [403])  # a definite refusal
    polling.advance(60)
    await polling.run()
    queued = await polling.jobs(POLL_CHANGES, status=QUEUED)
    assert [job.run_at for job in queued] == [START + timedelta(seconds=120)]


async def test_a_one_shot_worker_leaves_the_poll_jobs_queued(polling: Polling) -> None:
    polling.advance(15 * 60)
    invoicing = polling.stack.runtime.services.invoicing
    assert (
        await Worker(polling.stack.runtime.queue, {INVOICE_PUSH: invoicing.run_push_job}).run_until_idle()
        == 0
    )
    assert len(await polling.jobs(POLL_CHANGES, status=QUEUED)) == 1
    assert await polling.jobs(POLL_CHANGES, status="failed") == []


async def test_the_full_poll_rereads_master_data_and_timesheets_once_a_day(polling: Polling) -> None:
    project_id = min(polling.tables["pr_project"])
    polling.tables["pr_project"][project_id]["name"] = "Neuer Projektname"
    async with polling.db.session(polling.tenant_id) as session:
        entry = await session.scalar(
            select(TimeEntry.bexio_timesheet_id)
            .where(TimeEntry.source == "bexio", TimeEntry.status == "open")
            .order_by(TimeEntry.bexio_timesheet_id)
            .limit(1)
        )
    assert entry is not None
    del polling.tables["timesheet"][entry]  # deletions are only seen by a full re-read

    polling.advance(15 * 60)
    await polling.run()
    assert await project_name(polling, project_id) == "Neuer Projektname"
    assert await entry_exists(polling, entry), "a 15-minute poll only looks for new timesheets"

    polling.advance(24 * 3600 - 15 * 60)
    await polling.run()
    assert not await entry_exists(polling, entry)
    done = await polling.jobs(POLL_FULL, status="done")
    assert done[-1].result is not None and done[-1].result["timesheets"]["full"] is True


async def project_name(polling: Polling, bexio_id: int) -> str | None:
    async with polling.db.session(polling.tenant_id) as session:
        return await session.scalar(select(Project.name).where(Project.bexio_id == bexio_id))


async def entry_exists(polling: Polling, bexio_id: int) -> bool:
    async with polling.db.session(polling.tenant_id) as session:
        found = await session.scalar(select(TimeEntry.id).where(TimeEntry.bexio_timesheet_id == bexio_id))
        return found is not None


async def test_a_changed_interval_applies_from_the_next_reschedule(polling: Polling) -> None:
    settings = polling.stack.runtime.services.settings
    await settings.set(polling.tenant_id, "poll_contacts_seconds", "300", actor="U01ANDREA")
    polling.advance(60)
    await polling.run()  # this poll was scheduled under the old interval
    assert [job.run_at for job in await polling.jobs(POLL_CHANGES, status=QUEUED)] == [
        START + timedelta(seconds=60 + 300)
    ]


async def test_the_full_poll_waits_while_an_import_is_under_way(polling: Polling) -> None:
    await polling.stack.runtime.queue.enqueue(polling.tenant_id, IMPORT_JOB, {})
    calls = len(polling.sandbox.state.calls)
    polling.advance(15 * 60)
    await polling.run()
    done = await polling.jobs(POLL_FULL, status="done")
    assert done[-1].result is not None and done[-1].result["skipped"].startswith("an import is under way")
    assert not [c for c in polling.sandbox.state.calls[calls:] if c.method == "GET"]
    assert len(await polling.jobs(POLL_FULL, status=QUEUED)) == 1
