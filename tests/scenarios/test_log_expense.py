"""`/log-expense` through signed Slack requests, the expense modal, and the categories admins keep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.views import choices, expense_modal, log_expense
from bxhours.fakes.slack_client import checkboxes_value, date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA, GUEST, MIA
from services.expense_categories import CategoryError
from storage.db import Database
from tests.factories import LoggingStack, Reply, audit_rows, click, expenses, invoice, logging_stack, send


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


async def _category_ids(ls: LoggingStack) -> dict[str, int]:
    rows = await ls.stack.runtime.services.expense_categories.list(ls.tenant_id)
    return {row.name: row.id for row in rows}


async def test_the_example_from_the_issue(ls: LoggingStack) -> None:
    reply = await send(
        ls, MIA, "/log-expense", "84.50 yesterday Website Relaunch / Reisekosten: train Bern–Zürich"
    )
    assert reply.text == "✓ CHF 84.50 · Website Relaunch / Reisekosten · Sun 22.11. · billable"
    [expense] = await expenses(ls.db, ls.tenant_id)
    assert expense.amount == Decimal("84.50") and expense.currency == "CHF"
    assert expense.day == date(2026, 11, 22) and expense.note == "train Bern–Zürich"
    assert expense.category_id == (await _category_ids(ls))["Reisekosten"]
    assert reply.button(log_expense.UNDO_ACTION)["value"] == str(expense.id)


async def test_a_fresh_tenant_has_three_categories_and_spesen_is_the_default(ls: LoggingStack) -> None:
    assert list(await _category_ids(ls)) == ["Material", "Reisekosten", "Spesen"]
    reply = await send(ls, ANDREA, "/log-expense", "CHF 12.– 42: Parkhaus")
    assert reply.text == "✓ CHF 12.00 · Website Relaunch / Spesen · Mon 23.11. · billable"


async def test_unknown_category_offers_the_list(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-expense", "30 Website Relaunch / Hotel: Zimmer")
    assert "Which category did you mean by “Hotel”?" in reply.text
    assert _picks(reply, log_expense.PICK_CATEGORY_ACTION) == ["Material", "Reisekosten", "Spesen"]
    assert await expenses(ls.db, ls.tenant_id) == []
    chosen = await click(ls, ANDREA, _pick(reply, log_expense.PICK_CATEGORY_ACTION, "Reisekosten"))
    assert chosen.text == "✓ CHF 30.00 · Website Relaunch / Reisekosten · Mon 23.11. · billable"
    [expense] = await expenses(ls.db, ls.tenant_id)
    assert expense.note == "Zimmer"


async def test_category_billable_default_applies(ls: LoggingStack) -> None:
    await ls.stack.runtime.services.expense_categories.save(
        ls.tenant_id, "Material", billable=False, actor="test"
    )
    reply = await send(ls, ANDREA, "/log-expense", "19.90 Website Relaunch / mat")
    assert reply.text.endswith("· not billable")


async def test_ambiguous_project_then_choice(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-expense", "45 schulung / Material")
    chosen = await click(ls, ANDREA, _pick(reply, log_expense.PICK_PROJECT_ACTION, "Basel"))
    assert chosen.text == "✓ CHF 45.00 · Schulung Basel / Material · Mon 23.11. · billable"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("EUR 12 Website Relaunch", "Only CHF for now — EUR amounts cannot be logged yet"),
        ("12.50 USD Website Relaunch", "Only CHF for now — USD"),
        ("12.345 Website Relaunch", "more than two decimals"),
        ("-5 Website Relaunch", "must be positive"),
        ("0 Website Relaunch", "more than 0.00"),
        ("12", "Which project?"),
    ],
)
async def test_amount_errors_are_answered_at_once(ls: LoggingStack, text: str, fragment: str) -> None:
    reply = await send(ls, ANDREA, "/log-expense", text, expect_hook=False)
    assert fragment in reply.inline
    assert await expenses(ls.db, ls.tenant_id) == []


async def test_refusals(ls: LoggingStack) -> None:
    reply = await send(ls, GUEST, "/log-expense", "12 Website Relaunch")
    assert "your expense could not be logged" in reply.text
    reply = await send(ls, ANDREA, "/log-expense", "12 Intranet")
    assert "Intranet takes no new entries" in reply.text
    reply = await send(ls, ANDREA, "/log-expense", "12 2026-12-24 Website Relaunch")
    assert "is in the future" in reply.text
    assert await expenses(ls.db, ls.tenant_id) == []


async def test_undo_and_invoiced_expenses(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-expense", "12 Website Relaunch")
    undone = await click(ls, ANDREA, reply.button(log_expense.UNDO_ACTION))
    assert undone.text == "↩️ Undone — CHF 12.00 · Website Relaunch / Spesen · Mon 23.11. is deleted."
    assert await expenses(ls.db, ls.tenant_id) == []
    reply = await send(ls, ANDREA, "/log-expense", "12 Website Relaunch")
    [expense] = await expenses(ls.db, ls.tenant_id)
    await invoice(
        ls.db,
        ls.tenant_id,
        customer=ls.company.customers["Alpen Bau AG"],
        document_nr=None,
        expense_ids=[expense.id],
    )
    refused = await click(ls, ANDREA, reply.button(log_expense.UNDO_ACTION))
    assert refused.text == (
        "That expense can no longer be changed or deleted — it is on a draft invoice that is being created in bexio."
    )


async def test_undo_is_audited_and_only_the_owner_may_undo(ls: LoggingStack) -> None:
    reply = await send(ls, ANDREA, "/log-expense", "12 Website Relaunch")
    [expense] = await expenses(ls.db, ls.tenant_id)
    refused = await click(ls, MIA, reply.button(log_expense.UNDO_ACTION))
    assert refused.text == "That expense no longer exists — it may have been deleted already."
    assert await audit_rows(ls.db, ls.tenant_id, "expense") == []
    await click(ls, ANDREA, reply.button(log_expense.UNDO_ACTION))
    [row] = await audit_rows(ls.db, ls.tenant_id, "expense")
    assert (row.actor, row.action, row.subject_id) == (ANDREA, "expense.deleted", str(expense.id))
    assert row.details == {
        "day": "2026-11-23",
        "amount": "12.00",
        "project_id": ls.company.projects["Website Relaunch"],
        "category_id": expense.category_id,
    }


async def test_form_with_errors_then_saved(ls: LoggingStack) -> None:
    response = await ls.stack.slack.command("/log-expense", "", user_id=ANDREA)
    assert response.status == 200 and response.text == ""
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    category = blocks[expense_modal.CATEGORY_BLOCK]
    assert category["element"]["initial_option"]["text"]["text"] == "Spesen"
    state = {
        expense_modal.DAY_BLOCK: {expense_modal.DAY_ACTION: date_value("2026-11-20")},
        expense_modal.PROJECT_BLOCK: {
            expense_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects["Cloud-Migration"]), kind="external_select"
            )
        },
        category["block_id"]: {
            expense_modal.CATEGORY_ACTION: select_value(str((await _category_ids(ls))["Material"]))
        },
        expense_modal.AMOUNT_BLOCK: {expense_modal.AMOUNT_ACTION: text_value("12,345")},
        expense_modal.NOTE_BLOCK: {expense_modal.NOTE_ACTION: text_value("Kabel")},
        blocks[expense_modal.BILLABLE_BLOCK]["block_id"]: {
            expense_modal.BILLABLE_ACTION: checkboxes_value([])
        },
    }
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    assert response.json["response_action"] == "errors"
    assert list(response.json["errors"]) == [expense_modal.AMOUNT_BLOCK]
    assert "more than two decimals" in response.json["errors"][expense_modal.AMOUNT_BLOCK]

    state[expense_modal.AMOUNT_BLOCK] = {expense_modal.AMOUNT_ACTION: text_value("1'234.50")}
    response = await ls.stack.slack.submit_view(ANDREA, view, state)
    assert response.json["response_action"] == "update"
    assert "✓ CHF 1'234.50 · Cloud-Migration / Material · Fri 20.11. · not billable" in str(
        response.json["view"]
    )
    [expense] = await expenses(ls.db, ls.tenant_id)
    assert (expense.amount, expense.billable, expense.note) == (Decimal("1234.50"), False, "Kabel")


async def test_admins_manage_categories(ls: LoggingStack) -> None:
    categories = ls.stack.runtime.services.expense_categories
    saved = await categories.save(
        ls.tenant_id, "Hotel", billable=True, tax_code="ur26", account_no="3400", actor="cli"
    )
    assert (saved.name, saved.tax_code, saved.account_no, saved.active) == ("Hotel", "UR26", "3400", True)
    with pytest.raises(CategoryError, match="no sales tax XX99"):
        await categories.save(ls.tenant_id, "Hotel", tax_code="XX99", actor="cli")
    with pytest.raises(CategoryError, match="no account 9999"):
        await categories.save(ls.tenant_id, "Hotel", account_no="9999", actor="cli")
    reset = await categories.save(ls.tenant_id, "hotel", tax_code="default", actor="cli")
    assert reset.tax_code is None and reset.account_no == "3400"
    await categories.deactivate(ls.tenant_id, "Material", actor="cli")
    assert list(await _category_ids(ls)) == ["Hotel", "Reisekosten", "Spesen"]
    reply = await send(ls, ANDREA, "/log-expense", "20 Website Relaunch / Material")
    assert _picks(reply, log_expense.PICK_CATEGORY_ACTION) == ["Hotel", "Reisekosten", "Spesen"]
