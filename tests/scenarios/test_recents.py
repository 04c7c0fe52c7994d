"""Recents (issue 17 §3): the person's last 7 days' project/activity combinations, most recent
first — in the `/log-hours` form, in the App Home, for the reminder's buttons — and
`/log-hours again`, through signed Slack requests with a controlled clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot.views import hours_modal
from bot.views import timers as timer_views
from bxhours.fakes.slack_client import option
from bxhours.fakes.stack import ANDREA, MIA
from services.recents import recent_combinations
from storage.db import Database
from tests.factories import MONDAY_MORNING, LoggingStack, add_entry, entries, logging_stack, send, user_id

MONDAY = date(2026, 11, 23)
MIA_EMAIL = "mia.schmid@alpenblick.example"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


async def _mia_history(ls: LoggingStack) -> None:
    """Mia's last days: Meeting on Monday, Umsetzung on Friday (logged twice), Schulung Bern on
    Tuesday 17.11. (7 days back: in), Schulung Basel on Monday 16.11. (8 days back: out), and
    Andrea's hours, which are not Mia's."""
    mia = await user_id(ls.db, ls.tenant_id, MIA_EMAIL)
    andrea = await user_id(ls.db, ls.tenant_id, "andrea.keller@alpenblick.example")
    p, a = ls.company.projects, ls.company.activities
    rows = [
        (mia, p["Schulung Basel"], a["Umsetzung"], date(2026, 11, 16)),
        (mia, p["Schulung Bern"], a["Meeting"], date(2026, 11, 17)),
        (mia, p["Website Relaunch"], a["Umsetzung"], date(2026, 11, 20)),
        (mia, p["Website Relaunch"], a["Umsetzung"], date(2026, 11, 19)),
        (mia, p["Website Relaunch"], a["Meeting"], MONDAY),
        (andrea, p["Schulung Basel"], a["Weiterbildung"], MONDAY),
    ]
    for n, (user, project, activity, day) in enumerate(rows):
        await add_entry(
            ls.db,
            ls.tenant_id,
            user=user,
            project=project,
            activity=activity,
            day=day,
            minutes=60,
            created_at=MONDAY_MORNING - timedelta(hours=10 - n),
        )


async def test_recent_combinations_most_recent_first_within_seven_days(ls: LoggingStack) -> None:
    await _mia_history(ls)
    found = await recent_combinations(ls.db, ls.tenant_id, MIA, MONDAY)
    assert [c.label for c in found] == [
        "Website Relaunch / Meeting",
        "Website Relaunch / Umsetzung",
        "Schulung Bern / Meeting",
    ]
    assert found[1].last_day == date(2026, 11, 20)
    assert found[0].value == f"{ls.company.projects['Website Relaunch']}:{ls.company.activities['Meeting']}"
    assert [c.label for c in await recent_combinations(ls.db, ls.tenant_id, MIA, MONDAY, limit=2)] == [
        "Website Relaunch / Meeting",
        "Website Relaunch / Umsetzung",
    ]
    assert len(await recent_combinations(ls.db, ls.tenant_id, MIA, MONDAY, days=8)) == 4
    assert await recent_combinations(ls.db, ls.tenant_id, "U404NOBODY", MONDAY) == []


async def _open_form(ls: LoggingStack, user: str) -> dict[str, Any]:
    response = await ls.stack.slack.command("/log-hours", "", user_id=user)
    assert response.status == 200 and response.text == ""
    await ls.stack.fake.wait_for("views.update")
    return ls.stack.fake.modal()


async def test_the_form_offers_recent_combinations_first_and_a_pick_fills_it_in(ls: LoggingStack) -> None:
    await _mia_history(ls)
    view = await _open_form(ls, MIA)
    first = view["blocks"][0]
    assert first["block_id"] == hours_modal.RECENT_BLOCK
    options = first["accessory"]["options"]
    assert [o["text"]["text"] for o in options] == [
        "Website Relaunch / Meeting",
        "Website Relaunch / Umsetzung",
        "Schulung Bern / Meeting",
    ]
    bern = options[2]
    updates = len(ls.stack.fake.calls_to("views.update"))
    response = await ls.stack.slack.block_action(
        MIA, hours_modal.RECENT_ACTION, view=view, block_id=hours_modal.RECENT_BLOCK, selected_option=bern
    )
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update", count=updates + 1)
    view = ls.stack.fake.modal()
    project = next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith("project"))
    assert project["element"]["initial_option"]["text"]["text"] == "Schulung Bern · 000032"
    activity = next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith("activity"))
    assert activity["element"]["initial_option"]["text"]["text"] == "Meeting"


async def test_a_forged_recent_value_fills_in_nothing(ls: LoggingStack) -> None:
    await _mia_history(ls)
    view = await _open_form(ls, MIA)
    updates = len(ls.stack.fake.calls_to("views.update"))
    inactive = f"{ls.company.projects['Website Relaunch']}:{ls.company.activities['Support alt']}"
    for forged in ("1:", "abc", "99999:1", inactive):
        response = await ls.stack.slack.block_action(
            MIA,
            hours_modal.RECENT_ACTION,
            view=view,
            block_id=hours_modal.RECENT_BLOCK,
            selected_option=option(forged),
        )
        assert response.status == 200
    # Damaged values are refused as such; the two real lookups (an unknown pair, an inactive
    # activity) keep the form as it was and say why under the list — nothing is filled in.
    await ls.stack.fake.wait_for("views.update", count=updates + 2)
    shown = [c.params["view"] for c in ls.stack.fake.calls_to("views.update")[updates:]]
    # The two lookups run after their acks and may finish in either order.
    said = [str(view["blocks"][1]) for view in shown[:2]]
    assert any("no longer exists in bxhours" in text for text in said), said
    assert any("Support alt is no longer active in bexio." in text for text in said), said
    for view in shown:
        project = next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith("project"))
        assert "initial_option" not in project["element"]
    assert len(await entries(ls.db, ls.tenant_id)) == 6


async def test_the_app_home_offers_recents_with_start_and_log(ls: LoggingStack) -> None:
    await _mia_history(ls)
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.open_home(MIA)
    await ls.stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == MIA, count=before + 1)
    home = ls.stack.fake.home[MIA]
    rows = [b for b in home["blocks"] if str(b.get("block_id", "")).startswith("recent.")]
    assert [r["elements"][0]["text"]["text"] for r in rows] == [
        "▶ Website Relaunch / Meeting",
        "▶ Website Relaunch / Umsetzung",
        "▶ Schulung Bern / Meeting",
    ]
    log = rows[1]["elements"][1]
    assert log["action_id"] == timer_views.RECENT_LOG_ACTION
    await ls.stack.slack.block_action(MIA, log["action_id"], value=log["value"], view=home)
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    project = next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith("project"))
    assert project["element"]["initial_option"]["text"]["text"] == "Website Relaunch · 000042"
    activity = next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith("activity"))
    assert activity["element"]["initial_option"]["text"]["text"] == "Umsetzung"


async def test_again_repeats_the_last_entry_for_today(ls: LoggingStack) -> None:
    nothing = await send(ls, MIA, "/log-hours", "again")
    assert nothing.text.startswith("There is nothing to repeat yet")
    await send(ls, MIA, "/log-hours", "1h30 yesterday Website Relaunch / Meeting: standup")
    ls.clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=MONDAY_MORNING.tzinfo))  # Tuesday
    reply = await send(ls, MIA, "/log-hours", "again")
    assert reply.text == "✓ 1:30 h · Website Relaunch / Meeting · Tue 24.11. · CHF 210.00 billable"
    first, repeated = await entries(ls.db, ls.tenant_id)
    assert (repeated.minutes, repeated.day, repeated.note, repeated.project_id, repeated.activity_id) == (
        90,
        date(2026, 11, 24),
        "standup",
        first.project_id,
        first.activity_id,
    )
    # Another person's hours are never theirs to repeat.
    assert (await send(ls, ANDREA, "/log-hours", "again")).text.startswith("There is nothing to repeat yet")


async def test_again_in_german_french_and_italian(ls: LoggingStack) -> None:
    await send(ls, MIA, "/log-hours", "language de")
    assert (await send(ls, MIA, "/log-hours", "nochmal")).text.startswith(
        "Es gibt noch nichts zu wiederholen"
    )
    await send(ls, MIA, "/log-hours", "2h Website Relaunch / Umsetzung")
    again = await send(ls, MIA, "/log-hours", "nochmal")
    assert again.text.startswith("✓ 2:00 h · Website Relaunch / Umsetzung · Mo 23.11.")
    assert [e.minutes for e in await entries(ls.db, ls.tenant_id)] == [120, 120]
    await send(ls, MIA, "/log-hours", "language fr")
    assert (await send(ls, MIA, "/log-hours", "encore")).text.startswith("✓ 2:00 h")
    await send(ls, MIA, "/log-hours", "lingua it")
    assert (await send(ls, MIA, "/log-hours", "ancora")).text.startswith("✓ 2:00 h")
    assert len(await entries(ls.db, ls.tenant_id)) == 4
