"""The invoice modal has no dead ends (issue 15 §5–8), through signed Slack requests: what would
make the submit refuse is shown in the preview where it can be fixed, the header follows the
chosen customer and period, a submit refused because the lines changed shows what changed and
goes through with one more click, line texts and the customer's reference reach the draft."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from bexio.sandbox import RunningSandbox
from bot.views import hours_modal, invoice_modal
from bxhours.fakes.invoicing_seed import SeededCompany
from bxhours.fakes.slack_client import option, text_value
from bxhours.fakes.stack import ANDREA, MIA, Stack
from services.export import ExportFilter, ExportService
from storage.models import Activity, AuditLog, Customer, ExpenseCategory, Invoice
from tests.scenarios.test_invoice_modal import (
    InvoiceModal,
    _customer_of,
    _last_month,
    _log,
    _texts,
    _work,
    company,
    state_of,
)

__all__ = ["company"]  # the fixture, shared with the modal's main tests


def _blocks_with(view: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if str(b.get("block_id", "")).startswith(prefix)]


async def _click(modal: InvoiceModal, block: dict[str, Any], element: dict[str, Any], **action: Any) -> None:
    """A click on an element of an actions block in the modal; waits for the modal's re-render."""
    before = len(modal.stack.fake.calls_to("views.update"))
    state = state_of(modal.view)
    if "selected_option" in action:  # Slack reports an actions block's select in the state too
        state[block["block_id"]] = {
            element["action_id"]: {"type": element["type"], "selected_option": action["selected_option"]}
        }
    response = await modal.stack.slack.block_action(
        modal.user, element["action_id"], block_id=block["block_id"], view=modal.view, state=state, **action
    )
    assert response.status == 200
    await modal.stack.fake.wait_for("views.update", count=before + 1)


async def _unmap_categories(stack: Stack) -> None:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        await session.execute(update(ExpenseCategory).values(account_id=None))


async def _expense(stack: Stack, company: SeededCompany, day: date) -> None:
    await _work(stack).expense(
        user_id=company.users[1],
        project_id=company.projects[1],
        category_id=company.categories["Reisekosten"],
        day=day,
        amount=Decimal("84.50"),
        note="Zug Bern–Zürich",
    )


async def test_a_category_without_account_is_fixed_in_the_preview_with_one_click(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    await _unmap_categories(stack)
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 120)
    await _expense(stack, company, last)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    shown = _texts(modal.view)
    assert "The expense category *Reisekosten* has no income account yet" in shown
    assert "Settings → Account mapping" not in shown
    [row] = _blocks_with(modal.view, invoice_modal.ACCOUNT_BLOCK_PREFIX)
    confirm, chooser = row["elements"]
    assert chooser["type"] == "external_select" and chooser["action_id"] == invoice_modal.ACCOUNT_ACTION
    # The income account the activities use most is proposed; nothing is booked to it yet.
    assert confirm["text"]["text"] == "Use 3400 Dienstleistungserlöse"
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert set(await session.scalars(select_accounts())) == {None}

    await _click(modal, row, confirm, value=confirm["value"])
    async with stack.runtime.db.session(stack.tenant_id) as session:
        accounts = set(await session.scalars(select_accounts()))
        audit = list(await session.scalars(select(AuditLog).where(AuditLog.action == "account_mapping.set")))
    assert accounts == {confirm_account(sandbox)} and audit and audit[0].actor == ANDREA
    assert _blocks_with(modal.view, invoice_modal.ACCOUNT_BLOCK_PREFIX) == []
    assert "no income account" not in _texts(modal.view)
    assert "2 lines ticked" in _texts(modal.view)  # the expense, now booked, stays ticked
    response = await modal.submit()
    assert response.json["response_action"] == "update"
    assert "Draft" in _texts(await modal.result())


def select_accounts() -> Any:
    return select(ExpenseCategory.account_id).where(ExpenseCategory.active.is_(True))


def confirm_account(sandbox: RunningSandbox) -> int:
    return next(a["id"] for a in sandbox.state.tables["account"].values() if a["account_no"] == "3400")


