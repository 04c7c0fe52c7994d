"""Write-back of hours to bexio timesheets (issue 16 §1–5, §9): through signed Slack requests, the
worker and the sandbox's recorded calls.

The logging stack's company has the sandbox demo company's ids (people 1–4, projects 1–12,
activities 1–5, customers 12/17/23), so what bxhours writes is checked by the sandbox as bexio
would: every referenced id must exist there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from bexio.pacing import Pacer
from bexio.sandbox import RunningSandbox, build_state
from bexio.testing import FakeTime
from bot.views import hours_modal, log_hours, settings_modal
from bot.views import week as week_view
from bot.views import write_back as write_back_views
from bxhours.fakes.master_data import seed_master_data
from bxhours.fakes.slack_client import checkboxes_value, date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA, MIA, run_stack
from core.clock import ManualClock
from services.writeback import BACKFILL_JOB, DELETE_JOB, ENTRY_JOB, with_marker
from storage.db import Database
from storage.models import Job, Project, TimeEntry, User
from tests.factories import MONDAY_MORNING, LoggingStack, entries, send

MONDAY = date(2026, 11, 23)
WRITES = ("POST /2.0/timesheet", "POST /2.0/timesheet/{id}", "DELETE /2.0/timesheet/{id}")


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo", timesheets=40)


@pytest.fixture
async def ls(db: Database, database_url: str, sandbox: RunningSandbox) -> AsyncIterator[LoggingStack]:
    clock = ManualClock(MONDAY_MORNING)
    async with run_stack(
        database_url, bexio_url=sandbox.url, bexio_token=sandbox.token, now=clock.now
    ) as stack:
        company = await seed_master_data(stack.runtime.db, stack.tenant_id, clock.now)
        stack.runtime.queue.base_backoff = 0.01  # retries at once: the test waits on the queue
        sandbox.state.reset_calls()
        yield LoggingStack(stack, company, clock)


@pytest.fixture
def fake_time(ls: LoggingStack, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """bexio's pacing and the client's waits after a 429 on a fake clock: the test checks what is
    called, not how long bexio asks bxhours to wait."""
    fake = FakeTime()
    access = ls.stack.runtime.services.bexio
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    original = access.client
    monkeypatch.setattr(access, "pacer", lambda tenant_id: pacer)
    monkeypatch.setattr(
        access, "client", lambda tenant_id, **options: original(tenant_id, sleep=fake.sleep, **options)
    )
    return fake


# --- helpers ---------------------------------------------------------------------------------------


async def turn_on(ls: LoggingStack) -> None:
    """As `bxhours settings set write_back_hours true` does."""
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "write_back_hours", "true", actor="cli")


async def settle(ls: LoggingStack) -> None:
    """Wait until the worker has run every queued job (failed ones stay failed); the company's
    clock moves a second at a time, so a retry's backoff comes due."""
    for _ in range(800):
        counts = await ls.stack.runtime.queue.counts(ls.tenant_id)
        if counts.queued + counts.running == 0:
            return
        ls.clock.advance(1)
        await asyncio.sleep(0.025)
    raise AssertionError("write-back jobs did not finish")


def writes(sandbox: RunningSandbox) -> list[tuple[str, Any]]:
    """The timesheet writes bexio received (answered or not), as ("METHOD route", body)."""
    return [
        (f"{call.method} {call.route}", call.json_body)
        for call in sandbox.state.calls
        if f"{call.method} {call.route}" in WRITES
    ]


def sheets(sandbox: RunningSandbox, entry_id: int) -> list[dict[str, Any]]:
    """The sandbox's timesheets whose text carries the entry's marker."""
    marker = with_marker("", entry_id)
    return [
        ts for ts in sandbox.state.tables["timesheet"].values() if str(ts.get("text", "")).endswith(marker)
    ]


async def entry(ls: LoggingStack, entry_id: int) -> TimeEntry | None:
    async with ls.db.session(ls.tenant_id) as session:
        return await session.get(TimeEntry, entry_id)


