"""`/log-absence` through signed Slack requests, sent to the bexio sandbox's payroll (issue 16 §6-9).

What bexio received is read from the sandbox's recorded calls; what bxhours kept from the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bexio.sandbox.state import RecordedCall
from bot.views import absence as absence_view
from bxhours.fakes.master_data import seed_master_data
from bxhours.fakes.slack_client import date_value, select_value
from bxhours.fakes.stack import ANDREA, MIA, NOAH, run_stack
from core.clock import ManualClock
from services.norm import day_norm_minutes
from storage.db import Database
from storage.models import Absence, AuditLog, Job
from tests.factories import MONDAY_MORNING, LoggingStack, Reply, click, send

ABSENCES = "/4.0/payroll/employees/{employee_id}/absences"
ONE_ABSENCE = "/4.0/payroll/employees/{employee_id}/absences/{absence_id}"


@pytest.fixture
async def ls(db: Database, database_url: str, sandbox: RunningSandbox) -> AsyncIterator[LoggingStack]:
    """The demo workspace connected to the sandbox's demo company (payroll module active)."""
    clock = ManualClock(MONDAY_MORNING)
    async with run_stack(
        database_url, bexio_url=sandbox.url, bexio_token=sandbox.token, now=clock.now
    ) as stack:
        company = await seed_master_data(stack.runtime.db, stack.tenant_id, clock.now)
        yield LoggingStack(stack, company, clock)


async def _absences(ls: LoggingStack) -> list[Absence]:
    async with ls.db.session(ls.tenant_id) as session:
        return list(await session.scalars(select(Absence).order_by(Absence.id)))


async def _settled(ls: LoggingStack) -> None:
    """Wait until no absence job is queued or running (conditions, not time)."""
    for _attempt in range(400):
        async with ls.db.system_session() as session:
            open_jobs = await session.scalar(
                select(Job.id)
                .where(Job.kind.like("absence_%"), Job.status.in_(("queued", "running")))
                .limit(1)
            )
        if open_jobs is None:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("absence jobs did not finish")


def _writes(sandbox: RunningSandbox, method: str) -> list[RecordedCall]:
    return [
        call
        for call in sandbox.state.calls
        if call.method == method
        and call.path.startswith("/4.0/payroll/employees/")
        and "/absences" in call.path
    ]


def _employee_of(sandbox: RunningSandbox, email: str) -> str:
    return next(e["id"] for e in sandbox.state.payroll_employees.values() if e["email"] == email)


