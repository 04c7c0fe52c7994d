"""`/log-hours` through signed Slack requests: one line, choices, refusals, undo, the form, rates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from bexio.sandbox import RunningSandbox
from bot.views import choices, hours_modal, log_hours
from bxhours.fakes.slack_client import checkboxes_value, date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA, GUEST, MIA, NOAH
from storage.db import Database
from storage.models import Activity
from tests.factories import (
    LoggingStack,
    Reply,
    add_entry,
    audit_rows,
    click,
    entries,
    invoice,
    logging_stack,
    send,
    user_id,
)

MONDAY = date(2026, 11, 23)


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


def _candidates(reply: Reply, stem: str) -> list[dict[str, Any]]:
    """The candidate buttons of a choice: one action id per button (``<stem>.<n>``), as Slack wants."""
    assert reply.hook is not None
    pattern = choices.pick_pattern(stem)
    return [
        element
        for block in reply.hook.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
        if pattern.match(element.get("action_id", ""))
    ]


def _picks(reply: Reply, stem: str) -> list[str]:
    return [button["text"]["text"] for button in _candidates(reply, stem)]


def _pick(reply: Reply, stem: str, label: str) -> dict[str, Any]:
    return next(button for button in _candidates(reply, stem) if label in button["text"]["text"])


async def test_one_line_stores_the_entry_and_confirms_it_with_undo(
    db: Database, database_url: str, sandbox: RunningSandbox
) -> None:
    async with logging_stack(database_url, bexio_url=sandbox.url) as ls:
        calls_before = len(sandbox.state.calls)
        reply = await send(ls, ANDREA, "/log-hours", "2h30 Website Relaunch / Umsetzung: checkout bug")
        assert reply.text == "✓ 2:30 h · Website Relaunch / Umsetzung · Mon 23.11. · CHF 375.00 billable"
        assert reply.hook is not None and reply.hook["response_type"] == "ephemeral"
        undo = reply.button(log_hours.UNDO_ACTION, "Undo")
        [entry] = await entries(ls.db, ls.tenant_id)
        assert undo["value"] == str(entry.id)
        assert (entry.minutes, entry.day, entry.note, entry.billable) == (150, MONDAY, "checkout bug", True)
        assert entry.rate == Decimal("150.00") and entry.rate_source == "activity_default"
        assert entry.source == "slack" and entry.status == "open"
        assert entry.project_id == ls.company.projects["Website Relaunch"]
        assert entry.activity_id == ls.company.activities["Umsetzung"]
        assert len(sandbox.state.calls) == calls_before, "logging hours must not call bexio"


async def test_project_number_and_yesterday_asks_for_the_activity_once(ls: LoggingStack) -> None:
    reply = await send(ls, MIA, "/log-hours", "1.5h yesterday 000042")
    assert "Which activity for *Website Relaunch*?" in reply.text
    assert "Umsetzung" in _picks(reply, log_hours.PICK_ACTIVITY_ACTION)
    assert "Support alt" not in _picks(reply, log_hours.PICK_ACTIVITY_ACTION)
    assert await entries(ls.db, ls.tenant_id) == []

    chosen = await click(ls, MIA, _pick(reply, log_hours.PICK_ACTIVITY_ACTION, "Umsetzung"))
    assert chosen.hook is not None and chosen.hook["replace_original"] is True
    assert chosen.text == "✓ 1:30 h · Website Relaunch / Umsetzung · Sun 22.11. · CHF 225.00 billable"

    # Next time the activity Mia last logged on the project is taken without asking.
    again = await send(ls, MIA, "/log-hours", "1h 42")
    assert again.text == "✓ 1:00 h · Website Relaunch / Umsetzung · Mon 23.11. · CHF 150.00 billable"
    assert [e.minutes for e in await entries(ls.db, ls.tenant_id)] == [90, 60]


async def test_default_activity_setting_applies_without_history(ls: LoggingStack) -> None:
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "default_activity", "meeting", actor="test")
    reply = await send(ls, NOAH, "/log-hours", "45m 20.11. website: call with client")
    assert reply.text == "✓ 0:45 h · Website Relaunch / Meeting · Fri 20.11. · CHF 105.00 billable"
    [entry] = await entries(ls.db, ls.tenant_id)
    assert entry.note == "call with client" and entry.day == date(2026, 11, 20)


async def test_nb_marks_the_entry_not_billable_and_activity_default_applies_otherwise(
    ls: LoggingStack,
) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h nb Website Relaunch / Meeting")
    assert reply.text == "✓ 1:00 h · Website Relaunch / Meeting · Mon 23.11. · not billable"
    reply = await send(ls, ANDREA, "/log-hours", "2h Website Relaunch / Weiterbildung")
    assert reply.text.endswith("· not billable")
    assert [e.billable for e in await entries(ls.db, ls.tenant_id)] == [False, False]


async def test_ambiguous_project_offers_buttons_then_logs_the_choice(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h schulung / Umsetzung: Kurs")
    assert "Several projects match “schulung”" in reply.text
    assert _picks(reply, log_hours.PICK_PROJECT_ACTION) == [
        "Schulung Basel · 000031",
        "Schulung Bern · 000032",
    ]
    assert reply.buttons(log_hours.OPEN_FORM_ACTION) == []
    chosen = await click(ls, ANDREA, _pick(reply, log_hours.PICK_PROJECT_ACTION, "Bern"))
    assert chosen.text == "✓ 1:00 h · Schulung Bern / Umsetzung · Mon 23.11. · CHF 150.00 billable"
    [entry] = await entries(ls.db, ls.tenant_id)
    assert entry.note == "Kurs"


async def test_more_than_five_matches_offer_the_form(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "2h15 onlineshop / Umsetzung: Warenkorb")
    assert len(_picks(reply, log_hours.PICK_PROJECT_ACTION)) == 5
    form_button = reply.button(log_hours.OPEN_FORM_ACTION, "Open the form")
    response = await ls.stack.slack.block_action(
        ANDREA, log_hours.OPEN_FORM_ACTION, value=form_button["value"]
    )
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    duration = next(b for b in view["blocks"] if b.get("block_id") == hours_modal.DURATION_BLOCK)
    note = next(b for b in view["blocks"] if b.get("block_id") == hours_modal.NOTE_BLOCK)
    assert duration["element"]["initial_value"] == "2:15"
    assert note["element"]["initial_value"] == "Warenkorb"
    assert await entries(ls.db, ls.tenant_id) == []


async def test_unknown_project_names_the_closest(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Relaunch")
    assert reply.text == "No project matches “Relaunch”. Closest: *Website Relaunch*."
    reply = await send(ls, ANDREA, "/log-hours", "1h Zzyzx")
    assert "No project matches “Zzyzx”" in reply.text
    assert await entries(ls.db, ls.tenant_id) == []


async def test_inactive_project_and_activity_are_refused_with_the_reason(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Intranet / Umsetzung")
    assert reply.text == "Intranet takes no new entries: it is closed in bexio (state “Abgeschlossen”)."
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Support alt")
    assert "Support alt is no longer an active business activity" in reply.text
    assert await entries(ls.db, ls.tenant_id) == []


async def test_unlinked_person_is_told_who_can_link_them(ls: LoggingStack) -> None:
    reply = await send(ls, GUEST, "/log-hours", "1h Website Relaunch / Umsetzung")
    assert (
        "not linked to a bexio user yet, so your hours could not be logged — nothing was stored" in reply.text
    )
    assert "<@U01ANDREA>" in reply.text
    assert "/bx-sync link" in reply.text
    assert await entries(ls.db, ls.tenant_id) == []


async def test_future_dates_need_the_setting(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h 2026-11-25 Website Relaunch / Umsetzung")
    assert "Wed 25.11.2026 is in the future" in reply.text
    assert "allow_future_dates" in reply.text
    assert await entries(ls.db, ls.tenant_id) == []
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "allow_future_dates", "yes", actor="test")
    reply = await send(ls, ANDREA, "/log-hours", "1h 2026-11-25 Website Relaunch / Umsetzung")
    assert reply.text.startswith("✓ 1:00 h · Website Relaunch / Umsetzung · Wed 25.11.")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("25h Website Relaunch", "more than 24 hours"),
        ("0m Website Relaunch", "no time at all"),
        ("-1h Website Relaunch", "must be positive"),
        ("soon Website Relaunch", "is not a duration"),
        ("2h", "Which project?"),
        ("1h 31.02.2026 Website Relaunch", "is not a valid date"),
    ],
)
async def test_syntax_errors_are_answered_at_once(ls: LoggingStack, text: str, fragment: str) -> None:
    reply = await send(ls, ANDREA, "/log-hours", text, expect_hook=False)
    assert fragment in reply.inline
    assert "Traceback" not in reply.inline
    assert await entries(ls.db, ls.tenant_id) == []


async def test_notes_are_kept_verbatim_even_with_the_word_payload(ls: LoggingStack) -> None:
    text = "1h Website Relaunch / Umsetzung: API payload check &amp; <@U02MIA|mia> said &lt;ok&gt;"
    reply = await send(ls, ANDREA, "/log-hours", text)
    assert reply.text.startswith("✓ 1:00 h")
    [entry] = await entries(ls.db, ls.tenant_id)
    assert entry.note == "API payload check & @mia said <ok>"


async def test_undo_deletes_the_entry_unless_it_is_invoiced(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    undone = await click(ls, ANDREA, reply.button(log_hours.UNDO_ACTION))
    assert undone.text == "↩️ Undone — 1:00 h · Website Relaunch / Umsetzung · Mon 23.11. is deleted."
    assert await entries(ls.db, ls.tenant_id) == []

    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    [entry] = await entries(ls.db, ls.tenant_id)
    await invoice(
        ls.db,
        ls.tenant_id,
        customer=ls.company.customers["Alpen Bau AG"],
        document_nr="RE-00042",
        entry_ids=[entry.id],
    )
    refused = await click(ls, ANDREA, reply.button(log_hours.UNDO_ACTION))
    assert refused.text == "That entry can no longer be changed or deleted — it is on invoice RE-00042."
    assert len(await entries(ls.db, ls.tenant_id)) == 1


async def test_undo_leaves_an_audit_row_with_what_the_entry_was(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung: review")
    [entry] = await entries(ls.db, ls.tenant_id)
    await click(ls, ANDREA, reply.button(log_hours.UNDO_ACTION))
    [row] = await audit_rows(ls.db, ls.tenant_id, "time_entry")
    assert (row.actor, row.action, row.subject_id) == (ANDREA, "time_entry.deleted", str(entry.id))
    assert row.details == {
        "day": "2026-11-23",
        "minutes": 60,
        "project_id": ls.company.projects["Website Relaunch"],
        "activity_id": ls.company.activities["Umsetzung"],
        "billable": True,
    }


async def test_someone_else_cannot_undo_my_entry(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    refused = await click(ls, MIA, reply.button(log_hours.UNDO_ACTION))
    assert refused.text == "That entry no longer exists — it may have been deleted already."
    assert len(await entries(ls.db, ls.tenant_id)) == 1


async def test_rate_snapshot_survives_a_rate_change_and_reimport(ls: LoggingStack) -> None:
    await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    # What a re-import does after the rate changed in bexio: the activity row gets the new rate.
    async with ls.db.session(ls.tenant_id) as session:
        await session.execute(
            update(Activity).where(Activity.name == "Umsetzung").values(default_rate=Decimal("180.00"))
        )
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    assert reply.text.endswith("CHF 180.00 billable")
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "activity_rate:Umsetzung", "200", actor="test")
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    assert reply.text.endswith("CHF 200.00 billable")
    assert [e.rate for e in await entries(ls.db, ls.tenant_id)] == [
        Decimal("150.00"),
        Decimal("180.00"),
        Decimal("200.00"),
    ]


async def test_rates_follow_the_project_invoice_type(ls: LoggingStack) -> None:
    per_project = await send(ls, ANDREA, "/log-hours", "2h Cloud-Migration / Umsetzung")
    assert per_project.text.endswith("CHF 310.00 billable")
    fixed = await send(ls, ANDREA, "/log-hours", "2h Jahresabschluss / Umsetzung")
    assert fixed.text.endswith("· billable (fixed price)")
    per_person = await send(ls, ANDREA, "/log-hours", "2h ERP / Umsetzung")
    assert per_person.text.startswith(
        "✓ 2:00 h · ERP-Einführung / Umsetzung · Mon 23.11. · billable, no rate yet"
    )
    assert "`bxhours settings set person_rate:andrea.keller@alpenblick.example 150`" in per_person.text
    await ls.stack.runtime.services.settings.set(
        ls.tenant_id, "person_rate:andrea.keller@alpenblick.example", "130", actor="test"
    )
    per_person = await send(ls, ANDREA, "/log-hours", "1h ERP / Umsetzung")
    assert per_person.text.endswith("CHF 130.00 billable")
    stored = await entries(ls.db, ls.tenant_id)
    assert [(e.rate, e.rate_source) for e in stored] == [
        (Decimal("155.00"), "project_amount"),
        (None, "fixed_price"),
        (None, "missing"),
        (Decimal("130.00"), "person_setting"),
    ]


async def test_missing_activity_rate_is_stored_and_explained(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Recherche")
    assert reply.text.startswith(
        "✓ 1:00 h · Website Relaunch / Recherche · Mon 23.11. · billable, no rate yet"
    )
    assert "Recherche has no hourly rate — set one in bexio (Business activities)" in reply.text
    assert "bxhours settings set activity_rate:Recherche 150" in reply.text
    [entry] = await entries(ls.db, ls.tenant_id)
    assert entry.rate is None and entry.rate_source == "missing"


async def test_help_and_week(ls: LoggingStack) -> None:
    help_reply = await send(ls, ANDREA, "/log-hours", "help", expect_hook=False)
    assert "/log-hours DURATION [nb] [DATE] PROJECT" in help_reply.inline
    mia = await user_id(ls.db, ls.tenant_id, "mia.schmid@alpenblick.example")
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=mia,
        project=ls.company.projects["Website Relaunch"],
        activity=ls.company.activities["Umsetzung"],
        day=MONDAY - timedelta(days=0),
        minutes=90,
        note="review",
    )
    week = await send(ls, MIA, "/log-hours", "week")
    assert week.hook is not None
    shown = str(week.hook["blocks"])
    assert "Week 48 · 23.11.–29.11.2026" in shown
    assert "1:30 h · *Website Relaunch* / Umsetzung · billable" in shown


async def test_keywords_work_in_every_language(ls: LoggingStack) -> None:
    """Issue 14 §4: the English keyword always, and its German, French and Italian aliases."""
    for word in ("hilfe", "aide", "aiuto", "HELP"):
        reply = await send(ls, ANDREA, "/log-hours", word, expect_hook=False)
        assert "/log-hours DURATION [nb] [DATE] PROJECT" in reply.inline, word
    for word in ("woche", "semaine", "settimana"):
        week = await send(ls, MIA, "/log-hours", word)
        assert week.hook is not None and "Week" in str(week.hook["blocks"]), word


async def test_a_day_word_of_another_language_is_the_day_and_the_reply_shows_it(ls: LoggingStack) -> None:
    reply = await send(ls, MIA, "/log-hours", "1h hier Website Relaunch / Umsetzung: review")
    [entry] = await entries(ls.db, ls.tenant_id)
    assert entry.day == MONDAY - timedelta(days=1)  # "hier" is French for yesterday
    assert entry.note == "review"
    shown = reply.inline + str(reply.hook)
    assert "22.11." in shown, shown


# -- the form ---------------------------------------------------------------------------------


async def _open_form(ls: LoggingStack, user: str) -> dict:  # type: ignore[type-arg]
    response = await ls.stack.slack.command("/log-hours", "", user_id=user)
    assert response.status == 200 and response.text == ""
    await ls.stack.fake.wait_for("views.update")
    return ls.stack.fake.modal()


def _block(view: dict, prefix: str) -> dict:  # type: ignore[type-arg]
    return next(b for b in view["blocks"] if str(b.get("block_id", "")).split(".")[0] == prefix)


async def test_form_opens_at_once_then_fills_in_the_activities(ls: LoggingStack) -> None:
    view = await _open_form(ls, ANDREA)
    opened = ls.stack.fake.calls_to("views.open")[0].params["view"]
    assert "Loading activities…" in str(opened["blocks"])
    activity = _block(view, hours_modal.ACTIVITY_BLOCK)
    names = [o["text"]["text"] for o in activity["element"]["options"]]
    assert "Umsetzung" in names and "Support alt" not in names
    assert _block(view, hours_modal.DAY_BLOCK)["element"]["initial_date"] == "2026-11-23"


async def test_form_project_type_ahead_lists_active_projects(ls: LoggingStack) -> None:
    view = await _open_form(ls, ANDREA)
    response = await ls.stack.slack.options(ANDREA, hours_modal.PROJECT_ACTION, "web", view=view)
    # Shown with its customer (issue 15 §8), and found by the customer's name too.
    assert [o["text"]["text"] for o in response.json["options"]] == ["Website Relaunch · Alpen Bau AG"]
    response = await ls.stack.slack.options(ANDREA, hours_modal.PROJECT_ACTION, "alpen bau", view=view)
    assert "Website Relaunch · Alpen Bau AG" in [o["text"]["text"] for o in response.json["options"]]
    response = await ls.stack.slack.options(ANDREA, hours_modal.PROJECT_ACTION, "42", view=view)
    assert [o["value"] for o in response.json["options"]] == [str(ls.company.projects["Website Relaunch"])]
    response = await ls.stack.slack.options(ANDREA, hours_modal.PROJECT_ACTION, "intra", view=view)
    assert response.json["options"] == []


async def test_form_picking_a_project_preselects_the_usual_activity(ls: LoggingStack) -> None:
    andrea = await user_id(ls.db, ls.tenant_id, "andrea.keller@alpenblick.example")
    website = ls.company.projects["Website Relaunch"]
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=andrea,
        project=website,
        activity=ls.company.activities["Weiterbildung"],
        day=MONDAY,
        minutes=30,
    )
    view = await _open_form(ls, ANDREA)
    updates = len(ls.stack.fake.calls_to("views.update"))
    state = {
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(str(website), "Website Relaunch", "external_select")
        }
    }
    response = await ls.stack.slack.block_action(
        ANDREA,
        hours_modal.PROJECT_ACTION,
        view=view,
        state=state,
        block_id=hours_modal.PROJECT_BLOCK,
        selected_option={"text": {"type": "plain_text", "text": "Website Relaunch"}, "value": str(website)},
    )
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update", count=updates + 1)
    view = ls.stack.fake.modal()
    activity = _block(view, hours_modal.ACTIVITY_BLOCK)
    assert activity["element"]["initial_option"]["text"]["text"] == "Weiterbildung"
    assert "initial_options" not in _block(view, hours_modal.BILLABLE_BLOCK)["element"]


async def test_form_reports_field_errors_then_saves(ls: LoggingStack) -> None:
    view = await _open_form(ls, ANDREA)
    activity_block = _block(view, hours_modal.ACTIVITY_BLOCK)["block_id"]
    billable_block = _block(view, hours_modal.BILLABLE_BLOCK)["block_id"]
    state = {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value("2026-11-30")},
        hours_modal.PROJECT_BLOCK: {hours_modal.PROJECT_ACTION: select_value(None, kind="external_select")},
        activity_block: {hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Umsetzung"]))},
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value("25h")},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value("Workshop")},
        billable_block: {hours_modal.BILLABLE_ACTION: checkboxes_value(["billable"])},
    }
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    body = response.json
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {
        hours_modal.DAY_BLOCK,
        hours_modal.PROJECT_BLOCK,
        hours_modal.DURATION_BLOCK,
    }
    assert "more than 24 hours" in body["errors"][hours_modal.DURATION_BLOCK]
    assert "in the future" in body["errors"][hours_modal.DAY_BLOCK]
    assert await entries(ls.db, ls.tenant_id) == []

    website = str(ls.company.projects["Website Relaunch"])
    state[hours_modal.DAY_BLOCK] = {hours_modal.DAY_ACTION: date_value("2026-11-20")}
    state[hours_modal.PROJECT_BLOCK] = {
        hours_modal.PROJECT_ACTION: select_value(website, kind="external_select")
    }
    state[hours_modal.DURATION_BLOCK] = {hours_modal.DURATION_ACTION: text_value("3h")}
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    body = response.json
    assert body["response_action"] == "update"
    assert "✓ 3:00 h · Website Relaunch / Umsetzung · Fri 20.11. · CHF 450.00 billable" in str(body["view"])
    [entry] = await entries(ls.db, ls.tenant_id)
    assert (entry.minutes, entry.day, entry.note, entry.source) == (
        180,
        date(2026, 11, 20),
        "Workshop",
        "modal",
    )


async def test_form_of_an_unlinked_person_explains_instead_of_asking(ls: LoggingStack) -> None:
    await _open_form(ls, GUEST)
    view = ls.stack.fake.modal()
    assert "not linked to a bexio user" in str(view["blocks"])
    assert "submit" not in view
