"""Issue 12 §4: what a Slack payload carries is untrusted — nothing out of range is ever stored.

Attacks the way the issue found them: a raw *signed* ``block_actions`` for a choice button whose
value carries the whole request (−600 minutes, 2^62, a 100 009-character note, a NUL byte, year 1,
−1000 CHF). The pending choice is sealed by the server now, so a forged value is refused outright;
and every path that stores — typed line, button (even one the server sealed), form, edit — runs the
same rules (``core.entry_rules``), refusing with a message that loses nothing the person typed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from bot.views import choices, expense_modal, hours_modal, log_expense, log_hours
from bot.views.sealed import ChoiceSeal
from bxhours.fakes.slack_client import checkboxes_value, date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA, MIA
from storage.db import Database
from tests.factories import LoggingStack, add_entry, entries, expenses, logging_stack, send, user_id

MONDAY = "2026-11-23"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


def _hours_request(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "minutes": 60,
        "day": MONDAY,
        "billable": None,
        "note": "",
        "project_id": None,
        "project_query": "website",
        "activity_id": None,
        "activity_query": None,
    }
    request.update(changes)
    return request


def _expense_request(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "amount": "84.50",
        "day": MONDAY,
        "note": "",
        "project_id": None,
        "project_query": "website",
        "category_id": None,
        "category_query": None,
    }
    request.update(changes)
    return request


HOSTILE_HOURS = [
    pytest.param({"minutes": -600}, id="minus-600-minutes"),
    pytest.param({"minutes": 0}, id="zero-minutes"),
    pytest.param({"minutes": 2**62}, id="2^62-minutes"),
    pytest.param({"note": "x" * 100_009}, id="100009-character-note"),
    pytest.param({"note": "before\x00after"}, id="nul-byte"),
    pytest.param({"day": "0001-01-01"}, id="year-1"),
]


async def _answer(ls: LoggingStack, before: int) -> dict[str, Any]:
    hooks = ls.stack.fake.hooks
    return await ls.stack.fake.wait_for_hook(lambda body: any(body is h for _p, h in hooks[before:]))


async def _click(ls: LoggingStack, user: str, action_id: str, value: str) -> dict[str, Any]:
    before = len(ls.stack.fake.hooks)
    response = await ls.stack.slack.block_action(user, action_id, value=value)
    assert response.status == 200, response.text
    return await _answer(ls, before)


def _seal(ls: LoggingStack) -> ChoiceSeal:
    key = ls.stack.runtime.settings.bxhours_encryption_key
    assert key is not None
    return ChoiceSeal(key.get_secret_value())


@pytest.mark.parametrize("changes", HOSTILE_HOURS)
async def test_a_forged_choice_button_stores_nothing(ls: LoggingStack, changes: dict[str, Any]) -> None:
    website = ls.company.projects["Website Relaunch"]
    forged = json.dumps({"pick": website, "request": _hours_request(**changes)})
    action_id = choices.pick_action_id(log_hours.PICK_PROJECT_ACTION, 0)
    answer = await _click(ls, ANDREA, action_id, forged)
    assert "out of date" in answer["text"] and "nothing was logged" in answer["text"]
    assert await entries(ls.db, ls.tenant_id) == []


async def test_a_forged_expense_button_stores_nothing(ls: LoggingStack) -> None:
    website = ls.company.projects["Website Relaunch"]
    forged = json.dumps({"pick": website, "request": _expense_request(amount="-1000")})
    action_id = choices.pick_action_id(log_expense.PICK_PROJECT_ACTION, 0)
    answer = await _click(ls, ANDREA, action_id, forged)
    assert "out of date" in answer["text"]
    assert await expenses(ls.db, ls.tenant_id) == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"minutes": -600}, "at least one minute"),
        ({"minutes": 0}, "at least one minute"),
        ({"minutes": 2**62}, "more than 24 hours"),
        ({"note": "x" * 1001}, "1001 characters"),
        ({"note": "before\x00after"}, "NUL byte"),
        ({"day": "0001-01-01"}, "before 01.01.2000"),
    ],
)
async def test_even_a_button_the_server_sealed_obeys_the_rules(
    ls: LoggingStack, changes: dict[str, Any], fragment: str
) -> None:
    """Defence in depth: the click is checked by the same rules as every other path."""
    website = ls.company.projects["Website Relaunch"]
    value = _seal(ls).seal({"pick": website, "request": _hours_request(**changes)}, user_id=ANDREA)
    answer = await _click(ls, ANDREA, choices.pick_action_id(log_hours.PICK_PROJECT_ACTION, 0), value)
    assert fragment in answer["text"]
    assert await entries(ls.db, ls.tenant_id) == []


async def test_a_sealed_expense_button_above_the_maximum_is_refused(ls: LoggingStack) -> None:
    website = ls.company.projects["Website Relaunch"]
    for amount, fragment in (("-1000", "more than 0.00"), ("100000.01", "CHF 100'000.00")):
        value = _seal(ls).seal({"pick": website, "request": _expense_request(amount=amount)}, user_id=ANDREA)
        answer = await _click(ls, ANDREA, choices.pick_action_id(log_expense.PICK_PROJECT_ACTION, 0), value)
        assert fragment in answer["text"]
    assert await expenses(ls.db, ls.tenant_id) == []


async def test_a_button_sealed_for_someone_else_is_refused(ls: LoggingStack) -> None:
    website = ls.company.projects["Website Relaunch"]
    value = _seal(ls).seal({"pick": website, "request": _hours_request()}, user_id=MIA)
    answer = await _click(ls, ANDREA, choices.pick_action_id(log_hours.PICK_PROJECT_ACTION, 0), value)
    assert "not made for you" in answer["text"]
    assert await entries(ls.db, ls.tenant_id) == []


async def test_the_real_choice_still_works(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h schulung / Umsetzung: Kurs")
    button = reply.button(choices.pick_action_id(log_hours.PICK_PROJECT_ACTION, 1))
    assert "Kurs" not in button["value"], "the request is sealed, not readable in the button"
    answer = await _click(ls, ANDREA, button["action_id"], button["value"])
    assert answer["text"].startswith("✓ 1:00 h · Schulung Bern / Umsetzung")
    [entry] = await entries(ls.db, ls.tenant_id)
    assert entry.note == "Kurs"


async def test_a_typed_line_breaking_a_rule_keeps_what_was_typed(ls: LoggingStack) -> None:
    line = "1h 31.12.1999 Website Relaunch / Umsetzung: Millennium bug"
    reply = await send(ls, ANDREA, "/log-hours", line)
    assert "Fri 31.12.1999 is before 01.01.2000" in reply.text
    shown = json.dumps(reply.hook)
    assert f"/log-hours {line}" in shown, "the refusal shows the line as typed"
    form = reply.button(log_hours.OPEN_FORM_ACTION, "Open the form")
    assert await entries(ls.db, ls.tenant_id) == []

    response = await ls.stack.slack.block_action(ANDREA, log_hours.OPEN_FORM_ACTION, value=form["value"])
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    note = next(b for b in view["blocks"] if b.get("block_id") == hours_modal.NOTE_BLOCK)
    assert note["element"]["initial_value"] == "Millennium bug"


async def test_a_day_holds_at_most_24_hours_on_every_path(ls: LoggingStack) -> None:
    andrea = await user_id(ls.db, ls.tenant_id, "andrea.keller@alpenblick.example")
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=andrea,
        project=ls.company.projects["Website Relaunch"],
        activity=ls.company.activities["Umsetzung"],
        day=date(2026, 11, 23),
        minutes=20 * 60,
    )
    reply = await send(ls, ANDREA, "/log-hours", "5h Website Relaunch / Umsetzung")
    assert "20:00 h on Mon 23.11.2026 already" in reply.text and "25:00 h" in reply.text
    reply = await send(ls, ANDREA, "/log-hours", "4h Website Relaunch / Umsetzung")
    assert reply.text.startswith("✓ 4:00 h")
    reply = await send(ls, ANDREA, "/log-hours", "1m Website Relaunch / Umsetzung")
    assert "at most 24 hours fit in a day" in reply.text
    assert sum(e.minutes for e in await entries(ls.db, ls.tenant_id)) == 24 * 60


async def test_a_typed_expense_above_the_maximum_is_refused(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-expense", "100'000.05 Website Relaunch / Reisekosten: Flug")
    assert "CHF 100'000.05 is more than CHF 100'000.00" in reply.text
    assert "/log-expense 100'000.05 Website Relaunch" in json.dumps(reply.hook, ensure_ascii=False)
    assert await expenses(ls.db, ls.tenant_id) == []


async def _open_hours_form(ls: LoggingStack) -> dict[str, Any]:
    response = await ls.stack.slack.command("/log-hours", "", user_id=ANDREA)
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    return ls.stack.fake.modal()


def _hours_state(
    ls: LoggingStack, view: dict[str, Any], *, day: str, duration: str, note: str
) -> dict[str, Any]:
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    website = str(ls.company.projects["Website Relaunch"])
    return {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value(day)},
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(website, kind="external_select")
        },
        blocks[hours_modal.ACTIVITY_BLOCK]["block_id"]: {
            hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Umsetzung"]))
        },
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value(duration)},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value(note)},
        blocks[hours_modal.BILLABLE_BLOCK]["block_id"]: {hours_modal.BILLABLE_ACTION: checkboxes_value([])},
    }


async def test_the_form_shows_each_rule_under_its_field(ls: LoggingStack) -> None:
    view = await _open_hours_form(ls)
    state = _hours_state(ls, view, day="0001-01-01", duration="2h", note="tab\there")
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    errors = response.json["errors"]
    assert "before 01.01.2000" in errors[hours_modal.DAY_BLOCK]
    assert "a tab at position 4" in errors[hours_modal.NOTE_BLOCK]
    assert await entries(ls.db, ls.tenant_id) == []

    state = _hours_state(ls, view, day=MONDAY, duration="23h", note="long day")
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    assert response.json["response_action"] == "update"
    state = _hours_state(ls, view, day=MONDAY, duration="2h", note="and more")
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    assert "at most 24 hours fit in a day" in response.json["errors"][hours_modal.DURATION_BLOCK]
    assert [e.minutes for e in await entries(ls.db, ls.tenant_id)] == [23 * 60]


async def test_an_edit_obeys_the_same_rules(ls: LoggingStack) -> None:
    andrea = await user_id(ls.db, ls.tenant_id, "andrea.keller@alpenblick.example")
    for minutes in (10 * 60, 10 * 60):
        await add_entry(
            ls.db,
            ls.tenant_id,
            user=andrea,
            project=ls.company.projects["Website Relaunch"],
            activity=ls.company.activities["Umsetzung"],
            day=date(2026, 11, 23),
            minutes=minutes,
        )
    first = (await entries(ls.db, ls.tenant_id))[0]
    view = await _open_hours_form(ls)
    edit = {**view, "private_metadata": json.dumps({"e": first.id, "v": 1})}
    state = _hours_state(ls, view, day=MONDAY, duration="14h01", note="")
    response = await ls.stack.slack.submit_view(ANDREA, edit, state)
    assert "at most 24 hours fit in a day" in response.json["errors"][hours_modal.DURATION_BLOCK]
    state = _hours_state(ls, view, day=MONDAY, duration="14h", note="")
    response = await ls.stack.slack.submit_view(ANDREA, edit, state)
    assert response.json["response_action"] == "update", "its own old hours do not count"
    assert sorted(e.minutes for e in await entries(ls.db, ls.tenant_id)) == [10 * 60, 14 * 60]


async def test_the_expense_form_refuses_an_amount_above_the_maximum(ls: LoggingStack) -> None:
    response = await ls.stack.slack.command("/log-expense", "", user_id=ANDREA)
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    category = blocks[expense_modal.CATEGORY_BLOCK]["element"]["initial_option"]["value"]
    state = {
        expense_modal.DAY_BLOCK: {expense_modal.DAY_ACTION: date_value(MONDAY)},
        expense_modal.PROJECT_BLOCK: {
            expense_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects["Website Relaunch"]), kind="external_select"
            )
        },
        blocks[expense_modal.CATEGORY_BLOCK]["block_id"]: {
            expense_modal.CATEGORY_ACTION: select_value(category)
        },
        expense_modal.AMOUNT_BLOCK: {expense_modal.AMOUNT_ACTION: text_value("250'000")},
        expense_modal.NOTE_BLOCK: {expense_modal.NOTE_ACTION: text_value("escape\x1b")},
        blocks[expense_modal.BILLABLE_BLOCK]["block_id"]: {
            expense_modal.BILLABLE_ACTION: checkboxes_value([])
        },
    }
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    errors = response.json["errors"]
    assert "CHF 250'000.00 is more than CHF 100'000.00" in errors[expense_modal.AMOUNT_BLOCK]
    assert "an escape character" in errors[expense_modal.NOTE_BLOCK]
    assert await expenses(ls.db, ls.tenant_id) == []