async def writeback_jobs(ls: LoggingStack) -> list[Job]:
    async with ls.db.system_session() as session:
        kinds = (ENTRY_JOB, DELETE_JOB, BACKFILL_JOB)
        return list(await session.scalars(select(Job).where(Job.kind.in_(kinds)).order_by(Job.id)))


async def log(ls: LoggingStack, user: str, line: str) -> TimeEntry:
    before = {e.id for e in await entries(ls.db, ls.tenant_id)}
    reply = await send(ls, user, "/log-hours", line)
    assert reply.text.startswith("✓"), reply.text
    [new] = [e for e in await entries(ls.db, ls.tenant_id) if e.id not in before]
    return new


async def edit(
    ls: LoggingStack, user: str, item: TimeEntry, *, day: date, project: str, minutes: str, note: str
) -> None:
    """Change an entry through the App Home's week: Edit → the hours form → Save."""
    await ls.stack.slack.open_home(user)
    await ls.stack.fake.wait_for("views.publish", lambda call: call.params.get("user_id") == user)
    home = ls.stack.fake.home[user]
    option = next(
        o
        for block in home["blocks"]
        for o in (block.get("accessory") or {}).get("options", [])
        if o["value"] == week_view.menu_value("edit", _week_item(item))
    )
    updates = len(ls.stack.fake.calls_to("views.update"))
    await ls.stack.slack.block_action(user, week_view.MENU_ACTION, selected_option=option, view=home)
    await ls.stack.fake.wait_for("views.update", count=updates + 1)
    view = ls.stack.fake.modal()
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    state = {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value(day.isoformat())},
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects[project]), kind="external_select"
            )
        },
        blocks[hours_modal.ACTIVITY_BLOCK]["block_id"]: {
            hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Umsetzung"]))
        },
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value(minutes)},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value(note)},
        blocks[hours_modal.BILLABLE_BLOCK]["block_id"]: {
            hours_modal.BILLABLE_ACTION: checkboxes_value(["billable"])
        },
    }
    response = await ls.stack.slack.submit_view(user, view, state)
    assert response.json["response_action"] == "update", response.json
    assert "Hours saved" in str(response.json["view"])


def _week_item(item: TimeEntry) -> Any:
    class Item:
        kind = "time"
        id = item.id

    return Item()


# --- off -------------------------------------------------------------------------------------------


async def test_off_not_a_single_bexio_write(ls: LoggingStack, sandbox: RunningSandbox) -> None:
    first = await log(ls, ANDREA, "2h30 Website Relaunch / Umsetzung: checkout bug")
    await edit(ls, ANDREA, first, day=MONDAY, project="ERP-Einführung", minutes="1h", note="moved")
    reply = await send(ls, MIA, "/log-hours", "1h Website Relaunch / Umsetzung: review")
    await ls.stack.slack.block_action(
        MIA, log_hours.UNDO_ACTION, value=reply.button(log_hours.UNDO_ACTION)["value"]
    )
    await settle(ls)
    assert writes(sandbox) == []
    assert [c for c in sandbox.state.calls if "timesheet" in c.path] == []
    assert await writeback_jobs(ls) == []
    stored = await entry(ls, first.id)
    assert stored is not None and stored.writeback_state is None and stored.bexio_timesheet_id is None


# --- on: create, edit, move, delete ----------------------------------------------------------------


