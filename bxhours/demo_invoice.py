"""The end of `make demo`: Andrea bills the work the team just logged as a draft invoice in the sandbox.

It runs after the import and the `/log-hours` part of the demo and goes through the modal exactly
as a person would: choose the customer with unbilled work, move the period's end to today (the
modal proposes everything up to the end of last month), look at the preview, submit.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bot.views import account_mapping, invoice_modal
from bxhours.fakes.stack import ANDREA, Stack
from core.money import format_amount, format_money
from storage.models import Invoice

if TYPE_CHECKING:
    from bxhours.demo import Transcript


async def invoice_tour(stack: Stack, transcript: Transcript, sandbox: RunningSandbox) -> None:
    transcript.section("Invoicing the logged work")
    transcript.request("Andrea", "/invoice")
    transcript.reply(await stack.slack.command("/invoice", user_id=ANDREA))
    await stack.fake.wait_for("views.update")
    transcript.slack_calls(stack, ("views.open", "views.update"))

    view = stack.fake.modal()
    today = stack.runtime.services.invoicing.today().isoformat()
    state: dict[str, Any] = {
        invoice_modal.TO_BLOCK: {invoice_modal.TO_ACTION: {"type": "datepicker", "selected_date": today}}
    }
    transcript.request(
        "Andrea", f"sets the period's end to today ({today}): this month's work is billable too"
    )
    view = await _act(
        stack, view, state, invoice_modal.TO_ACTION, invoice_modal.TO_BLOCK, selected_date=today
    )

    response = await stack.slack.options(
        ANDREA,
        invoice_modal.CUSTOMER_ACTION,
        "",
        view={**view, "state": {"values": state}},  # Slack sends the modal's current values along
        block_id=invoice_modal.CUSTOMER_BLOCK,
    )
    groups = response.json["option_groups"]
    transcript.request("Andrea", "opens the customer list (customers with unbilled work first)")
    for group in groups:
        transcript.note(
            f"{group['label']['text']}: " + ", ".join(o["text"]["text"] for o in group["options"][:4])
        )
    chosen = groups[0]["options"][0]
    transcript.request("Andrea", f"chooses {chosen['text']['text']}")
    state[invoice_modal.CUSTOMER_BLOCK] = {
        invoice_modal.CUSTOMER_ACTION: {"type": "external_select", "selected_option": chosen}
    }
    view = await _act(
        stack,
        view,
        state,
        invoice_modal.CUSTOMER_ACTION,
        invoice_modal.CUSTOMER_BLOCK,
        selected_option=chosen,
    )
    for block in view["blocks"]:
        if block.get("block_id", "").startswith(invoice_modal.LINES_BLOCK_PREFIX):
            for item in block["element"]["options"]:
                detail = item.get("description", {}).get("text", "")
                transcript.note(f"☑ {item['text']['text']}  [{detail}]")
        elif block.get("type") == "section" and "Preview" in block["text"]["text"]:
            transcript.note(block["text"]["text"].replace("*", ""))

    transcript.request("Andrea", "submits the modal (“Use bexio invoice number” ticked)")
    response = await stack.slack.submit_view(ANDREA, view, _initial_state(view))
    if response.json.get("response_action") == "errors":
        for message in response.json["errors"].values():
            transcript.note(f"← under the line: {message}")
        await _map_unmapped_categories(stack, transcript)
        transcript.request("Andrea", "submits the invoice modal again")
        response = await stack.slack.submit_view(ANDREA, view, _initial_state(view))
    if response.json.get("response_action") == "update" and "changed since" in _view_text(
        response.json["view"]
    ):
        # The mapping changed the lines' accounts: bxhours shows the new preview instead of billing
        # something Andrea has not seen. She looks at it and submits once more.
        view = {**view, **response.json["view"]}
        transcript.note("← " + _view_text(view).split("\n")[0])
        transcript.request("Andrea", "checks the refreshed preview and submits")
        response = await stack.slack.submit_view(ANDREA, view, _initial_state(view))
    if response.json.get("response_action") == "errors":
        raise RuntimeError(f"the modal refused the submission: {response.json['errors']}")
    transcript.note("← " + _view_text(response.json.get("view", {})))
    await stack.fake.wait_for(
        "views.update",
        lambda c: c.params.get("view_id") == view["id"] and "Draft" in json.dumps(c.params.get("view")),
        timeout=30,
    )
    await stack.fake.wait_for("chat.postMessage", lambda c: "Draft" in str(c.params.get("text")))
    transcript.slack_calls(stack, ("views.update", "chat.postMessage"))
    await _show_draft(stack, transcript, sandbox)


async def _show_draft(stack: Stack, transcript: Transcript, sandbox: RunningSandbox) -> None:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        invoice_id = await session.scalar(select(Invoice.id).order_by(Invoice.id.desc()).limit(1))
    assert invoice_id is not None
    outcome = await stack.runtime.services.invoicing.outcome(stack.tenant_id, invoice_id)
    assert outcome.bexio_id is not None
    draft = sandbox.state.tables["kb_invoice"][outcome.bexio_id]
    transcript.section(
        f"The draft in bexio: {draft['document_nr']} (status {draft['kb_item_status_id']} = draft)"
    )
    transcript.note(f"{outcome.customer} · {draft['title']} · {outcome.url}")
    if sandbox.state.calls_to("POST", "/2.0/contact"):
        transcript.note("(the customer was new to bexio: its contact was created together with the draft)")
    accounts = {a["id"]: a["account_no"] for a in sandbox.state.tables["account"].values()}
    taxes = {t["id"]: t["code"] for t in sandbox.state.tables["tax"].values()}
    for position in draft["positions"]:
        if position["type"] == "KbPositionCustom":
            # The text on its own line: with its dates and notes (issue 15 §2) it is long.
            transcript.note(position["text"])
            transcript.note(
                f"  {format_amount(Decimal(position['amount']))} {position.get('unit_name') or ''} × "
                f"{format_amount(Decimal(position['unit_price']))} = {format_amount(Decimal(position['position_total']))}"
                f"   account {accounts.get(position['account_id'])} · {taxes.get(position['tax_id'])}"
            )
        else:
            transcript.note(position.get("text", ""))
    transcript.note(
        f"net {format_money(Decimal(draft['total_net']))} · VAT {format_money(Decimal(draft['total_taxes']))} · "
        f"total {format_money(Decimal(draft['total']))} (preview: {format_money(outcome.total)})"
    )


async def _map_unmapped_categories(stack: Stack, transcript: Transcript) -> None:
    """App Home → Account mapping: each expense category without an account gets a services income account."""
    transcript.request("Andrea", "App Home → Account mapping")
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish")
    opened = len(stack.fake.calls_to("views.open"))
    await stack.slack.block_action(
        ANDREA, account_mapping.OPEN_ACTION, value="open", view=stack.fake.home[ANDREA]
    )
    await stack.fake.wait_for("views.open", count=opened + 1)
    modal = stack.fake.modal()
    values: dict[str, Any] = {}
    for block in modal["blocks"]:
        element = block.get("element") or {}
        if block.get("type") != "input" or element.get("action_id") != account_mapping.ACCOUNT_ACTION:
            continue
        chosen = element.get("initial_option")
        if chosen is None and block["block_id"].startswith(f"{account_mapping.ROW_PREFIX}category:"):
            found = await stack.slack.options(
                ANDREA, account_mapping.ACCOUNT_ACTION, "3400", view=modal, block_id=block["block_id"]
            )
            chosen = found.json["options"][0]
            transcript.note(f"{block['label']['text']} → {chosen['text']['text']}")
        values[block["block_id"]] = {
            account_mapping.ACCOUNT_ACTION: {"type": "external_select", "selected_option": chosen}
        }
    saved = await stack.slack.submit_view(ANDREA, modal, values)
    if (saved.json or {}).get("response_action") == "errors":
        raise RuntimeError(f"the account mapping was refused: {saved.json['errors']}")


async def _act(
    stack: Stack, view: dict[str, Any], state: dict[str, Any], action_id: str, block_id: str, **value: Any
) -> dict[str, Any]:
    """One change in the modal, as Slack sends it; returns the modal as the bot re-rendered it."""
    updates = len(stack.fake.calls_to("views.update"))
    await stack.slack.block_action(ANDREA, action_id, block_id=block_id, view=view, state=state, **value)
    await stack.fake.wait_for("views.update", count=updates + 1)
    return stack.fake.modal()


def _initial_state(view: dict[str, Any]) -> dict[str, Any]:
    """The modal's values as Slack reports them when nothing else is touched."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind in ("static_select", "external_select"):
            value: dict[str, Any] = {"type": kind, "selected_option": element.get("initial_option")}
        elif kind == "checkboxes":
            value = {"type": kind, "selected_options": element.get("initial_options", [])}
        elif kind == "datepicker":
            value = {"type": kind, "selected_date": element.get("initial_date")}
        else:
            value = {"type": kind, "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: value}
    return values


def _view_text(view: dict[str, Any]) -> str:
    return " ".join(b["text"]["text"] for b in view.get("blocks", []) if isinstance(b.get("text"), dict))
