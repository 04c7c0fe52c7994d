"""Timers (issue 17 §4, proof §6 "timers across midnight") through signed Slack requests, with a
clock the test moves: start and stop by command and from the App Home, a second start, the real
minutes logged, the 10-hour warning, the question after midnight and its answer — and the jobs
that do the latter two run on the real worker of the stack, due when the clock says so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.views import log_hours
from bot.views import timers as timer_views
from bxhours.fakes.slack_client import select_value, text_value
from bxhours.fakes.stack import MIA, NOAH
from services.time_entries import HoursRequest
from storage.db import Database
from storage.models import Activity, Job, Timer
from tests.factories import LoggingStack, add_entry, entries, logging_stack, send, user_id

MONDAY = date(2026, 11, 23)
MIA_EMAIL = "mia.schmid@alpenblick.example"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:  # Monday 23.11.2026, 10:00 in Zurich
        yield running


async def _timers(ls: LoggingStack) -> list[Timer]:
    async with ls.db.session(ls.tenant_id) as session:
        return list(await session.scalars(select(Timer).order_by(Timer.id)))


async def _home(ls: LoggingStack, user: str) -> dict[str, Any]:
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.open_home(user)
    await ls.stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == user, count=before + 1)
    return ls.stack.fake.home[user]


async def _dm(ls: LoggingStack, user: str, fragment: str) -> dict[str, Any]:
    """The DM to ``user`` whose text holds ``fragment``, once the worker has sent it."""
    channel = "D" + user.lstrip("U")
    await ls.stack.fake.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("channel") in (user, channel) and fragment in str(c.params.get("text")),
        timeout=15,
    )
    return next(m for m in ls.stack.fake.dm_messages(user) if fragment in str(m.get("text")))


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        elements = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory")]
        for element in elements:
            if element and element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {blocks}")


async def _jobs_done(ls: LoggingStack, kind: str, count: int = 1) -> None:
    """Wait until the worker has finished ``count`` jobs of ``kind`` (done, whatever they found)."""
    ls.stack.runtime.worker.wake()
    for _attempt in range(300):
        async with ls.db.system_session() as session:
            done = (await session.scalars(select(Job.id).where(Job.kind == kind, Job.status == "done"))).all()
        if len(done) >= count:
            return
        await asyncio.sleep(0.05)  # polling a condition, not timing anything
    raise AssertionError(f"no finished {kind} job")


async def test_start_by_command_second_start_is_refused_and_stop_logs_the_real_minutes(
    ls: LoggingStack,
) -> None:
    reply = await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung: checkout")
    assert reply.text == (
        "⏱ Timer started at 10:00: *Website Relaunch / Umsetzung*. "
        "Stop it with `/log-hours stop` or in the App Home."
    )
    [timer] = await _timers(ls)
    assert timer.running is True and timer.day == MONDAY and timer.note == "checkout"

    second = await send(ls, MIA, "/log-hours", "start Schulung Bern / Meeting")
    assert second.text == (
        "A timer is already running since 10:00 on Mon 23.11.: *Website Relaunch / Umsetzung*. "
        "Stop it first — one timer runs at a time."
    )
    assert len(await _timers(ls)) == 1

    ls.clock.advance(95 * 60 + 40)  # 1 h 35 min 40 s: 96 real minutes
    stopped = await send(ls, MIA, "/log-hours", "stop")
    assert stopped.text == "✓ 1:36 h · Website Relaunch / Umsetzung · Mon 23.11. · CHF 240.00 billable"
    assert stopped.button("log_hours_undo", "Undo")
    [entry] = await entries(ls.db, ls.tenant_id)
    assert (entry.minutes, entry.day, entry.note) == (96, MONDAY, "checkout")
    assert entry.project_id == ls.company.projects["Website Relaunch"]
    assert await _timers(ls) == []

    nothing = await send(ls, MIA, "/log-hours", "stop")
    assert nothing.text.startswith("No timer is running.")
    assert len(await entries(ls.db, ls.tenant_id)) == 1


async def test_a_timer_stopped_within_a_minute_logs_nothing(ls: LoggingStack) -> None:
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    ls.clock.advance(20)
    reply = await send(ls, MIA, "/log-hours", "stop")
    assert (
        reply.text
        == "The timer on *Website Relaunch / Umsetzung* ran less than a minute, so nothing was logged."
    )
    assert await entries(ls.db, ls.tenant_id) == [] and await _timers(ls) == []


async def test_an_ambiguous_start_asks_and_a_click_starts_it(ls: LoggingStack) -> None:
    reply = await send(ls, MIA, "/log-hours", "start schulung / Meeting")
    assert "Several projects match “schulung”" in reply.text
    bern = next(
        b
        for b in reply.hook["blocks"][1]["elements"]  # type: ignore[index]
        if "Bern" in b["text"]["text"]
    )
    assert bern["action_id"].startswith(timer_views.PICK_PROJECT_ACTION)
    before = len(ls.stack.fake.hooks)
    response = await ls.stack.slack.block_action(MIA, bern["action_id"], value=bern["value"])
    assert response.status == 200
    started = await ls.stack.fake.wait_for_hook(
        lambda body: any(body is h for _p, h in ls.stack.fake.hooks[before:])
    )
    assert started["text"].startswith("⏱ Timer started at 10:00: *Schulung Bern / Meeting*")
    [timer] = await _timers(ls)
    assert timer.project_id == ls.company.projects["Schulung Bern"]


async def test_start_and_stop_from_the_app_home(ls: LoggingStack) -> None:
    mia = await user_id(ls.db, ls.tenant_id, MIA_EMAIL)
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=mia,
        project=ls.company.projects["Website Relaunch"],
        activity=ls.company.activities["Meeting"],
        day=date(2026, 11, 20),
        minutes=60,
    )
    home = await _home(ls, MIA)
    assert "No timer running." in str(home["blocks"])
    start = _button(home["blocks"], timer_views.START_ACTION)
    assert start["text"]["text"] == "▶ Website Relaunch / Meeting"

    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.block_action(MIA, start["action_id"], value=start["value"], view=home)
    await ls.stack.fake.wait_for("views.publish", count=before + 1)
    home = ls.stack.fake.home[MIA]
    running = next(b for b in home["blocks"] if b.get("block_id") == timer_views.HOME_BLOCK)
    assert (
        running["text"]["text"] == "⏱ *Timer running* since 10:00 on Mon 23.11.: *Website Relaunch / Meeting*"
    )

    ls.clock.advance(45 * 60)
    stop = running["accessory"]
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.block_action(MIA, stop["action_id"], value=stop["value"], view=home)
    confirmation = await _dm(ls, MIA, "✓ 0:45 h")
    assert confirmation["text"].startswith("✓ 0:45 h · Website Relaunch / Meeting · Mon 23.11.")
    await ls.stack.fake.wait_for("views.publish", count=before + 1)
    assert "No timer running." in str(ls.stack.fake.home[MIA]["blocks"])
    assert [e.minutes for e in await entries(ls.db, ls.tenant_id)] == [60, 45]


async def test_a_forged_home_button_starts_nothing(ls: LoggingStack) -> None:
    home = await _home(ls, MIA)
    for forged in ("9999999:1", "x:y", "1:2:3", ""):
        response = await ls.stack.slack.block_action(MIA, timer_views.START_ACTION, value=forged, view=home)
        assert response.status == 200
    inactive = f"{ls.company.projects['Website Relaunch']}:{ls.company.activities['Support alt']}"
    await ls.stack.slack.block_action(MIA, timer_views.START_ACTION, value=inactive, view=home)
    await _dm(ls, MIA, "Support alt")
    assert await _timers(ls) == []


async def test_ten_hours_warn_once_and_the_timer_keeps_running(ls: LoggingStack) -> None:
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    ls.clock.advance(10 * 3600 + 5)  # 20:00 in Zurich
    warning = await _dm(ls, MIA, "running for 10 hours")
    assert warning["text"].startswith(
        "⏱ Your timer on *Website Relaunch / Umsetzung* has been running for 10 hours (since 10:00 on Mon 23.11.)"
    )
    assert _button(warning["blocks"], timer_views.STOP_ACTION)
    await _jobs_done(ls, "timer_warning")
    [timer] = await _timers(ls)
    assert timer.running is True and timer.warned_at is not None

    ls.clock.advance(30 * 60)
    reply = await send(ls, MIA, "/log-hours", "stop")
    assert reply.text.startswith("✓ 10:30 h · Website Relaunch / Umsetzung · Mon 23.11.")
    warnings = [m for m in ls.stack.fake.dm_messages(MIA) if "10 hours" in str(m.get("text"))]
    assert len(warnings) == 1


async def test_a_timer_past_midnight_asks_and_the_answer_logs_that_day(ls: LoggingStack) -> None:
    ls.clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # Monday 21:00 in Zurich
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung: release")
    ls.clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))  # Tuesday 00:30
    question = await _dm(ls, MIA, "still running at midnight")
    assert question["text"] == (
        "⏱ Your timer on *Website Relaunch / Umsetzung* started 21:00 on Mon 23.11. and was still running "
        "at midnight, so it stopped there. How long did you really work on it that day?"
    )
    await _jobs_done(ls, "timer_midnight")
    [timer] = await _timers(ls)
    assert timer.running is None and timer.asked_at is not None
    assert await entries(ls.db, ls.tenant_id) == []

    # The timer no longer runs: a new one can start the next morning while the question waits.
    stop = await send(ls, MIA, "/log-hours", "stop")
    assert "still waits for your answer" in stop.text

    answer = _button(question["blocks"], timer_views.ANSWER_ACTION)
    response = await ls.stack.slack.block_action(
        MIA, answer["action_id"], value=answer["value"], message=question, channel_id="D" + MIA.lstrip("U")
    )
    assert response.status == 200
    await ls.stack.fake.wait_for("views.open", lambda c: "How long" in str(c.params["view"]))
    form = ls.stack.fake.modal()
    assert "At most 3:00 h fit before midnight." in str(form["blocks"])

    too_long = {timer_views.DURATION_BLOCK: {timer_views.DURATION_ACTION: text_value("4h")}}
    body = (await ls.stack.slack.submit_view(MIA, form, too_long)).json
    assert body["response_action"] == "errors"
    assert body["errors"][timer_views.DURATION_BLOCK] == (
        "The timer started at 21:00 — at most 3:00 h fit before midnight."
    )
    assert await entries(ls.db, ls.tenant_id) == []

    state = {timer_views.DURATION_BLOCK: {timer_views.DURATION_ACTION: text_value("2h30")}}
    body = (await ls.stack.slack.submit_view(MIA, form, state)).json
    assert body["response_action"] == "update"
    assert "✓ 2:30 h · Website Relaunch / Umsetzung · Mon 23.11." in str(body["view"])
    [entry] = await entries(ls.db, ls.tenant_id)
    assert (entry.minutes, entry.day, entry.note) == (150, MONDAY, "release")
    assert await _timers(ls) == []
    updated = await ls.stack.fake.wait_for("chat.update")
    assert "logged for your timer of Mon 23.11." in updated[-1].params["text"]

    # Answering again (the same form, a replayed click) logs nothing more.
    body = (await ls.stack.slack.submit_view(MIA, form, state)).json
    assert "answered already" in str(body)
    assert len(await entries(ls.db, ls.tenant_id)) == 1


async def test_the_warning_of_a_timer_that_stopped_at_midnight_is_never_sent(ls: LoggingStack) -> None:
    ls.clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # 21:00
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    ls.clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 08:00 next day: past both jobs
    await _dm(ls, MIA, "still running at midnight")
    await _jobs_done(ls, "timer_warning")
    assert not [m for m in ls.stack.fake.dm_messages(MIA) if "10 hours" in str(m.get("text"))]


async def test_nothing_to_log_discards_the_question(ls: LoggingStack) -> None:
    ls.clock.set(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))  # 23:00
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    ls.clock.set(datetime(2026, 11, 23, 23, 5, tzinfo=UTC))
    question = await _dm(ls, MIA, "still running at midnight")
    discard = _button(question["blocks"], timer_views.DISCARD_ACTION)
    before = len(ls.stack.fake.hooks)
    await ls.stack.slack.block_action(MIA, discard["action_id"], value=discard["value"], message=question)
    gone = await ls.stack.fake.wait_for_hook(lambda b: any(b is h for _p, h in ls.stack.fake.hooks[before:]))
    assert (
        gone["text"] == "Nothing was logged for your timer of Mon 23.11. on *Website Relaunch / Umsetzung*."
    )
    assert await _timers(ls) == [] and await entries(ls.db, ls.tenant_id) == []


async def test_timers_speak_german_and_french(ls: LoggingStack) -> None:
    await send(ls, MIA, "/log-hours", "language de")
    reply = await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    assert reply.text == (
        "⏱ Timer gestartet um 10:00: *Website Relaunch / Umsetzung*. "
        "Halte ihn mit `/log-hours stopp` oder im App Home an."
    )
    again = await send(ls, MIA, "/log-hours", "starten Website Relaunch / Umsetzung")
    assert again.text.startswith("Seit 10:00 am Mo 23.11. läuft bereits ein Timer")
    home = await _home(ls, MIA)
    assert "⏱ *Timer läuft* seit 10:00 am Mo 23.11." in str(home["blocks"])

    await send(ls, NOAH, "/log-hours", "langue fr")
    ls.clock.set(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))  # 22:00: Mia's timer warns, in German
    warning = await _dm(ls, MIA, "10 Stunden")
    assert warning["text"].startswith("⏱ Dein Timer auf *Website Relaunch / Umsetzung* läuft seit 10 Stunden")
    started = await send(ls, NOAH, "/log-hours", "démarrer Website Relaunch / Umsetzung")
    assert started.text.startswith("⏱ Minuteur lancé à 22:00 : *Website Relaunch / Umsetzung*.")
    ls.clock.set(datetime(2026, 11, 23, 23, 1, tzinfo=UTC))
    question = await _dm(ls, NOAH, "minuit")
    assert question["text"].startswith(
        "⏱ Votre minuteur sur *Website Relaunch / Umsetzung* a démarré à 22:00 le lun. 23.11."
    )
    # Mia's timer (German) asked at midnight in her language.
    asked = await _dm(ls, MIA, "Mitternacht")
    assert asked["text"].startswith(
        "⏱ Dein Timer auf *Website Relaunch / Umsetzung* startete um 10:00 am Mo 23.11."
    )


async def test_another_persons_stop_button_stops_nothing(ls: LoggingStack) -> None:
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    [timer] = await _timers(ls)
    before = len(ls.stack.fake.hooks)
    await ls.stack.slack.block_action(NOAH, timer_views.STOP_ACTION, value=str(timer.id))
    answer = await ls.stack.fake.wait_for_hook(
        lambda b: any(b is h for _p, h in ls.stack.fake.hooks[before:])
    )
    assert answer["text"].startswith("No timer is running.")
    [still] = await _timers(ls)
    assert still.running is True and await entries(ls.db, ls.tenant_id) == []


async def test_a_stop_the_rules_refuse_keeps_the_minutes_in_the_form(ls: LoggingStack) -> None:
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung: deploy")
    async with ls.db.session(ls.tenant_id) as session:
        activity = await session.get(Activity, ls.company.activities["Umsetzung"])
        assert activity is not None
        activity.active = False  # archived in bexio while the timer ran
    ls.clock.advance(30 * 60)
    reply = await send(ls, MIA, "/log-hours", "stop")
    assert "no longer an active business activity" in reply.text
    form = reply.button(log_hours.OPEN_FORM_ACTION, "Open the form")
    assert await _timers(ls) == [] and await entries(ls.db, ls.tenant_id) == []
    await ls.stack.slack.block_action(MIA, form["action_id"], value=form["value"])
    await ls.stack.fake.wait_for("views.update")
    shown = str(ls.stack.fake.modal()["blocks"])
    assert "'initial_value': '0:30'" in shown and "'initial_value': 'deploy'" in shown


async def test_two_starts_at_once_leave_one_running_timer(ls: LoggingStack) -> None:
    """The database keeps one running timer per person, however the requests interleave."""
    timers = ls.stack.runtime.services.timers
    assert timers is not None
    request = HoursRequest(
        1,
        MONDAY,
        None,
        "",
        project_id=ls.company.projects["Website Relaunch"],
        activity_id=ls.company.activities["Umsetzung"],
    )
    outcomes = await asyncio.gather(*(timers.start(ls.tenant_id, MIA, request) for _n in range(4)))
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRunning"] * 3 + ["Started"]
    assert len(await _timers(ls)) == 1


async def test_a_stop_after_midnight_asks_once_whoever_notices_first(ls: LoggingStack) -> None:
    ls.clock.set(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))  # 22:00
    await send(ls, MIA, "/log-hours", "start Website Relaunch / Umsetzung")
    ls.clock.set(datetime(2026, 11, 24, 6, 30, tzinfo=UTC))  # 07:30 next morning, worker or not
    reply = await send(ls, MIA, "/log-hours", "stop")
    assert "still running at midnight" in reply.text or "still waits for your answer" in reply.text
    await _jobs_done(ls, "timer_midnight")
    questions = [
        m for m in ls.stack.fake.dm_messages(MIA) if "still running at midnight" in str(m.get("text"))
    ]
    assert len(questions) == 1
    assert await entries(ls.db, ls.tenant_id) == []
    home = await _home(ls, MIA)
    answer = _button(home["blocks"], timer_views.ANSWER_ACTION)
    [timer] = await _timers(ls)
    assert answer["value"] == str(timer.id) and timer.running is None


async def test_the_app_home_starts_a_timer_on_any_project_from_its_form(ls: LoggingStack) -> None:
    home = await _home(ls, NOAH)  # no recent hours: the form is the way in
    assert not [b for b in home["blocks"] if str(b.get("block_id", "")).startswith("recent.")]
    opener = _button(home["blocks"], timer_views.START_FORM_ACTION)
    await ls.stack.slack.block_action(NOAH, opener["action_id"], value=opener["value"], view=home)
    await ls.stack.fake.wait_for("views.open", lambda c: "Start a timer" in str(c.params["view"]))
    form = ls.stack.fake.modal()
    found = await ls.stack.slack.options(NOAH, timer_views.START_PROJECT_ACTION, "bern", view=form)
    assert str(ls.company.projects["Schulung Bern"]) in [o["value"] for o in found.json["options"]]

    missing = (await ls.stack.slack.submit_view(NOAH, form, {})).json
    assert missing["response_action"] == "errors" and set(missing["errors"]) == {
        "project",
        timer_views.START_ACTIVITY_BLOCK,
    }
    state = {
        "project": {
            timer_views.START_PROJECT_ACTION: select_value(
                str(ls.company.projects["Schulung Bern"]), kind="external_select"
            )
        },
        timer_views.START_ACTIVITY_BLOCK: {
            timer_views.START_ACTIVITY_ACTION: select_value(str(ls.company.activities["Meeting"]))
        },
        "note": {"note": text_value("Kursvorbereitung")},
    }
    body = (await ls.stack.slack.submit_view(NOAH, form, state)).json
    assert body["response_action"] == "update"
    assert "⏱ Timer started at 10:00: *Schulung Bern / Meeting*." in str(body["view"])
    [timer] = await _timers(ls)
    assert (timer.project_id, timer.activity_id, timer.note) == (
        ls.company.projects["Schulung Bern"],
        ls.company.activities["Meeting"],
        "Kursvorbereitung",
    )
    again = (await ls.stack.slack.submit_view(NOAH, form, state)).json
    assert "already running" in str(again["view"]) and len(await _timers(ls)) == 1
    ls.clock.advance(5 * 60)
    await send(ls, NOAH, "/log-hours", "stop")
    # A forged, inactive activity in the same form starts nothing.
    state[timer_views.START_ACTIVITY_BLOCK] = {
        timer_views.START_ACTIVITY_ACTION: select_value(str(ls.company.activities["Support alt"]))
    }
    body = (await ls.stack.slack.submit_view(NOAH, form, state)).json
    assert "Support alt is no longer an active business activity" in str(body["view"])
    assert await _timers(ls) == []