async def test_create_sends_the_issues_fields_non_billable_and_stores_the_id(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    logged = await log(ls, ANDREA, "2h30 Website Relaunch / Umsetzung: checkout bug")
    await settle(ls)
    [(route, body)] = writes(sandbox)
    assert route == "POST /2.0/timesheet"
    assert body == {
        "user_id": 1,
        "client_service_id": 4,
        "pr_project_id": 1,
        "contact_id": 12,
        "text": f"checkout bug [bxhours #{logged.id}]",
        "allowable_bill": False,
        "status_id": 3,  # "Erledigt"
        "tracking": {"type": "duration", "date": "2026-11-23", "duration": "02:30"},
    }
    assert logged.billable is True, "billable in bxhours, never billable in bexio"
    [sheet] = sheets(sandbox, logged.id)
    stored = await entry(ls, logged.id)
    assert stored is not None
    assert (stored.bexio_timesheet_id, stored.writeback_state) == (sheet["id"], "written")
    assert stored.source == "slack", "a written entry stays bxhours' own"
    assert sheet["duration"] == "2:30" and sheet["date"] == "2026-11-23"


async def test_edit_and_moves_follow_and_delete_removes_it(ls: LoggingStack, sandbox: RunningSandbox) -> None:
    await turn_on(ls)
    logged = await log(ls, ANDREA, "2h30 Website Relaunch / Umsetzung: checkout bug")
    await settle(ls)
    [sheet] = sheets(sandbox, logged.id)
    sandbox.state.reset_calls()

    # Another project and another day, another duration and note: the same timesheet follows.
    await edit(
        ls, ANDREA, logged, day=date(2026, 11, 20), project="ERP-Einführung", minutes="1h15", note="call"
    )
    await settle(ls)
    [(route, body)] = writes(sandbox)
    assert route == "POST /2.0/timesheet/{id}"
    assert body == {
        "user_id": 1,
        "client_service_id": 4,
        "pr_project_id": 2,
        "contact_id": 17,
        "text": f"call [bxhours #{logged.id}]",
        "allowable_bill": False,
        "status_id": 3,
        "tracking": {"type": "duration", "date": "2026-11-20", "duration": "01:15"},
    }
    after = sandbox.state.tables["timesheet"][sheet["id"]]
    assert (after["pr_project_id"], after["date"], after["duration"]) == (2, "2026-11-20", "1:15")
    assert sheets(sandbox, logged.id) == [after], "moved, not written twice"

    # Another person (an admin's correction in the database; bxhours has no surface for it yet).
    writeback = ls.stack.runtime.services.writeback
    assert writeback is not None
    sandbox.state.reset_calls()
    async with ls.db.session(ls.tenant_id) as session:
        moved = await session.get(TimeEntry, logged.id)
        assert moved is not None
        moved.user_id = await _user(session, 2)
        await writeback.entry_saved(session, ls.tenant_id, moved)
    await settle(ls)
    [(route, body)] = writes(sandbox)
    assert route == "POST /2.0/timesheet/{id}" and body["user_id"] == 2
    assert sandbox.state.tables["timesheet"][sheet["id"]]["user_id"] == 2

    # Deleted in bxhours (as its owner, Mia now): deleted in bexio.
    sandbox.state.reset_calls()
    removed = await ls.stack.runtime.services.time_entries.delete(ls.tenant_id, MIA, logged.id)
    assert "1:15 h" in str(removed)
    await settle(ls)
    assert writes(sandbox) == [("DELETE /2.0/timesheet/{id}", None)]
    assert sheet["id"] not in sandbox.state.tables["timesheet"]


async def _user(session: Any, bexio_id: int) -> int:
    found = await session.scalar(select(User.id).where(User.bexio_id == bexio_id))
    assert found is not None
    return int(found)


async def test_undo_right_after_logging_leaves_nothing_in_bexio(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    reply = await send(ls, MIA, "/log-hours", "1h Website Relaunch / Umsetzung: review")
    [logged] = await entries(ls.db, ls.tenant_id)
    await settle(ls)
    assert len(sheets(sandbox, logged.id)) == 1
    button = reply.button(log_hours.UNDO_ACTION)
    response = await ls.stack.slack.block_action(MIA, log_hours.UNDO_ACTION, value=button["value"])
    assert response.status == 200
    for _ in range(200):
        if not await entries(ls.db, ls.tenant_id):
            break
        await asyncio.sleep(0.025)
    await settle(ls)
    assert sheets(sandbox, logged.id) == []
    assert [route for route, _body in writes(sandbox)] == [
        "POST /2.0/timesheet",
        "DELETE /2.0/timesheet/{id}",
    ]


# --- failures --------------------------------------------------------------------------------------


async def test_a_lost_create_answer_is_found_again_not_sent_twice(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    sandbox.state.faults.script("POST /2.0/timesheet", ["partial"])  # written, then a 500
    logged = await log(ls, ANDREA, "45m Website Relaunch / Umsetzung: standup")
    await settle(ls)
    [sheet] = sheets(sandbox, logged.id)
    assert [route for route, _body in writes(sandbox)] == ["POST /2.0/timesheet"], "one create only"
    searches = [c for c in sandbox.state.calls if c.path == "/2.0/timesheet/search"]
    assert len(searches) == 1
    assert {tuple(sorted(c.items())) for c in searches[0].json_body} == {
        (("criteria", "="), ("field", "user_id"), ("value", 1)),
        (("criteria", "="), ("field", "pr_project_id"), ("value", 1)),
    }
    stored = await entry(ls, logged.id)
    assert stored is not None and (stored.bexio_timesheet_id, stored.writeback_state) == (
        sheet["id"],
        "written",
    )


async def test_a_429_storm_is_waited_out_and_writes_once(
    ls: LoggingStack, sandbox: RunningSandbox, fake_time: FakeTime
) -> None:
    await turn_on(ls)
    sandbox.state.faults.script("POST /2.0/timesheet", [429] * 12)
    logged = await log(ls, ANDREA, "1h Website Relaunch / Umsetzung: storm")
    await settle(ls)
    assert len(sheets(sandbox, logged.id)) == 1
    posts = [c for c in sandbox.state.calls if f"{c.method} {c.route}" == "POST /2.0/timesheet"]
    assert [c.status for c in posts].count(201) == 1 and len(posts) == 13
    stored = await entry(ls, logged.id)
    assert stored is not None and stored.writeback_state == "written"
    [job] = await writeback_jobs(ls)
    assert job.status == "done"


async def test_a_refusal_parks_the_job_with_bexios_reason_for_admins(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    sandbox.state.faults.script("POST /2.0/timesheet", [422])
    logged = await log(ls, ANDREA, "1h Website Relaunch / Umsetzung: refused")
    await settle(ls)
    [job] = await writeback_jobs(ls)
    assert job.status == "failed" and job.attempts == 1
    stored = await entry(ls, logged.id)
    assert stored is not None and stored.writeback_state == "failed" and stored.writeback_reason
    assert job.last_error == stored.writeback_reason
    reply = await ls.stack.slack.command("/bx-sync", "status", user_id=ANDREA)
    shown = str(reply.json)
    assert "*Write-back to bexio:* 0 written · 0 pending · 1 failed" in shown
    assert "Write an entry to bexio" in shown and stored.writeback_reason[:40] in shown


async def test_an_entry_that_cannot_be_written_says_why(ls: LoggingStack, sandbox: RunningSandbox) -> None:
    await turn_on(ls)
    async with ls.db.session(ls.tenant_id) as session:
        await session.execute(update(User).where(User.slack_user_id == MIA).values(bexio_id=None))
        await session.execute(update(Project).where(Project.name == "ERP-Einführung").values(bexio_id=None))
    mine = await log(ls, MIA, "1h Website Relaunch / Umsetzung: no bexio user")
    local = await log(ls, ANDREA, "2h ERP-Einführung / Umsetzung: local project")
    await settle(ls)
    assert writes(sandbox) == []
    for logged, why in ((mine, "no_bexio_user"), (local, "project_not_in_bexio")):
        stored = await entry(ls, logged.id)
        assert stored is not None and (stored.writeback_state, stored.writeback_reason) == (
            "not_in_bexio",
            why,
        )
    assert {job.status for job in await writeback_jobs(ls)} == {"done"}, "not an error"
    await ls.stack.slack.open_home(ANDREA)
    await ls.stack.fake.wait_for("views.publish", lambda call: call.params.get("user_id") == ANDREA)
    assert "not in bexio: its project is not in bexio" in str(ls.stack.fake.home[ANDREA]["blocks"])
    reply = await ls.stack.slack.command("/bx-sync", "status", user_id=ANDREA)
    assert "0 written · 0 pending · 0 failed · 2 not in bexio" in str(reply.json)


# --- never imported back; bexio's edits noticed ------------------------------------------------------


async def test_reimport_brings_no_duplicates_and_notices_bexio_edits(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    kept = await log(ls, ANDREA, "2h30 Website Relaunch / Umsetzung: kept")
    lost = await log(ls, ANDREA, "1h Website Relaunch / Umsetzung: id lost")
    await settle(ls)
    [kept_sheet] = sheets(sandbox, kept.id)
    [lost_sheet] = sheets(sandbox, lost.id)
    async with ls.db.session(ls.tenant_id) as session:  # the id was lost: only the marker is left
        await session.execute(
            update(TimeEntry).where(TimeEntry.id == lost.id).values(bexio_timesheet_id=None)
        )
    sandbox.state.tables["timesheet"][kept_sheet["id"]]["duration"] = "2:15"  # someone edits it in bexio
    sandbox.state.reset_calls()

    summary = await ls.stack.runtime.services.importer.run(ls.tenant_id)
    assert summary is not None
    assert writes(sandbox) == [], "the import writes nothing; imported hours are never written back"
    every = await entries(ls.db, ls.tenant_id)
    imported = [e for e in every if e.source == "bexio"]
    assert imported, "the sandbox's own timesheets were imported"
    assert not {kept_sheet["id"], lost_sheet["id"]} & {e.bexio_timesheet_id for e in imported}
    assert not any("[bxhours #" in e.note for e in every)
    assert await writeback_jobs(ls) and all(
        j.payload.get("entry_id") in (kept.id, lost.id) for j in await writeback_jobs(ls)
    )

    noticed = await entry(ls, kept.id)
    assert noticed is not None and noticed.bexio_changed_minutes == 135 and noticed.minutes == 150
    await ls.stack.slack.open_home(ANDREA)
    await ls.stack.fake.wait_for("views.publish", lambda call: call.params.get("user_id") == ANDREA)
    assert "changed in bexio: 2:15 h" in str(ls.stack.fake.home[ANDREA]["blocks"])

    # The next bxhours edit wins: bexio gets bxhours' duration back, the remark goes.
    sandbox.state.reset_calls()
    await edit(ls, ANDREA, kept, day=MONDAY, project="Website Relaunch", minutes="2h45", note="kept")
    await settle(ls)
    assert sandbox.state.tables["timesheet"][kept_sheet["id"]]["duration"] == "2:45"
    won = await entry(ls, kept.id)
    assert won is not None and won.bexio_changed_minutes is None


# --- turning it on: the back-fill offer ----------------------------------------------------------------


async def test_turning_on_offers_admins_a_backfill_of_a_period(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    before = await log(ls, ANDREA, "2h Website Relaunch / Umsetzung: before")
    earlier = await log(ls, MIA, "1h 16.11. Website Relaunch / Umsetzung: last week")
    outside = await log(ls, MIA, "1h 02.11. Website Relaunch / Umsetzung: too early")
    await settle(ls)
    assert writes(sandbox) == []

    await turn_on(ls)
    [offer] = await ls.stack.fake.wait_for(
        "chat.postMessage", lambda c: "Write earlier hours" in str(c.params)
    )
    assert [m for m in ls.stack.fake.dm_messages(ANDREA) if "Write earlier hours" in str(m)], "to the admin"
    assert not [m for m in ls.stack.fake.dm_messages(MIA) if "Write earlier hours" in str(m)]
    button = next(
        e
        for b in offer.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == write_back_views.OFFER_ACTION
    )
    refused = await ls.stack.slack.block_action(MIA, button["action_id"], value=button["value"])
    assert refused.status == 200
    await ls.stack.slack.block_action(ANDREA, button["action_id"], value=button["value"])
    await ls.stack.fake.wait_for("views.open")
    assert len(ls.stack.fake.calls_to("views.open")) == 1, "Mia is no admin: her click opens nothing"
    modal = ls.stack.fake.modal()
    assert modal["callback_id"] == write_back_views.CALLBACK_ID

    wrong = {
        write_back_views.FROM_BLOCK: {write_back_views.DATE_ACTION: date_value("2026-11-23")},
        write_back_views.TO_BLOCK: {write_back_views.DATE_ACTION: date_value("2026-11-16")},
    }
    response = await ls.stack.slack.submit_view(ANDREA, modal, wrong)
    assert response.json["response_action"] == "errors"
    assert "after the last day" in response.json["errors"][write_back_views.FROM_BLOCK]

    period = {
        write_back_views.FROM_BLOCK: {write_back_views.DATE_ACTION: date_value("2026-11-16")},
        write_back_views.TO_BLOCK: {write_back_views.DATE_ACTION: date_value("2026-11-23")},
    }
    response = await ls.stack.slack.submit_view(ANDREA, modal, period)
    assert response.json["response_action"] == "update"
    await settle(ls)
    assert [len(sheets(sandbox, e.id)) for e in (before, earlier, outside)] == [1, 1, 0]
    [job] = [j for j in await writeback_jobs(ls) if j.kind == BACKFILL_JOB]
    assert job.status == "done" and job.result is not None and job.result["written"] == 2
    await ls.stack.fake.wait_for("chat.update", lambda c: "written to bexio: 2 of 2 entries" in str(c.params))


async def test_turning_off_stops_writing_and_deletes_nothing(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    logged = await log(ls, ANDREA, "2h Website Relaunch / Umsetzung: written")
    await settle(ls)
    [sheet] = sheets(sandbox, logged.id)
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "write_back_hours", "false", actor="cli")
    sandbox.state.reset_calls()
    await log(ls, ANDREA, "1h Website Relaunch / Umsetzung: not written")
    await ls.stack.runtime.services.time_entries.delete(ls.tenant_id, ANDREA, logged.id)
    await settle(ls)
    assert writes(sandbox) == []
    assert sheet["id"] in sandbox.state.tables["timesheet"], "nothing written is deleted"


async def test_turning_on_in_the_settings_modal_offers_the_backfill_in_the_admins_language(
    ls: LoggingStack,
) -> None:
    languages = ls.stack.runtime.services.languages
    assert languages is not None
    await languages.choose(ls.tenant_id, ANDREA, "de")
    published = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.open_home(ANDREA)
    await ls.stack.fake.wait_for("views.publish", count=published + 1)
    await ls.stack.slack.block_action(
        ANDREA, settings_modal.OPEN_ACTION, value="open", view=ls.stack.fake.home[ANDREA]
    )
    await ls.stack.fake.wait_for("views.open")
    view = ls.stack.fake.modal()
    assert "Advice: keep one leading system" not in str(view), "the description is translated"
    assert "ein führendes System" in str(view)
    state = {settings_modal.block_id_for("write_back_hours"): {"value": text_value("true")}}
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    assert response.status == 200
    [offer] = await ls.stack.fake.wait_for(
        "chat.postMessage", lambda c: write_back_views.OFFER_ACTION in str(c.params)
    )
    assert "Frühere Stunden schreiben…" in str(offer.params["blocks"])
    assert "nie verrechenbar" in offer.params["text"]


async def test_a_timesheet_deleted_in_bexio_is_written_again_at_the_next_edit(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await turn_on(ls)
    logged = await log(ls, ANDREA, "2h Website Relaunch / Umsetzung: first")
    await settle(ls)
    [sheet] = sheets(sandbox, logged.id)
    del sandbox.state.tables["timesheet"][sheet["id"]]  # someone deletes it in bexio
    sandbox.state.reset_calls()
    await edit(ls, ANDREA, logged, day=MONDAY, project="Website Relaunch", minutes="2h30", note="again")
    await settle(ls)
    assert [route for route, _body in writes(sandbox)] == ["POST /2.0/timesheet/{id}", "POST /2.0/timesheet"]
    [again] = sheets(sandbox, logged.id)
    stored = await entry(ls, logged.id)
    assert stored is not None and stored.bexio_timesheet_id == again["id"] != sheet["id"]
    assert again["duration"] == "2:30" and again["text"] == f"again [bxhours #{logged.id}]"
