"""The week in the App Home: entries per day with totals, back/forward, edit and delete — and
invoiced or imported work shown read-only, refused everywhere with the invoice's number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from bot.views import expense_modal, hours_modal
from bot.views import week as week_view
from bot.views.form_state import ModalContext
from bxhours.fakes.slack_client import checkboxes_value, date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA, GUEST, MIA
from storage.db import Database
from tests.factories import (
    LoggingStack,
    add_entry,
    audit_rows,
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


async def _mia_week(ls: LoggingStack) -> dict[str, int]:
    """Mia's week: two entries on Monday (one invoiced), one imported from bexio on Tuesday,
    one the week before, and an expense."""
    mia = await user_id(ls.db, ls.tenant_id, "mia.schmid@alpenblick.example")
    projects, activities = ls.company.projects, ls.company.activities
    common = {"user": mia, "project": projects["Website Relaunch"]}
    ids = {
        "open": await add_entry(
            ls.db,
            ls.tenant_id,
            **common,
            activity=activities["Umsetzung"],
            day=MONDAY,
            minutes=150,
            note="checkout",
        ),
        "billed": await add_entry(
            ls.db,
            ls.tenant_id,
            **common,
            activity=activities["Meeting"],
            day=MONDAY,
            minutes=60,
            billable=True,
        ),
        "imported": await add_entry(
            ls.db,
            ls.tenant_id,
            **common,
            activity=activities["Meeting"],
            day=MONDAY + timedelta(days=1),
            minutes=30,
            billable=False,
            source="bexio",
        ),
        "last_week": await add_entry(
            ls.db,
            ls.tenant_id,
            **common,
            activity=activities["Umsetzung"],
            day=MONDAY - timedelta(days=3),
            minutes=45,
        ),
    }
    await invoice(
        ls.db,
        ls.tenant_id,
        customer=ls.company.customers["Alpen Bau AG"],
        document_nr="RE-00042",
        entry_ids=[ids["billed"]],
    )
    await send(ls, MIA, "/log-expense", "84.50 Website Relaunch / Reisekosten: Zug")
    return ids


async def _home(ls: LoggingStack, user: str) -> dict[str, Any]:
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.open_home(user)
    await ls.stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == user, count=before + 1)
    return ls.stack.fake.home[user]


def _section(view: dict[str, Any], fragment: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b["type"] == "section" and fragment in b["text"]["text"])


async def test_home_shows_the_week_per_day_with_totals_and_locks(ls: LoggingStack) -> None:
    await _mia_week(ls)
    home = await _home(ls, MIA)
    shown = str(home["blocks"])
    assert "Week 48 · 23.11.–29.11.2026" in shown
    assert "*Mon 23.11.* — 3:30 h · today" in shown
    assert "*Tue 24.11.* — 0:30 h" in shown
    assert "Week total *4:00 h* · billable 3:30 h · expenses CHF 84.50" in shown
    assert "0:45 h" not in shown, "last week's entry belongs to last week"
    open_entry = _section(home, "2:30 h · *Website Relaunch* / Umsetzung · billable")
    assert open_entry["accessory"]["action_id"] == week_view.MENU_ACTION
    billed = _section(home, "1:00 h · *Website Relaunch* / Meeting")
    assert "🔒 on invoice RE-00042" in billed["text"]["text"] and "accessory" not in billed
    imported = _section(home, "0:30 h")
    assert "not billable" in imported["text"]["text"] and "🔒 imported from bexio" in imported["text"]["text"]
    expense = _section(home, "🧾 CHF 84.50 · *Website Relaunch* / Reisekosten")
    assert expense["accessory"]["action_id"] == week_view.MENU_ACTION
    assert home["private_metadata"] == "2026-11-23"


async def test_unlinked_person_sees_no_week(ls: LoggingStack) -> None:
    home = await _home(ls, GUEST)
    assert "Week 48" not in str(home["blocks"])
    assert "not linked to a bexio user" in str(home["blocks"])


async def test_week_back_and_forward(ls: LoggingStack) -> None:
    await _mia_week(ls)
    home = await _home(ls, MIA)
    nav = next(b for b in home["blocks"] if b.get("block_id") == week_view.NAV_BLOCK)
    previous = next(e for e in nav["elements"] if e["text"]["text"].startswith("◀"))
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.block_action(MIA, previous["action_id"], value=previous["value"], view=home)
    await ls.stack.fake.wait_for("views.publish", count=before + 1)
    home = ls.stack.fake.home[MIA]
    assert "Week 47 · 16.11.–22.11.2026" in str(home["blocks"])
    assert "0:45 h · *Website Relaunch* / Umsetzung" in str(home["blocks"])
    assert any(
        e["text"]["text"] == "This week"
        for b in home["blocks"]
        if b.get("block_id") == week_view.NAV_BLOCK
        for e in b["elements"]
    )


async def test_edit_from_home_saves_and_refreshes(ls: LoggingStack) -> None:
    ids = await _mia_week(ls)
    home = await _home(ls, MIA)
    menu = _section(home, "2:30 h")["accessory"]
    edit = next(o for o in menu["options"] if o["text"]["text"] == "Edit")
    await ls.stack.slack.block_action(MIA, week_view.MENU_ACTION, selected_option=edit, view=home)
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    assert view["title"]["text"] == "Edit hours"
    assert blocks[hours_modal.DURATION_BLOCK]["element"]["initial_value"] == "2:30"
    assert blocks[hours_modal.NOTE_BLOCK]["element"]["initial_value"] == "checkout"
    assert blocks[hours_modal.ACTIVITY_BLOCK]["element"]["initial_option"]["text"]["text"] == "Umsetzung"
    state = {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value("2026-11-23")},
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects["Website Relaunch"]), kind="external_select"
            )
        },
        blocks[hours_modal.ACTIVITY_BLOCK]["block_id"]: {
            hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Umsetzung"]))
        },
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value("3h")},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value("checkout and tests")},
        blocks[hours_modal.BILLABLE_BLOCK]["block_id"]: {
            hours_modal.BILLABLE_ACTION: checkboxes_value(["billable"])
        },
    }
    publishes = len(ls.stack.fake.calls_to("views.publish"))
    response = await ls.stack.slack.submit_view(MIA, view, state)
    assert response.json["response_action"] == "update"
    assert "Hours saved" in str(response.json["view"])
    await ls.stack.fake.wait_for("views.publish", count=publishes + 1)
    assert "3:00 h · *Website Relaunch* / Umsetzung" in str(ls.stack.fake.home[MIA]["blocks"])
    edited = next(e for e in await entries(ls.db, ls.tenant_id) if e.id == ids["open"])
    assert (edited.minutes, edited.note) == (180, "checkout and tests")
    assert str(edited.rate) == "150.00", "same project and activity: the snapshot stays"
    [audited] = await audit_rows(ls.db, ls.tenant_id, "time_entry")
    assert audited.action == "time_entry.changed"
    assert audited.details["minutes"] == 150, "the audit keeps the entry as it was before the edit"


async def test_delete_from_home_asks_then_deletes(ls: LoggingStack) -> None:
    ids = await _mia_week(ls)
    home = await _home(ls, MIA)
    menu = _section(home, "2:30 h")["accessory"]
    delete = next(o for o in menu["options"] if o["text"]["text"] == "Delete")
    await ls.stack.slack.block_action(MIA, week_view.MENU_ACTION, selected_option=delete, view=home)
    await ls.stack.fake.wait_for("views.open")
    confirm = ls.stack.fake.modal()
    assert "Delete these hours?" in str(confirm["blocks"])
    assert "2:30 h · Website Relaunch / Umsetzung · Mon 23.11." in str(confirm["blocks"])
    assert ids["open"] in {e.id for e in await entries(ls.db, ls.tenant_id)}, (
        "nothing deleted before confirming"
    )
    publishes = len(ls.stack.fake.calls_to("views.publish"))
    response = await ls.stack.slack.submit_view(MIA, confirm, {})
    assert response.status == 200 and response.text == ""
    await ls.stack.fake.wait_for("views.publish", count=publishes + 1)
    assert ids["open"] not in {e.id for e in await entries(ls.db, ls.tenant_id)}
    assert "2:30 h" not in str(ls.stack.fake.home[MIA]["blocks"])


async def test_invoiced_entries_are_refused_everywhere_with_the_invoice_number(ls: LoggingStack) -> None:
    ids = await _mia_week(ls)
    home = await _home(ls, MIA)
    # A menu rendered before invoicing is still clickable: the service refuses.
    stale = {"text": {"type": "plain_text", "text": "Edit"}, "value": f"edit:time:{ids['billed']}"}
    await ls.stack.slack.block_action(MIA, week_view.MENU_ACTION, selected_option=stale, view=home)
    await ls.stack.fake.wait_for("views.update")
    assert "it is on invoice RE-00042" in str(ls.stack.fake.modal()["blocks"])
    opens = len(ls.stack.fake.calls_to("views.open"))
    stale = {"text": {"type": "plain_text", "text": "Delete"}, "value": f"delete:time:{ids['billed']}"}
    await ls.stack.slack.block_action(MIA, week_view.MENU_ACTION, selected_option=stale, view=home)
    await ls.stack.fake.wait_for("views.open", count=opens + 1)
    assert "That entry can no longer be changed or deleted — it is on invoice RE-00042." in str(
        ls.stack.fake.modal()["blocks"]
    )
    services = ls.stack.runtime.services
    refused = await services.time_entries.delete(ls.tenant_id, MIA, ids["billed"])
    assert getattr(refused, "message", "").endswith("it is on invoice RE-00042.")
    imported = await services.time_entries.delete(ls.tenant_id, MIA, ids["imported"])
    assert "imported from bexio" in getattr(imported, "message", "")
    assert {ids["billed"], ids["imported"]} <= {e.id for e in await entries(ls.db, ls.tenant_id)}


async def test_week_message_navigates_in_place(ls: LoggingStack) -> None:
    await _mia_week(ls)
    reply = await send(ls, MIA, "/log-hours", "week")
    assert reply.hook is not None
    nav = next(b for b in reply.hook["blocks"] if b.get("block_id") == week_view.NAV_BLOCK)
    previous = next(e for e in nav["elements"] if e["text"]["text"].startswith("◀"))
    before = len(ls.stack.fake.hooks)
    await ls.stack.slack.block_action(MIA, previous["action_id"], value=previous["value"])
    body = await ls.stack.fake.wait_for_hook(lambda b: any(b is h for _p, h in ls.stack.fake.hooks[before:]))
    assert body["replace_original"] is True
    assert "Week 47" in str(body["blocks"])


async def test_a_busy_week_fits_the_home_tab(ls: LoggingStack) -> None:
    andrea = await user_id(ls.db, ls.tenant_id, "andrea.keller@alpenblick.example")
    for n in range(120):
        await add_entry(
            ls.db,
            ls.tenant_id,
            user=andrea,
            project=ls.company.projects["Website Relaunch"],
            activity=ls.company.activities["Umsetzung"],
            day=MONDAY + timedelta(days=n % 7),
            minutes=15,
        )
    home = await _home(ls, ANDREA)
    assert len(home["blocks"]) <= 100
    assert "Week total *30:00 h*" in str(home["blocks"])
    menus = [
        b["accessory"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("action_id") == week_view.MENU_ACTION
    ]
    assert len(menus) == 7 and all(m["type"] == "static_select" for m in menus)
    assert sum(len(m["options"]) for m in menus) == 240


async def test_log_hours_from_home_then_undo_in_the_modal(ls: LoggingStack) -> None:
    home = await _home(ls, ANDREA)
    nav = next(b for b in home["blocks"] if b.get("block_id") == week_view.NAV_BLOCK)
    log_button = next(e for e in nav["elements"] if e["action_id"] == week_view.LOG_HOURS_ACTION)
    await ls.stack.slack.block_action(
        ANDREA, week_view.LOG_HOURS_ACTION, value=log_button["value"], view=home
    )
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    assert ModalContext.load(view["private_metadata"]).week == "2026-11-23"
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    state = {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value("2026-11-23")},
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects["Cloud-Migration"]), kind="external_select"
            )
        },
        blocks[hours_modal.ACTIVITY_BLOCK]["block_id"]: {
            hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Meeting"]))
        },
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value("1:15")},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value(None)},
        blocks[hours_modal.BILLABLE_BLOCK]["block_id"]: {
            hours_modal.BILLABLE_ACTION: checkboxes_value(["billable"])
        },
    }
    publishes = len(ls.stack.fake.calls_to("views.publish"))
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    done = response.json["view"]
    assert "✓ 1:15 h · Cloud-Migration / Meeting · Mon 23.11. · CHF 193.75 billable" in str(done)
    await ls.stack.fake.wait_for("views.publish", count=publishes + 1)
    assert "1:15 h · *Cloud-Migration* / Meeting" in str(ls.stack.fake.home[ANDREA]["blocks"])

    [entry] = await entries(ls.db, ls.tenant_id)
    undo = done["blocks"][0]["accessory"]
    assert undo["action_id"] == hours_modal.UNDO_ACTION and undo["value"] == str(entry.id)
    shown = ls.stack.fake.views  # the modal as Slack holds it after the update
    modal_id = next(vid for vid, v in shown.items() if v.get("type") == "modal")
    await ls.stack.slack.block_action(
        ANDREA, hours_modal.UNDO_ACTION, value=undo["value"], view={**done, "id": modal_id}
    )
    await ls.stack.fake.wait_for("views.publish", count=publishes + 2)
    assert "Undone — 1:15 h · Cloud-Migration / Meeting · Mon 23.11. is deleted" in str(
        ls.stack.fake.modal()["blocks"]
    )
    assert await entries(ls.db, ls.tenant_id) == []


async def test_edit_an_expense_from_home(ls: LoggingStack) -> None:
    await _mia_week(ls)
    home = await _home(ls, MIA)
    menu = _section(home, "🧾 CHF 84.50")["accessory"]
    edit = next(o for o in menu["options"] if o["text"]["text"] == "Edit")
    await ls.stack.slack.block_action(MIA, week_view.MENU_ACTION, selected_option=edit, view=home)
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    assert view["title"]["text"] == "Edit expense"
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    assert blocks[expense_modal.AMOUNT_BLOCK]["element"]["initial_value"] == "84.50"
    assert blocks[expense_modal.CATEGORY_BLOCK]["element"]["initial_option"]["text"]["text"] == "Reisekosten"
    state = {
        expense_modal.DAY_BLOCK: {expense_modal.DAY_ACTION: date_value("2026-11-23")},
        expense_modal.PROJECT_BLOCK: {
            expense_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects["Website Relaunch"]), kind="external_select"
            )
        },
        expense_modal.AMOUNT_BLOCK: {expense_modal.AMOUNT_ACTION: text_value("94.50")},
        expense_modal.NOTE_BLOCK: {expense_modal.NOTE_ACTION: text_value("Zug, 1. Klasse")},
        blocks[expense_modal.BILLABLE_BLOCK]["block_id"]: {
            expense_modal.BILLABLE_ACTION: checkboxes_value(["billable"])
        },
    }
    category = blocks[expense_modal.CATEGORY_BLOCK]
    state[category["block_id"]] = {
        expense_modal.CATEGORY_ACTION: select_value(category["element"]["initial_option"]["value"])
    }
    publishes = len(ls.stack.fake.calls_to("views.publish"))
    response = await ls.stack.slack.submit_view(MIA, view, state)
    assert "Expense saved" in str(response.json["view"])
    await ls.stack.fake.wait_for("views.publish", count=publishes + 1)
    assert "🧾 CHF 94.50 · *Website Relaunch* / Reisekosten" in str(ls.stack.fake.home[MIA]["blocks"])


async def test_delete_from_a_week_message_updates_that_message(ls: LoggingStack) -> None:
    await _mia_week(ls)
    reply = await send(ls, MIA, "/log-hours", "week")
    assert reply.hook is not None
    item = next(b for b in reply.hook["blocks"] if b["type"] == "section" and "2:30 h" in b["text"]["text"])
    delete = next(o for o in item["accessory"]["options"] if o["text"]["text"] == "Delete")
    await ls.stack.slack.block_action(
        MIA, week_view.MENU_ACTION, selected_option=delete, block_id=item["block_id"]
    )
    await ls.stack.fake.wait_for("views.open")
    confirm = ls.stack.fake.modal()
    assert ModalContext.load(confirm["private_metadata"]).response_url is not None
    before = len(ls.stack.fake.hooks)
    response = await ls.stack.slack.submit_view(MIA, confirm, {})
    assert response.status == 200
    body = await ls.stack.fake.wait_for_hook(lambda b: any(b is h for _p, h in ls.stack.fake.hooks[before:]))
    assert body["replace_original"] is True
    assert "Week 48" in str(body["blocks"]) and "2:30 h" not in str(body["blocks"])