async def test_a_range_a_day_and_a_half_day_reach_bexio_payroll_in_german(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await ls.stack.runtime.services.languages.choose(ls.tenant_id, MIA, "de")  # type: ignore[union-attr]
    mia = _employee_of(sandbox, "mia.schmid@alpenblick.example")

    reply = await send(ls, MIA, "/log-absence", "Ferien 21.12.2026-23.12.2026")
    assert reply.text == "✓ Ferien · Mo 21.12. – Mi 23.12.2026 · 3 Arbeitstage"
    assert reply.buttons(absence_view.EDIT_ACTION) == ["Bearbeiten"]
    await _settled(ls)
    day = await send(ls, MIA, "/log-absence", "krank gestern")
    half = await send(ls, MIA, "/log-absence", "Unfall heute nachmittags")
    assert day.text == "✓ Krankheit · So 22.11. · 0 Arbeitstage"
    assert half.text == "✓ Unfall · Mo 23.11. Nachmittag · ein halber Tag"
    await _settled(ls)

    posts = _writes(sandbox, "POST")
    assert sorted((call.json_body for call in posts), key=lambda body: body["start_date"]) == [
        {"reason": "Sickness", "start_date": "2026-11-22", "end_date": "2026-11-22", "half_day": False},
        {"reason": "Injury", "start_date": "2026-11-23", "end_date": "2026-11-23", "half_day": True},
        {"reason": "Vacation", "start_date": "2026-12-21", "end_date": "2026-12-23", "half_day": False},
    ]
    assert {call.path for call in posts} == {ABSENCES.format(employee_id=mia)}
    assert [call.status for call in posts] == [201, 201, 201]
    rows = await _absences(ls)
    assert [(r.kind, r.first_day, r.last_day, r.half, r.sync_state) for r in rows] == [
        ("vacation", date(2026, 12, 21), date(2026, 12, 23), None, "sent"),
        ("sick", date(2026, 11, 22), date(2026, 11, 22), None, "sent"),
        ("accident", date(2026, 11, 23), date(2026, 11, 23), "afternoon", "sent"),
    ]
    assert {r.bexio_employee_id for r in rows} == {mia}
    sent = {r.bexio_absence_id for r in rows}
    assert len(sent) == 3 and sent <= set(sandbox.state.payroll_absences[mia])


async def _edit_in_the_form(ls: LoggingStack, user: str, reply: Reply, **fields: Any) -> dict[str, Any]:
    """Click Edit on a reply, wait for the filled form, submit it with ``fields`` changed."""
    edit = reply.button(absence_view.EDIT_ACTION)
    before = len(ls.stack.fake.calls_to("views.update"))
    response = await ls.stack.slack.block_action(user, edit["action_id"], value=edit["value"])
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update", count=before + 1)
    view = ls.stack.fake.modal()
    return await _submit(ls, user, view, **fields)


def _initial(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


async def _submit(ls: LoggingStack, user: str, view: dict[str, Any], **fields: Any) -> dict[str, Any]:
    kind = fields.get("kind", _initial(view, absence_view.KIND_BLOCK)["initial_option"]["value"])
    first = fields.get("first", _initial(view, absence_view.FROM_BLOCK).get("initial_date"))
    last = fields.get("last", _initial(view, absence_view.TO_BLOCK).get("initial_date"))
    half = fields.get("half", _initial(view, absence_view.HALF_BLOCK)["initial_option"]["value"])
    state: dict[str, Any] = {
        absence_view.KIND_BLOCK: {absence_view.KIND_ACTION: select_value(kind)},
        absence_view.FROM_BLOCK: {absence_view.FROM_ACTION: date_value(first)},
        absence_view.TO_BLOCK: {absence_view.TO_ACTION: date_value(last)},
        absence_view.HALF_BLOCK: {absence_view.HALF_ACTION: select_value(half)},
    }
    if "person" in fields:
        state[absence_view.PERSON_BLOCK] = {
            absence_view.PERSON_ACTION: {"type": "users_select", "selected_user": fields["person"]}
        }
    response = await ls.stack.slack.submit_view(user, view, state)
    assert response.status == 200, response.text
    return response.json if response.text else {}


async def test_edit_and_delete_in_french_put_and_delete_in_bexio(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await ls.stack.runtime.services.languages.choose(ls.tenant_id, NOAH, "fr")  # type: ignore[union-attr]
    noah = _employee_of(sandbox, "noah.keller@alpenblick.example")
    reply = await send(ls, NOAH, "/log-absence", "vacances 28.12.2026")
    assert reply.text == "✓ Vacances · lun. 28.12. · 1 jour ouvrable"
    await _settled(ls)
    [row] = await _absences(ls)
    bexio_id = row.bexio_absence_id
    assert bexio_id is not None and row.sync_state == "sent"

    answer = await _edit_in_the_form(ls, NOAH, reply, last="2026-12-30")
    assert answer["response_action"] == "update"
    assert "Vacances · lun. 28.12. – mer. 30.12.2026 · 3 jours ouvrables" in str(answer["view"])
    await _settled(ls)
    [put] = _writes(sandbox, "PUT")
    assert put.path == ONE_ABSENCE.format(employee_id=noah, absence_id=bexio_id)
    assert put.status == 204
    assert put.json_body == {
        "reason": "Vacation",
        "start_date": "2026-12-28",
        "end_date": "2026-12-30",
        "half_day": False,
        "continued_pay": 0,
        "disability": 0,
        "paid_hours": 0,
    }
    assert sandbox.state.payroll_absences[noah][bexio_id]["end_date"] == "2026-12-30"

    deleted = await click(ls, NOAH, reply.button(absence_view.DELETE_ACTION))
    assert deleted.text.startswith("🗑️ Supprimé — Vacances · Noah Keller · lun. 28.12. – mer. 30.12.")
    await _settled(ls)
    [delete] = _writes(sandbox, "DELETE")
    assert (delete.path, delete.status) == (ONE_ABSENCE.format(employee_id=noah, absence_id=bexio_id), 204)
    assert bexio_id not in sandbox.state.payroll_absences[noah]
    assert await _absences(ls) == []
    async with ls.db.session(ls.tenant_id) as session:
        actions = list(
            await session.scalars(select(AuditLog.action).where(AuditLog.subject_type == "absence"))
        )
    assert actions == ["absence.created", "absence.changed", "absence.deleted"]


async def test_without_the_payroll_module_it_is_said_once_and_kept_in_bxhours(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    sandbox.state.settings.payroll_enabled = False
    first = await send(ls, MIA, "/log-absence", "sick today")
    assert first.text.startswith(
        "✓ Sick · Mon 23.11. · 1 working day\n⚠️ bexio payroll does not take absences"
    )
    assert "payroll_employee_show, payroll_absence_show and payroll_absence_edit" in first.text
    await _settled(ls)
    second = await send(ls, NOAH, "/log-absence", "vacation 24.11.2026-25.11.2026")
    assert "⚠️" not in second.text
    await _settled(ls)
    rows = await _absences(ls)
    assert [(r.kind, r.sync_state, r.sync_error) for r in rows] == [
        ("sick", "not_sent", "no_payroll"),
        ("vacation", "not_sent", "no_payroll"),
    ]
    assert all(call.status == 403 for call in sandbox.state.calls if call.path.startswith("/4.0/payroll"))
    assert _writes(sandbox, "POST") == []
    # Nobody was told twice: neither a DM from the jobs nor a second notice.
    assert ls.stack.fake.dm_messages(MIA) == [] and ls.stack.fake.dm_messages(NOAH) == []
    listed = await send(ls, NOAH, "/log-absence", "list")
    assert "kept in bxhours only: bexio payroll is not available" in str(listed.hook)


async def test_an_admin_logs_for_someone_else_and_a_member_may_not(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    mia = _employee_of(sandbox, "mia.schmid@alpenblick.example")
    refused = await send(ls, NOAH, "/log-absence", f"<@{MIA}|mia> sick today")
    assert refused.text == "Only admins can log or change an absence for someone else."
    assert await _absences(ls) == []

    done = await send(ls, ANDREA, "/log-absence", f"<@{MIA}|mia> militär 24.11.2026-27.11.2026")
    assert (
        done.text
        == "✓ Military or civil service for Mia Schmid · Tue 24.11. – Fri 27.11.2026 · 4 working days"
    )
    await _settled(ls)
    [row] = await _absences(ls)
    assert (row.created_by, row.bexio_employee_id, row.sync_state) == (ANDREA, mia, "sent")
    [post] = _writes(sandbox, "POST")
    assert post.json_body["reason"] == "MilitaryLeave"

    # Noah cannot delete Mia's absence with a forged button; Mia can.
    forged = await click(ls, NOAH, done.button(absence_view.DELETE_ACTION))
    assert forged.text == "Only admins can log or change an absence for someone else."
    assert len(await _absences(ls)) == 1
    mine = await click(ls, MIA, done.button(absence_view.DELETE_ACTION))
    assert mine.text.startswith("🗑️ Deleted — Military or civil service · Mia Schmid")


async def test_the_form_logs_for_another_person_only_for_admins(ls: LoggingStack) -> None:
    response = await ls.stack.slack.command("/log-absence", "", user_id=NOAH)
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    assert all(b.get("block_id") != absence_view.PERSON_BLOCK for b in view["blocks"])
    answer = await _submit(ls, NOAH, view, kind="parental", first="2026-11-30", last="2026-12-04", person=MIA)
    assert answer["response_action"] == "update"  # a forged person: no picker to show it under
    assert "Only admins can log or change an absence for someone else." in str(answer["view"])
    assert await _absences(ls) == []
    forged_kind = await _submit(ls, NOAH, view, kind="holiday", first="2026-11-30", last="2026-12-04")
    assert forged_kind["errors"] == {absence_view.KIND_BLOCK: "Pick a kind of absence."}
    ok = await _submit(ls, NOAH, view, kind="parental", first="2026-11-30", last="2026-12-04")
    assert ok["response_action"] == "update"
    [row] = await _absences(ls)
    assert (row.kind, row.first_day, row.last_day, row.half) == (
        "parental",
        date(2026, 11, 30),
        date(2026, 12, 4),
        None,
    )


async def test_a_typing_mistake_stores_nothing_and_says_how(ls: LoggingStack) -> None:
    reply = await send(ls, MIA, "/log-absence", "holidayz heute")
    assert reply.inline.startswith("“holidayz” is not a kind of absence. Usage: `/log-absence KIND")
    half_range = await send(ls, MIA, "/log-absence", "vacation 24.11.2026-25.11.2026 morning")
    assert half_range.inline == "Only a single day can be a half day."
    assert await _absences(ls) == []


async def _until_no_job_waits(ls: LoggingStack) -> None:
    """Retries wait on the stack's clock: move it to the next retry (never further, so no running
    job's lease expires under it) until no absence job is left."""
    for _attempt in range(400):
        async with ls.db.system_session() as session:
            jobs = list(
                await session.scalars(
                    select(Job).where(Job.kind.like("absence_%"), Job.status.in_(("queued", "running")))
                )
            )
        if not jobs:
            return
        waiting = [job.run_at for job in jobs if job.status == "queued" and job.run_at > ls.clock.now()]
        if len(waiting) == len(jobs):
            ls.clock.set(min(waiting))
        await asyncio.sleep(0.025)
    raise AssertionError("absence jobs did not finish")


async def test_a_create_whose_answer_was_lost_is_found_again_not_sent_twice(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    mia = _employee_of(sandbox, "mia.schmid@alpenblick.example")
    sandbox.state.faults.script("POST /4.0/payroll/employees/{employee_id}/absences", ["partial"])
    await send(ls, MIA, "/log-absence", "vacation 21.12.2026-23.12.2026")
    await _until_no_job_waits(ls)
    posts = _writes(sandbox, "POST")
    assert [call.fault for call in posts] == ["partial"], "the retry must not create it again"
    created = [a for a in sandbox.state.payroll_absences[mia].values() if a["start_date"] == "2026-12-21"]
    assert len(created) == 1
    [row] = await _absences(ls)
    assert (row.bexio_absence_id, row.sync_state) == (created[0]["id"], "sent")
    searched = [c for c in sandbox.state.calls if c.method == "GET" and c.path.endswith("/absences")]
    assert searched and searched[-1].query == {"businessYear": "2026"}


async def test_the_week_counts_absences_and_hours_beyond_the_norm_get_a_warning(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "allow_future_dates", "true", actor="test")
    await send(ls, NOAH, "/log-absence", "vacation today")
    await send(ls, NOAH, "/log-absence", "sick 24.11.2026 morning")
    await _settled(ls)  # the sync read payroll: Noah works 60 % of 42 h → 5:02 h a day
    async with ls.db.session(ls.tenant_id) as session:
        [row, _half] = await _absences(ls)
        assert await day_norm_minutes(session, row.user_id) == 302

    warned = await send(ls, NOAH, "/log-hours", "1h Website Relaunch / Umsetzung")
    assert warned.text.endswith(
        "⚠️ You are marked absent on Mon 23.11. (Vacation): 1:00 h logged that day is more than the 0:00 h "
        "left of your working day."
    )
    half_day = await send(ls, NOAH, "/log-hours", "2h 24.11.2026 Website Relaunch / Umsetzung")
    assert "⚠️" not in half_day.text  # 2:00 h fit into the 2:31 h the afternoon leaves
    more = await send(ls, NOAH, "/log-hours", "1h 24.11.2026 Website Relaunch / Umsetzung")
    assert "3:00 h logged that day is more than the 2:31 h left" in more.text
    plain = await send(ls, MIA, "/log-hours", "1h Website Relaunch / Umsetzung")
    assert "⚠️" not in plain.text

    week = ls.stack.runtime.services.week
    view = await week.load(ls.tenant_id, NOAH)
    assert view is not None
    monday, tuesday = view.days[0], view.days[1]
    assert not monday.working and tuesday.working and view.absent_days == Decimal("1.5")
    shown = await send(ls, NOAH, "/log-hours", "week")
    text = str(shown.hook)
    assert "🌴 Vacation · no working day" in text
    assert "🌴 Sick (morning)" in text
    assert "absent 1.5 working days" in text


async def test_payroll_lost_later_is_told_once_by_dm_in_the_persons_language(
    ls: LoggingStack, sandbox: RunningSandbox
) -> None:
    await ls.stack.runtime.services.languages.choose(ls.tenant_id, NOAH, "fr")  # type: ignore[union-attr]
    reply = await send(ls, NOAH, "/log-absence", "vacances 28.12.2026")
    await _settled(ls)
    sandbox.state.settings.payroll_enabled = False  # the module was cancelled meanwhile
    await _edit_in_the_form(ls, NOAH, reply, last="2026-12-29")
    await _settled(ls)
    await ls.stack.fake.wait_for(
        "chat.postMessage", lambda call: call.params.get("channel") == "D" + NOAH or True
    )
    [dm] = ls.stack.fake.dm_messages(NOAH)
    assert dm["text"].startswith("Les salaires bexio n'acceptent pas les absences de bxhours")
    [row] = await _absences(ls)
    assert (row.last_day, row.sync_state, row.sync_error) == (date(2026, 12, 29), "not_sent", "no_payroll")
    await _edit_in_the_form(ls, NOAH, reply, last="2026-12-30")
    await _settled(ls)
    assert len(ls.stack.fake.dm_messages(NOAH)) == 1, "said once"
