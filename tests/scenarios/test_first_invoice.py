"""A first invoice in a fresh workspace (issue 15 §10): import from bexio, log hours and an
expense in Slack, `/invoice` — and a draft in bexio with at most one confirmation click on the way
(the proposed income account of the expense categories, §5). No settings, no account mapping
visit, no refused submit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bot.views import account_mapping, invoice_modal
from bxhours.fakes.stack import ANDREA, MIA, Stack
from storage.models import ExpenseCategory, Invoice
from tests.scenarios.test_invoice_modal import InvoiceModal, state_of


async def _import(stack: Stack) -> None:
    response = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert "started" in response.text, response.text
    await stack.fake.wait_for(
        "chat.update",
        lambda c: str(c.params.get("text", "")).startswith("Import from bexio finished"),
        timeout=60,
    )
    for _ in range(400):
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not settle")


async def _command(stack: Stack, command: str, text: str) -> str:
    """A slash command's answer: the reply itself, or the message sent to its response URL."""
    before = len(stack.fake.hooks)
    response = await stack.slack.command(command, text, user_id=ANDREA)
    assert response.status == 200, response.text
    if response.text:
        return response.text
    for _ in range(400):
        if len(stack.fake.hooks) > before:
            return json.dumps(stack.fake.hooks[-1], ensure_ascii=False)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{command} {text!r} got no answer")


async def test_import_log_invoice_reaches_a_draft_with_one_confirmation_click(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await _import(stack)
    reply = await _command(stack, "/log-hours", "2h30 000001 / Umsetzung: Startseite umgesetzt")
    assert "✓ 2:30 h" in reply, reply
    reply = await _command(stack, "/log-expense", "84.50 000001 / Reisekosten: Zug Bern–Zürich")
    assert "84.50" in reply, reply
    async with stack.runtime.db.session(stack.tenant_id) as session:
        unbooked = list(
            await session.scalars(select(ExpenseCategory).where(ExpenseCategory.account_id.is_(None)))
        )
    assert unbooked, "a fresh workspace's expense categories have no account yet"

    modal = InvoiceModal(stack)
    await modal.open()
    assert "0 customers" not in json.dumps(modal.view)  # day one: everything up to today
    options = await modal.customer_options()
    customer = int(options[0]["value"].removeprefix(invoice_modal.CUSTOMER_PREFIX))
    await modal.choose_customer(customer)

    # The one confirmation: the proposed income account for the expense categories.
    blocks = [
        b
        for b in modal.view["blocks"]
        if b.get("block_id", "").startswith(invoice_modal.ACCOUNT_BLOCK_PREFIX)
    ]
    [row] = blocks
    confirm = next(e for e in row["elements"] if e["action_id"] == invoice_modal.PROPOSAL_ACTION)
    before = len(stack.fake.calls_to("views.update"))
    response = await stack.slack.block_action(
        ANDREA,
        invoice_modal.PROPOSAL_ACTION,
        value=confirm["value"],
        block_id=row["block_id"],
        view=modal.view,
        state=state_of(modal.view),
    )
    assert response.status == 200
    await stack.fake.wait_for("views.update", count=before + 1)
    problems = [b for b in modal.view["blocks"] if ":warning:" in json.dumps(b)]
    assert problems == [], problems

    response = await modal.submit()
    assert response.json["response_action"] == "update", response.json  # accepted at the first submit
    final = await modal.result()
    assert "Draft" in json.dumps(final, ensure_ascii=False)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        invoice = (await session.scalars(select(Invoice))).one()
    assert invoice.status == "created"
    draft = sandbox.state.tables["kb_invoice"][invoice.bexio_id]
    assert len(draft["positions"]) == 2  # the hours and the expense whose account was confirmed


async def _home(stack: Stack) -> dict[str, Any]:
    before = len([c for c in stack.fake.calls_to("views.publish") if c.params["user_id"] == ANDREA])
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == ANDREA, count=before + 1)
    return stack.fake.home[ANDREA]


async def _unbooked(stack: Stack) -> list[str]:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        rows = await session.scalars(
            select(ExpenseCategory.name).where(
                ExpenseCategory.active.is_(True), ExpenseCategory.account_id.is_(None)
            )
        )
        return list(rows)


async def test_the_setup_checklist_confirms_the_proposed_account_in_one_click(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await _import(stack)
    home = await _home(stack)
    proposal = next(b for b in home["blocks"] if b.get("block_id") == account_mapping.PROPOSAL_BLOCK)
    assert "*3400 " in proposal["text"]["text"]  # the account the imported activities use
    button = proposal["accessory"]
    assert button["action_id"] == account_mapping.HOME_PROPOSAL_ACTION
    assert await _unbooked(stack), "only a proposal until an admin confirms it"
    # Someone who is not an admin cannot confirm it.
    response = await stack.slack.block_action(
        MIA, button["action_id"], value=button["value"], block_id=proposal["block_id"], view=home
    )
    assert response.status == 200
    await stack.runtime.drain(5)
    assert await _unbooked(stack)
    published = len(stack.fake.calls_to("views.publish"))
    response = await stack.slack.block_action(
        ANDREA, button["action_id"], value=button["value"], block_id=proposal["block_id"], view=home
    )
    assert response.status == 200
    await stack.fake.wait_for("views.publish", count=published + 1)
    assert await _unbooked(stack) == []
    home = stack.fake.home[ANDREA]
    assert not any(b.get("block_id") == account_mapping.PROPOSAL_BLOCK for b in home["blocks"])


async def test_a_changed_proposal_is_not_confirmed_blindly(stack: Stack, sandbox: RunningSandbox) -> None:
    await _import(stack)
    mapping = await _home(stack)
    response = await stack.slack.block_action(ANDREA, account_mapping.OPEN_ACTION, value="open", view=mapping)
    assert response.status == 200
    await stack.fake.wait_for("views.open")
    view = stack.fake.modal()
    block = next(b for b in view["blocks"] if b.get("block_id") == account_mapping.PROPOSAL_BLOCK)
    other = next(
        a["id"]
        for a in sandbox.state.tables["account"].values()
        if a["account_type"] == 1 and str(a["id"]) != block["accessory"]["value"]
    )
    # A click whose account is not today's proposal (forged, or the proposal moved on) books nothing.
    response = await stack.slack.block_action(
        ANDREA, account_mapping.PROPOSAL_ACTION, value=str(other), block_id=block["block_id"], view=view
    )
    assert response.status == 200
    await stack.fake.wait_for("views.update")
    assert await _unbooked(stack)
    response = await stack.slack.block_action(
        ANDREA,
        account_mapping.PROPOSAL_ACTION,
        value=block["accessory"]["value"],
        block_id=block["block_id"],
        view=view,
    )
    await stack.fake.wait_for("views.update", count=2)
    assert await _unbooked(stack) == []
