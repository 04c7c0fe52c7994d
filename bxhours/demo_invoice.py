"""The end of `make demo`: Andrea turns last month's work into a draft invoice in the sandbox.

It runs after the import and `/log-hours` parts of the demo. When those are not part of the
build (nothing imported, nothing logged) it says so, mirrors the sandbox's demo company straight
into the database and logs a few hours itself, so the transcript still ends with a real draft.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bexio.sandbox import RunningSandbox
from bot.views import invoice_modal
from bxhours.fakes.invoicing_seed import WorkLog, mirror_sandbox
from bxhours.fakes.stack import ANDREA, MIA, NOAH, Stack
from core.money import format_amount, format_money
from storage.models import Activity, Customer, Invoice, Project, User

if TYPE_CHECKING:
    from bxhours.demo import Transcript

DEMO_RATES = {
    "mia.schmid@alpenblick.example": Decimal("140.00"),
    "noah.keller@alpenblick.example": Decimal("125.00"),
}


async def invoice_tour(stack: Stack, transcript: Transcript, sandbox: RunningSandbox) -> None:
    transcript.section("Invoicing last month's work")
    services = stack.runtime.services
    period_end = services.invoicing.default_period_end()
    if not await services.invoicing.unbilled(stack.tenant_id, period_from=None, period_to=period_end):
        await _stand_in_for_import_and_logging(stack, transcript, sandbox)

    transcript.request("Andrea", "/invoice")
    transcript.reply(await stack.slack.command("/invoice", user_id=ANDREA))
    await stack.fake.wait_for("views.update")
    transcript.slack_calls(stack, ("views.open", "views.update"))

    view = stack.fake.modal()
    response = await stack.slack.options(
        ANDREA, invoice_modal.CUSTOMER_ACTION, "", view=view, block_id=invoice_modal.CUSTOMER_BLOCK
    )
    groups = response.json["option_groups"]
    transcript.request("Andrea", "opens the customer list (customers with unbilled work first)")
    for group in groups:
        transcript.note(
            f"{group['label']['text']}: " + ", ".join(o["text"]["text"] for o in group["options"][:4])
        )
    chosen = groups[0]["options"][0]
    transcript.request("Andrea", f"chooses {chosen['text']['text']}")
    updates = len(stack.fake.calls_to("views.update"))
    state = {
        invoice_modal.CUSTOMER_BLOCK: {
            invoice_modal.CUSTOMER_ACTION: {"type": "external_select", "selected_option": chosen}
        }
    }
    await stack.slack.block_action(
        ANDREA,
        invoice_modal.CUSTOMER_ACTION,
        block_id=invoice_modal.CUSTOMER_BLOCK,
        view=view,
        state=state,
        selected_option=chosen,
    )
    await stack.fake.wait_for("views.update", count=updates + 1)
    view = stack.fake.modal()
    for block in view["blocks"]:
        if block.get("block_id", "").startswith(invoice_modal.LINES_BLOCK_PREFIX):
            for item in block["element"]["options"]:
                detail = item.get("description", {}).get("text", "")
                transcript.note(f"☑ {item['text']['text']}  [{detail}]")
        elif block.get("type") == "section" and "Preview" in block["text"]["text"]:
            transcript.note(block["text"]["text"].replace("*", ""))

    transcript.request("Andrea", "submits the modal (“Use bexio invoice number” ticked)")
    response = await stack.slack.submit_view(ANDREA, view, _initial_state(view))
    transcript.note("← " + _view_text(response.json.get("view", {})))
    await stack.fake.wait_for(
        "views.update",
        lambda c: c.params.get("view_id") == view["id"] and "Draft" in json.dumps(c.params.get("view")),
        timeout=30,
    )
    await stack.fake.wait_for("chat.postMessage", lambda c: "Draft" in str(c.params.get("text")))
    transcript.slack_calls(stack, ("views.update", "chat.postMessage"))
    await _show_draft(stack, transcript, sandbox)


async def _stand_in_for_import_and_logging(
    stack: Stack, transcript: Transcript, sandbox: RunningSandbox
) -> None:
    db = stack.runtime.db
    async with db.session(stack.tenant_id) as session:
        imported = await session.scalar(select(func.count()).select_from(Customer))
    if not imported:
        transcript.note(
            "(this build has no import yet: the sandbox's demo company is mirrored into the database directly)"
        )
        await mirror_sandbox(
            db,
            stack.tenant_id,
            sandbox.state,
            slack_ids={1: ANDREA, 2: MIA, 3: NOAH},
            person_rates=DEMO_RATES,
        )
    transcript.note(
        "(this build has no /log-hours yet: a few hours of last month are stored directly, for a customer "
        "created in bxhours that bexio does not know yet)"
    )
    work = WorkLog(db, stack.tenant_id)
    end = stack.runtime.services.invoicing.default_period_end()
    project_id, activity_ids, user_ids = await _demo_targets(stack, sandbox)
    for offset, minutes, activity, user in ((3, 150, 0, 0), (8, 90, 1, 1), (12, 45, 0, 2)):
        await work.entry(
            user_id=user_ids[user],
            project_id=project_id,
            activity_id=activity_ids[activity],
            day=end.replace(day=1) + timedelta(days=offset),
            minutes=minutes,
        )


async def _demo_targets(stack: Stack, sandbox: RunningSandbox) -> tuple[int, list[int], list[int]]:
    """The first project billed per activity, Umsetzung and Meeting, and Andrea, Mia and Noah."""

    async with stack.runtime.db.session(stack.tenant_id) as session:
        project = await session.scalar(
            select(Project.id)
            .where(Project.invoice_type == 1, Project.active.is_(True))
            .order_by(Project.bexio_id)
            .limit(1)
        )
        activities = {a.name: a.id for a in await session.scalars(select(Activity))}
        users = {u.bexio_id: u.id for u in await session.scalars(select(User))}
    assert project is not None
    return project, [activities["Umsetzung"], activities["Meeting"]], [users[1], users[2], users[3]]


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
            transcript.note(
                f"{position['text']} · {format_amount(Decimal(position['amount']))} {position.get('unit_name') or ''} × "
                f"{format_amount(Decimal(position['unit_price']))} = {format_amount(Decimal(position['position_total']))}"
                f"   account {accounts.get(position['account_id'])} · {taxes.get(position['tax_id'])}"
            )
        else:
            transcript.note(position.get("text", ""))
    transcript.note(
        f"net {format_money(Decimal(draft['total_net']))} · VAT {format_money(Decimal(draft['total_taxes']))} · "
        f"total {format_money(Decimal(draft['total']))} (preview: {format_money(outcome.total)})"
    )


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