async def test_an_admin_chooses_an_activity_account_right_on_the_line(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        await session.execute(
            update(Activity).where(Activity.name == "Umsetzung").values(bexio_account_id=None)
        )
    await _log(stack, company, 1, _last_month(stack)[0], 60)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    assert "The activity *Umsetzung* has no income account yet" in _texts(modal.view)
    [row] = _blocks_with(modal.view, invoice_modal.ACCOUNT_BLOCK_PREFIX)
    [select_element] = row["elements"]  # no proposal for activities: they follow bexio
    response = await stack.slack.options(
        ANDREA, invoice_modal.ACCOUNT_ACTION, "32", view=modal.view, block_id=row["block_id"]
    )
    [chosen] = response.json["options"]
    assert chosen["text"]["text"] == "3200 Handelserlös"
    await _click(modal, row, select_element, selected_option=chosen)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        activity = await session.get(Activity, company.activities[4])
    assert activity is not None and activity.mapped_account_id == int(chosen["value"])
    assert "no income account" not in _texts(modal.view)
    assert "account 3200" in _texts(modal.view)


async def test_someone_who_is_not_an_admin_is_told_whom_to_ask(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    await stack.runtime.services.settings.set(stack.tenant_id, "billing_users", MIA, actor=ANDREA)
    await _unmap_categories(stack)
    await _expense(stack, company, _last_month(stack)[1])
    modal = InvoiceModal(stack, MIA)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    shown = _texts(modal.view)
    assert f"Ask an admin (<@{ANDREA}>) to choose it in the App Home → Account mapping." in shown
    assert _blocks_with(modal.view, invoice_modal.ACCOUNT_BLOCK_PREFIX) == []
    # A forged choice from someone who is not an admin stores nothing, and loads no accounts.
    block_id = f"{invoice_modal.ACCOUNT_BLOCK_PREFIX}category:{company.categories['Reisekosten']}"
    response = await stack.slack.options(
        MIA, invoice_modal.ACCOUNT_ACTION, "", view=modal.view, block_id=block_id
    )
    assert response.json["options"] == []
    forged = option("101", "3200 Handelserlös")
    response = await stack.slack.block_action(
        MIA, invoice_modal.ACCOUNT_ACTION, block_id=block_id, view=modal.view, selected_option=forged
    )
    assert response.status == 200
    await stack.runtime.drain(5)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert set(await session.scalars(select_accounts())) == {None}


async def test_the_preview_shows_every_reason_the_submit_refuses(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    """Missing account, missing rate, numbering: each is in the preview before anyone submits,
    and each sentence the submit answers with was in the preview."""
    await _unmap_categories(stack)
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    await _expense(stack, company, last)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    await modal.set_numbering(False)  # bexio numbers automatically: own numbers are refused
    preview = _texts(modal.view)
    assert "bexio numbers invoices automatically" in preview
    response = await modal.submit()
    body = response.json
    assert body["response_action"] == "errors"
    for message in body["errors"].values():
        for sentence in (s.strip() for s in message.split(" — ")[0].split(". ") if s.strip()):
            if "has no bexio account" in sentence:  # the core's sentence: shown as the line's select
                assert "has no income account yet" in preview
            else:
                assert sentence.rstrip(".") in preview, sentence
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert list(await session.scalars(select(Invoice))) == []


async def test_the_header_and_title_follow_the_chosen_period(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    await _log(stack, company, 1, last, 60)
    modal = InvoiceModal(stack)
    await modal.open()
    steps = [b["text"]["text"] for b in modal.view["blocks"] if b["type"] == "section"]
    assert steps[0].startswith("*1 · Customer and period*")
    assert any(step.startswith("*2 · Options*") for step in steps)  # no step 3 after step 1
    assert modal.view["title"]["text"].startswith("Invoice ")
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    header = modal.view["blocks"][0]["text"]["text"]
    assert f"{first:%d.%m.%Y} – {last:%d.%m.%Y}" in header
    titles = [b["text"]["text"] for b in modal.view["blocks"] if b["type"] == "section"]
    assert [t[:2] for t in titles if t.startswith("*") and " · " in t[:6]] == ["*1", "*2", "*3"]
    title_before = _title(modal.view)
    middle = first + timedelta(days=10)
    day = {"type": "datepicker", "selected_date": middle.isoformat()}
    await modal.choose(invoice_modal.TO_BLOCK, invoice_modal.TO_ACTION, day, selected_date=middle.isoformat())
    header = modal.view["blocks"][0]["text"]["text"]
    assert f"{first:%d.%m.%Y} – {middle:%d.%m.%Y}" in header and f"{last:%d.%m.%Y}" not in header
    assert modal.view["title"]["text"] == "Invoice"  # no longer one whole month
    assert "1 line ticked" in _texts(modal.view)
    # The proposed title follows the period; a title the person typed stays.
    earlier = first - timedelta(days=1)
    day = {"type": "datepicker", "selected_date": earlier.isoformat()}
    await modal.choose(
        invoice_modal.TO_BLOCK, invoice_modal.TO_ACTION, day, selected_date=earlier.isoformat()
    )
    assert _title(modal.view) != title_before
    assert f"up to {earlier:%d.%m.%Y}" not in modal.view["blocks"][0]["text"]["text"]
    before = len(stack.fake.calls_to("views.update"))
    day = {"type": "datepicker", "selected_date": last.isoformat()}
    state = state_of(
        modal.view,
        **{
            invoice_modal.TITLE_BLOCK: text_value("Website, erste Etappe"),
            invoice_modal.FROM_BLOCK: {"type": "datepicker", "selected_date": first.isoformat()},
            invoice_modal.TO_BLOCK: day,
        },
    )
    await stack.slack.block_action(
        ANDREA,
        invoice_modal.TO_ACTION,
        block_id=invoice_modal.TO_BLOCK,
        view=modal.view,
        state=state,
        selected_date=last.isoformat(),
    )
    await stack.fake.wait_for("views.update", count=before + 1)
    assert _title(modal.view) == "Website, erste Etappe"
    assert modal.view["title"]["text"].startswith("Invoice ")  # one whole month again


def _title(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == invoice_modal.TITLE_BLOCK)
    return str(block["element"]["initial_value"])


async def test_without_work_last_month_the_modal_opens_on_everything_up_to_today(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    today = stack.runtime.services.invoicing.today()
    await _log(stack, company, 1, today, 60)  # a first invoice on day one
    modal = InvoiceModal(stack)
    await modal.open()
    shown = _texts(modal.view)
    assert f"1 customer with unbilled work up to {today:%d.%m.%Y}" in shown
    from_block = next(b for b in modal.view["blocks"] if b.get("block_id") == invoice_modal.FROM_BLOCK)
    assert "initial_date" not in from_block["element"]
    options = await modal.customer_options()
    assert options[0]["value"] == f"c:{_customer_of(sandbox, company, 1)}"
    # The command line's default is the same function's (bxhours invoice preview/create).
    invoicing = stack.runtime.services.invoicing
    assert await invoicing.default_period(stack.tenant_id) == (None, today)
    first, last = _last_month(stack)
    await _log(stack, company, 1, last, 30)
    assert await invoicing.default_period(stack.tenant_id) == (first, last)


async def test_lines_changed_since_the_preview_show_what_changed_and_submit_in_one_more_click(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    await _log(stack, company, 1, last, 45, activity=3)  # logged while the modal is open
    response = await modal.submit()
    body = response.json
    assert body["response_action"] == "update"
    fresh = body["view"]
    assert "The lines changed since your preview" in _texts(fresh)
    assert "New: Website Relaunch 1 · Projekt Management" in _texts(fresh)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert list(await session.scalars(select(Invoice))) == []
    # One more click submits what is shown now.
    fresh = {**fresh, "id": modal.view["id"]}
    response = await stack.slack.submit_view(ANDREA, fresh, state_of(fresh))
    assert response.json["response_action"] == "update"
    assert "Creating the draft" in _texts(response.json["view"])


async def test_edited_line_text_and_reference_reach_the_draft(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    await _log(stack, company, 1, last, 30, activity=3)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    [picker_block] = _blocks_with(modal.view, invoice_modal.EDIT_TEXT_BLOCK + ":")
    [picker] = picker_block["elements"]
    line = next(o for o in picker["options"] if "Umsetzung" in o["text"]["text"])
    await _click(modal, picker_block, picker, selected_option=line)
    [text_block] = _blocks_with(modal.view, invoice_modal.LINE_TEXT_PREFIX)
    assert text_block["element"]["initial_value"].startswith("Website Relaunch 1 · Umsetzung")
    rewritten = "Umsetzung Startseite gemäss Offerte 2026-17"
    response = await modal.submit(
        **{
            text_block["block_id"]: text_value(rewritten),
            invoice_modal.REFERENCE_BLOCK: text_value("PO 4711"),
        }
    )
    assert response.json["response_action"] == "update", response.json
    await modal.result()
    [post] = sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    assert post.json_body["reference"] == "PO 4711"
    texts = [p.get("text") for p in post.json_body["positions"]]
    assert rewritten in texts
    assert any("Projekt Management" in (t or "") for t in texts)  # the other line as proposed
    async with stack.runtime.db.session(stack.tenant_id) as session:
        invoice = (await session.scalars(select(Invoice))).one()
    assert invoice.reference == "PO 4711"


async def test_an_edited_text_too_long_is_a_field_error_and_loses_nothing(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    await _log(stack, company, 1, _last_month(stack)[0], 60)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    [lines] = modal.line_blocks()
    key = lines["element"]["options"][0]["value"]
    version = json.loads(modal.view["private_metadata"])["v"]
    block_id = f"{invoice_modal.LINE_TEXT_PREFIX}{version}:{key}"
    state = state_of(modal.view)
    state[block_id] = {invoice_modal.LINE_TEXT_ACTION: {"type": "plain_text_input", "value": "x" * 1001}}
    response = await stack.slack.submit_view(ANDREA, modal.view, state)
    body = response.json
    assert body["response_action"] == "errors"
    assert "at most 1000 characters" in json.dumps(body["errors"])
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert list(await session.scalars(select(Invoice))) == []


async def test_the_customer_is_named_the_same_way_everywhere(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    """Modal, project picker, DM, App Home and CSV: a person customer by first and last name."""
    customer_id = _customer_of(sandbox, company, 1)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        customer.contact_type, customer.name_2 = 2, "Ursula"
        name = f"Ursula {customer.name}"
    first, _last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    modal = InvoiceModal(stack)
    await modal.open()
    options = await modal.customer_options("ursula")
    assert options[0]["text"]["text"].startswith(f"{name} · CHF")
    await modal.choose_customer(customer_id)
    assert f"*{name}* · unbilled work" in modal.view["blocks"][0]["text"]["text"]
    hours_form = {"id": "V0HOURS", "type": "modal", "callback_id": hours_modal.CALLBACK_ID, "blocks": []}
    response = await stack.slack.options(ANDREA, hours_modal.PROJECT_ACTION, "ursula", view=hours_form)
    assert f"Website Relaunch 1 · {name}" in [o["text"]["text"] for o in response.json["options"]]
    await modal.submit()
    await modal.result()
    dm = await stack.fake.wait_for("chat.postMessage", lambda c: "Draft" in c.params.get("text", ""))
    assert f"{name} · " in json.dumps(dm[0].params.get("blocks"), ensure_ascii=False)
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", lambda c: name in json.dumps(c.params, ensure_ascii=False))
    rows = [row async for row in ExportService(stack.runtime.db).rows(stack.tenant_id, ExportFilter())]
    assert {row["customer"] for row in rows} == {name}


async def test_the_modal_starts_with_the_workspace_grouping(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    await _log(stack, company, 1, last, 60)
    await stack.runtime.services.settings.set(stack.tenant_id, "invoice_grouping", "day", actor="cli")
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    grouping = next(b for b in modal.view["blocks"] if b.get("block_id") == invoice_modal.GROUPING_BLOCK)
    assert grouping["element"]["initial_option"]["value"] == "day"
    [lines] = modal.line_blocks()
    assert len(lines["element"]["options"]) == 2  # one line per day
    await modal.submit()
    await modal.result()
    [post] = sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    assert len(post.json_body["positions"]) == 2
