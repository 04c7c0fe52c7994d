"""Missing-hours reminders (issue 17 §1, §2, §6) with a controlled clock, through the real stack:
who gets one and why the others do not, the DM and its buttons, the in-place update after hours are
logged by any path, snooze, and the App Home's time and opt-out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.views import form_state, hours_modal
from bot.views import reminder as reminder_view
from bxhours.fakes.slack_client import text_value
from bxhours.fakes.stack import ANDREA, MIA, NOAH
from core.absences import AbsenceKind, Half
from services.absences import AbsenceRequest
from services.reminders import NUDGES_TICK, REMINDER_WAKE, TICK_SECONDS, RemindersService, schedule_nudges
from storage.db import Database
from storage.models import Job, Nudge
from tests.factories import LoggingStack, add_entry, entries, logging_stack, send

THURSDAY = date(2026, 11, 26)
THURSDAY_EVENING = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)
"""17:30 in Zurich: past everyone's default reminder time."""
LEA = "lea.weber@alpenblick.example"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url, now=THURSDAY_EVENING) as running:
        yield running


def reminders(ls: LoggingStack) -> RemindersService:
    found = ls.stack.runtime.services.reminders
    assert found is not None
    return found


async def worked(
    ls: LoggingStack, who: str, day: date, minutes: int, project: str = "Website Relaunch"
) -> None:
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=ls.company.users[who],
        project=ls.company.projects[project],
        activity=ls.company.activities["Umsetzung"],
        day=day,
        minutes=minutes,
        created_at=datetime.combine(day, datetime.min.time(), UTC),
    )


async def dm(ls: LoggingStack, user: str, count: int = 1) -> dict[str, Any]:
    """The ``count``-th reminder DM posted to ``user``."""
    channel = "D" + user.lstrip("UW")
    calls = await ls.stack.fake.wait_for(
        "chat.postMessage", lambda call: call.params.get("channel") == channel, count=count
    )
    return calls[count - 1].params


def posted(ls: LoggingStack, user: str) -> list[Any]:
    channel = "D" + user.lstrip("UW")
    return [c for c in ls.stack.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


async def update_of(ls: LoggingStack, containing: str) -> dict[str, Any]:
    calls = await ls.stack.fake.wait_for(
        "chat.update", lambda call: containing in str(call.params.get("text"))
    )
    return calls[-1].params


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element
    return found


async def click(ls: LoggingStack, user: str, element: dict[str, Any], channel: str) -> None:
    response = await ls.stack.slack.block_action(
        user, element["action_id"], value=element.get("value"), channel_id=channel
    )
    assert response.status == 200, response.text


async def test_who_gets_a_reminder_and_why_the_others_do_not(ls: LoggingStack) -> None:
    # NOAH: nothing logged on Thursday → reminded. ANDREA: enough. MIA: opted out. Lea: no Slack user.
    await worked(ls, "andrea.keller@alpenblick.example", THURSDAY, 90)
    await worked(ls, "noah.keller@alpenblick.example", THURSDAY, 30)
    await reminders(ls).choose(ls.tenant_id, MIA, None)

    dry = await reminders(ls).run(ls.tenant_id, THURSDAY, dry_run=True)
    assert dry.to_json() == {
        "sent": [NOAH],
        "skipped": {ANDREA: "enough_hours", MIA: "opted_out", LEA: "unlinked"},
    }
    assert ls.stack.fake.calls_to("chat.postMessage") == []  # a dry run sends and records nothing

    result = await reminders(ls).run(ls.tenant_id, THURSDAY)
    assert result.sent == [NOAH]
    message = await dm(ls, NOAH)
    assert message["text"] == "Hours missing: 0:30 h logged on Thu 26.11."
    again = await reminders(ls).run(ls.tenant_id, THURSDAY)
    assert again.sent == [] and again.skipped[NOAH] == "already_reminded"
    assert len(ls.stack.fake.calls_to("chat.postMessage")) == 1

    weekend = await reminders(ls).run(ls.tenant_id, date(2026, 11, 28))
    assert weekend.skipped == {ANDREA: "weekend", MIA: "opted_out", NOAH: "weekend", LEA: "unlinked"}

    settings = ls.stack.runtime.services.settings
    await settings.set(ls.tenant_id, "holidays_canton", "ZH", actor="test")
    christmas = await reminders(ls).run(ls.tenant_id, date(2026, 12, 25))
    assert christmas.skipped[NOAH] == christmas.skipped[ANDREA] == "holiday"
    # Good Friday is a holiday in Zurich, not in Ticino; Epiphany the other way round.
    assert (await reminders(ls).run(ls.tenant_id, date(2026, 4, 3), dry_run=True)).skipped[NOAH] == "holiday"
    assert NOAH in (await reminders(ls).run(ls.tenant_id, date(2026, 1, 6), dry_run=True)).sent
    await settings.set(ls.tenant_id, "holidays_canton", "TI", actor="test")
    assert NOAH in (await reminders(ls).run(ls.tenant_id, date(2026, 4, 3), dry_run=True)).sent
    assert (await reminders(ls).run(ls.tenant_id, date(2026, 1, 6), dry_run=True)).skipped[NOAH] == "holiday"

    await settings.set(ls.tenant_id, "reminders_enabled", "off", actor="test")
    disabled = await reminders(ls).run(ls.tenant_id, date(2026, 11, 27))
    assert set(disabled.skipped.values()) == {"disabled"} and disabled.sent == []


async def test_reminder_min_hours_and_the_default_day_is_each_persons_today(ls: LoggingStack) -> None:
    ls.stack.fake.users[NOAH].tz = "America/New_York"  # 11:30 there: still Thursday
    ls.clock.set(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))  # Friday 04:00 in Zurich, Thursday 22:00 in NY
    await worked(ls, "noah.keller@alpenblick.example", THURSDAY, 90)
    await worked(ls, "mia.schmid@alpenblick.example", date(2026, 11, 27), 90)
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "reminder_min_hours", "2", actor="test")
    result = await reminders(ls).run(ls.tenant_id, dry_run=True)
    assert NOAH in result.sent  # 1:30 h on *his* Thursday is under 2 h
    assert MIA in result.sent  # 1:30 h on her Friday too
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "reminder_min_hours", "1.5", actor="test")
    result = await reminders(ls).run(ls.tenant_id, dry_run=True)
    assert result.skipped[NOAH] == result.skipped[MIA] == "enough_hours"


async def test_the_scheduler_sends_at_each_persons_time_once(ls: LoggingStack) -> None:
    ls.clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # 16:00 in Zurich
    await reminders(ls).choose(ls.tenant_id, MIA, datetime(2000, 1, 1, 15, 30).time())
    due = await reminders(ls).run(ls.tenant_id, due_only=True)
    assert due.sent == [MIA]  # her 15:30 has come, the others' 17:00 not
    ls.clock.set(THURSDAY_EVENING)
    due = await reminders(ls).run(ls.tenant_id, due_only=True)
    assert sorted(due.sent) == [ANDREA, NOAH] and due.skipped[MIA] == "already_reminded"


async def test_the_dm_offers_recent_combinations_and_one_click_logs_and_updates_it(ls: LoggingStack) -> None:
    await worked(ls, "noah.keller@alpenblick.example", date(2026, 11, 23), 240, "Cloud-Migration")
    await worked(ls, "noah.keller@alpenblick.example", date(2026, 11, 24), 240)
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    message = await dm(ls, NOAH)
    rendered = str(message["blocks"])
    assert "*0:00 h logged on Thu 26.11.* — at least 1:00 h are expected on a working day." in rendered
    assert rendered.index("Website Relaunch / Umsetzung") < rendered.index("Cloud-Migration / Umsetzung")
    found = buttons(message)
    assert [found[f"reminder_log{h}.0"]["text"]["text"] for h in (1, 2)] == ["1 h", "2 h"]
    assert found["reminder_other.0"]["text"]["text"] == "Other…"
    assert found["reminder_snooze"]["text"]["text"] == "Snooze 1 h"
    assert found["reminder_day_off"]["text"]["text"] == "Day off"

    await click(ls, NOAH, found["reminder_log2.0"], message["channel"])
    updated = await update_of(ls, "✓ 2:00 h logged")
    assert updated["text"] == "✓ 2:00 h logged on Thu 26.11."
    assert "actions" not in str(updated["blocks"])  # covered: no buttons left
    [*_older, entry] = await entries(ls.db, ls.tenant_id)
    assert (entry.minutes, entry.day, entry.project_id) == (
        120,
        THURSDAY,
        ls.company.projects["Website Relaunch"],
    )
    assert (await _nudge(ls, NOAH)).state == "covered"


async def test_a_click_is_checked_against_the_reminder_on_the_server(ls: LoggingStack) -> None:
    await worked(ls, "noah.keller@alpenblick.example", date(2026, 11, 24), 30)
    await worked(ls, "mia.schmid@alpenblick.example", date(2026, 11, 24), 30)
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    noahs = await dm(ls, NOAH)
    log_one = buttons(noahs)["reminder_log1.0"]
    before = len(await entries(ls.db, ls.tenant_id))
    # Mia clicks Noah's button; Noah clicks an index that was never offered; a damaged value.
    await click(ls, MIA, log_one, noahs["channel"])
    await ls.stack.fake.wait_for_hook(lambda body: "was not sent to you" in str(body.get("text")))
    forged = {**log_one, "action_id": "reminder_log1.2", "value": log_one["value"].split(".")[0] + ".2"}
    await click(ls, NOAH, forged, noahs["channel"])
    await ls.stack.fake.wait_for_hook(lambda body: "out of date" in str(body.get("text")))
    await click(ls, NOAH, {**log_one, "value": "1; DROP"}, noahs["channel"])
    await ls.stack.fake.wait_for_hook(lambda body: "damaged" in str(body.get("text")))
    assert len(await entries(ls.db, ls.tenant_id)) == before


async def test_logging_by_command_updates_the_reminder_in_place(ls: LoggingStack) -> None:
    await worked(ls, "noah.keller@alpenblick.example", THURSDAY, 20)
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    message = await dm(ls, NOAH)
    await send(ls, NOAH, "/log-hours", "20m 26.11. Website Relaunch / Umsetzung")
    partly = await update_of(ls, "0:40 h logged")  # still short: re-rendered with the new total
    assert "reminder_log1.0" in str(partly["blocks"])
    await send(ls, NOAH, "/log-hours", "5h50 26.11. Website Relaunch / Umsetzung")
    updated = await update_of(ls, "✓ 6:30 h logged")
    assert (updated["channel"], updated["ts"]) == (message["channel"], (await _nudge(ls, NOAH)).ts)
    assert len(posted(ls, NOAH)) == 1  # never a second message


async def test_logging_through_the_prefilled_form_updates_the_reminder(ls: LoggingStack) -> None:
    await worked(ls, "noah.keller@alpenblick.example", date(2026, 11, 20), 30)
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=ls.company.users["noah.keller@alpenblick.example"],
        project=ls.company.projects["Website Relaunch"],
        activity=ls.company.activities["Meeting"],
        day=date(2026, 11, 24),
        minutes=30,
    )
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    message = await dm(ls, NOAH)
    await click(ls, NOAH, buttons(message)["reminder_other.0"], message["channel"])
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    block = {prefix: b for b in view["blocks"] for prefix in [str(b.get("block_id"))] if prefix}
    block |= {
        name: next(b for b in view["blocks"] if b.get("block_id") == form_state.block_id(view, name))
        for name in (hours_modal.PROJECT_BLOCK, hours_modal.ACTIVITY_BLOCK)
    }
    assert block[hours_modal.DURATION_BLOCK]["element"]["initial_value"] == "1:00"  # what is missing
    assert block[hours_modal.DAY_BLOCK]["element"]["initial_date"] == "2026-11-26"
    assert "Website Relaunch" in str(block[hours_modal.PROJECT_BLOCK])
    activity = block[hours_modal.ACTIVITY_BLOCK]["element"]["initial_option"]["text"]["text"]
    assert activity == "Meeting"  # the offered combination's, not the project's usual activity
    state = hours_modal_state(view, duration="3:15")
    response = await ls.stack.slack.submit_view(NOAH, view, state)
    assert response.status == 200, response.text
    updated = await update_of(ls, "✓ 3:15 h logged")
    assert updated["text"] == "✓ 3:15 h logged on Thu 26.11."


def hours_modal_state(view: dict[str, Any], *, duration: str) -> dict[str, Any]:
    """The modal's state as Slack would send it: every input as prefilled, the duration typed."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        action = element["action_id"]
        kind = element["type"]
        if block["block_id"] == hours_modal.DURATION_BLOCK:
            value: dict[str, Any] = text_value(duration)
        elif kind == "datepicker":
            value = {"type": kind, "selected_date": element.get("initial_date")}
        elif kind in ("static_select", "external_select"):
            value = {"type": kind, "selected_option": element.get("initial_option")}
        elif kind == "checkboxes":
            value = {"type": kind, "selected_options": element.get("initial_options", [])}
        else:
            value = {"type": kind, "value": element.get("initial_value", "")}
        state[block["block_id"]] = {action: value}
    return state


async def _nudge(ls: LoggingStack, user: str) -> Nudge:
    async with ls.db.session(ls.tenant_id) as session:
        found = await session.scalar(select(Nudge).where(Nudge.slack_user_id == user))
        assert found is not None
        return found


async def test_mondays_reminder_lists_friday_when_still_short(ls: LoggingStack) -> None:
    monday = date(2026, 11, 30)
    ls.clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    await worked(ls, "noah.keller@alpenblick.example", date(2026, 11, 27), 15)
    await worked(ls, "mia.schmid@alpenblick.example", date(2026, 11, 27), 480)
    await reminders(ls).run(ls.tenant_id, monday)
    noahs, mias = await dm(ls, NOAH), await dm(ls, MIA)
    assert "Fri 27.11. is still short too: 0:15 h logged." in str(noahs["blocks"])
    assert "Fri 27.11." not in str(mias["blocks"])
    assert len(ls.stack.fake.calls_to("chat.postMessage")) == 3  # one each (Andrea too), never two
    # Friday gets covered: Monday's message drops the line, in place.
    await send(ls, NOAH, "/log-hours", "2h 27.11. Website Relaunch / Umsetzung")
    updated = await ls.stack.fake.wait_for(
        "chat.update", lambda call: call.params.get("channel") == noahs["channel"]
    )
    assert "Fri 27.11." not in str(updated[-1].params["blocks"])
    assert "0:00 h logged on Mon 30.11." in str(updated[-1].params["blocks"])


async def test_snooze_hides_the_buttons_and_the_reminder_comes_back_an_hour_later(ls: LoggingStack) -> None:
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    message = await dm(ls, NOAH)
    await click(ls, NOAH, buttons(message)["reminder_snooze"], message["channel"])
    snoozed = await update_of(ls, "Hours missing")
    assert "Snoozed — I will remind you again at 18:30." in str(snoozed["blocks"])
    assert buttons(snoozed) == {}
    async with ls.db.system_session() as session:
        wake = await session.scalar(select(Job).where(Job.kind == REMINDER_WAKE))
        assert wake is not None and wake.run_at == THURSDAY_EVENING + timedelta(hours=1)
    ls.clock.advance(3601)
    ls.stack.runtime.worker.wake()
    again = await dm(ls, NOAH, count=2)
    assert "reminder_log1" not in str(again["blocks"]) and "reminder_snooze" in str(again["blocks"])
    assert (await _nudge(ls, NOAH)).state == "open"


async def test_a_snoozed_day_covered_meanwhile_does_not_come_back(ls: LoggingStack) -> None:
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    message = await dm(ls, NOAH)
    await click(ls, NOAH, buttons(message)["reminder_snooze"], message["channel"])
    await update_of(ls, "Hours missing")
    await send(ls, NOAH, "/log-hours", "8h 26.11. Website Relaunch / Umsetzung")
    await update_of(ls, "✓ 8:00 h logged")
    ls.clock.advance(3601)
    ls.stack.runtime.worker.wake()
    await ls.stack.runtime.worker.run_until_idle()
    assert len(posted(ls, NOAH)) == 1


async def test_the_app_home_sets_the_time_and_opts_out(ls: LoggingStack) -> None:
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.open_home(MIA)
    await ls.stack.fake.wait_for("views.publish", count=before + 1)
    home = ls.stack.fake.home[MIA]
    block = next(b for b in home["blocks"] if b.get("block_id") == reminder_view.HOME_BLOCK)
    select_ = block["accessory"]
    assert select_["initial_option"]["value"] == "17:00"
    assert [o["value"] for o in select_["options"]][:3] == ["off", "15:00", "15:30"]

    async def choose(value: str) -> None:
        count = len(ls.stack.fake.calls_to("views.publish"))
        response = await ls.stack.slack.block_action(
            MIA,
            reminder_view.HOME_ACTION,
            block_id=reminder_view.HOME_BLOCK,
            selected_option={"value": value, "text": {"type": "plain_text", "text": value}},
            view=ls.stack.fake.home[MIA],
        )
        assert response.status == 200
        await ls.stack.fake.wait_for("views.publish", count=count + 1)

    await choose("18:30")
    assert await reminders(ls).preference(ls.tenant_id, MIA) == (datetime(1, 1, 1, 18, 30).time(), False)
    await choose("off")
    assert (await reminders(ls).preference(ls.tenant_id, MIA))[1] is True
    assert (await reminders(ls).run(ls.tenant_id, THURSDAY, dry_run=True)).skipped[MIA] == "opted_out"
    await choose("18:30")  # back on at the time chosen before
    assert await reminders(ls).preference(ls.tenant_id, MIA) == (datetime(1, 1, 1, 18, 30).time(), False)
    # A time the select did not offer is refused and changes nothing.
    response = await ls.stack.slack.block_action(
        MIA,
        reminder_view.HOME_ACTION,
        block_id=reminder_view.HOME_BLOCK,
        selected_option={"value": "03:15", "text": {"type": "plain_text", "text": "x"}},
        view=ls.stack.fake.home[MIA],
    )
    assert response.status == 200
    await ls.stack.fake.wait_for("chat.postMessage", lambda c: "not one bxhours offers" in str(c.params))
    assert await reminders(ls).preference(ls.tenant_id, MIA) == (datetime(1, 1, 1, 18, 30).time(), False)


async def test_day_off_logs_an_absence_and_an_absent_day_is_skipped(ls: LoggingStack) -> None:
    absences = ls.stack.runtime.services.absences
    assert absences is not None
    await absences.log(ls.tenant_id, MIA, AbsenceRequest(AbsenceKind.VACATION, THURSDAY, THURSDAY))
    result = await reminders(ls).run(ls.tenant_id, THURSDAY)
    assert result.skipped[MIA] == "absent" and NOAH in result.sent

    message = await dm(ls, NOAH)
    await click(ls, NOAH, buttons(message)["reminder_day_off"], message["channel"])
    updated = await update_of(ls, "day off")
    assert updated["text"] == "🌴 Thu 26.11. is logged as a day off."
    assert await absences.is_full_day_absent(ls.tenant_id, NOAH, THURSDAY)
    assert (await _nudge(ls, NOAH)).state == "day_off"
    assert (await reminders(ls).run(ls.tenant_id, THURSDAY, dry_run=True)).skipped[NOAH] == "absent"
    # A second click (an old copy of the message) changes nothing and says why.
    await click(ls, NOAH, buttons(message)["reminder_day_off"], message["channel"])
    await ls.stack.fake.wait_for_hook(lambda body: "day off already" in str(body.get("text")))


async def test_a_half_day_absence_still_gets_a_reminder(ls: LoggingStack) -> None:
    absences = ls.stack.runtime.services.absences
    assert absences is not None
    half = AbsenceRequest(AbsenceKind.VACATION, THURSDAY, THURSDAY, Half.MORNING)
    await absences.log(ls.tenant_id, MIA, half)
    assert MIA in (await reminders(ls).run(ls.tenant_id, THURSDAY, dry_run=True)).sent


@pytest.mark.parametrize(
    ("language", "headline", "buttons_"),
    [
        (
            "de",
            "Stunden fehlen: 0:30 h erfasst am Do 26.11.",
            ["1 h", "2 h", "Andere…", "1 h später", "Freier Tag"],
        ),
        (
            "fr",
            "Heures manquantes : 0:30 h saisies le jeu. 26.11.",
            ["1 h", "2 h", "Autre…", "Dans 1 h", "Jour de congé"],
        ),
        (
            "it",
            "Ore mancanti: 0:30 h registrate il gio 26.11.",
            ["1 h", "2 h", "Altro…", "Tra 1 h", "Giorno libero"],
        ),
    ],
)
async def test_the_reminder_speaks_the_persons_language(
    ls: LoggingStack, language: str, headline: str, buttons_: list[str]
) -> None:
    languages = ls.stack.runtime.services.languages
    assert languages is not None
    await languages.choose(ls.tenant_id, NOAH, language)
    await worked(ls, "noah.keller@alpenblick.example", THURSDAY, 30)
    await reminders(ls).run(ls.tenant_id, THURSDAY)
    message = await dm(ls, NOAH)
    assert message["text"] == headline
    assert [b["text"]["text"] for b in buttons(message).values()] == buttons_
    rendered = str(message["blocks"])
    for english in ("logged on", "expected on a working day", "recent combinations", "turn reminders off"):
        assert english not in rendered, english
    await send(ls, NOAH, "/log-hours", "8h 26.11. Website Relaunch / Umsetzung")
    covered = await ls.stack.fake.wait_for("chat.update", lambda c: "✓ 8:30 h" in str(c.params.get("text")))
    assert "logged" not in covered[-1].params["text"]


async def test_the_scheduler_is_a_tick_on_the_job_queue_that_queues_the_next_one(ls: LoggingStack) -> None:
    queue = ls.stack.runtime.queue
    await ls.stack.runtime.schedule_polls()  # what serve and worker do at start
    await schedule_nudges(queue, ls.tenant_id)  # a second start: absorbed by the dedup key
    async with ls.db.system_session() as session:
        [seeded] = list(await session.scalars(select(Job).where(Job.kind == NUDGES_TICK)))
    assert seeded.run_at == THURSDAY_EVENING + timedelta(seconds=TICK_SECONDS)  # not at once
    ls.clock.advance(TICK_SECONDS)
    ls.stack.runtime.worker.wake()
    await dm(ls, NOAH)  # 17:30 in Zurich: everyone's 17:00 has come

    async def ticks() -> list[Job]:
        async with ls.db.system_session() as session:
            return list(await session.scalars(select(Job).where(Job.kind == NUDGES_TICK).order_by(Job.id)))

    for _ in range(200):
        found = await ticks()
        if [j.status for j in found] == ["done", "queued"]:
            break
        await asyncio.sleep(0.05)
    done, following = await ticks()
    assert done.result is not None and done.result["sent"] == 3
    assert following.run_at == THURSDAY_EVENING + timedelta(seconds=2 * TICK_SECONDS)
    assert len(posted(ls, NOAH)) == 1
