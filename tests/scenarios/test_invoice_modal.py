"""`/invoice` through signed Slack requests against the sandbox: the whole modal flow in both
numbering modes, the field errors that block a draft, customers created in bexio exactly once,
a VAT-change split, and the admin views (account mapping, "+ New customer")."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from bexio.sandbox import RunningSandbox
from bot.views import account_mapping, invoice_modal, new_customer
from bxhours.fakes.invoicing_seed import SeededCompany, WorkLog, mirror_sandbox
from bxhours.fakes.slack_client import SlackResponse, option, text_value
from bxhours.fakes.stack import ANDREA, MIA, NOAH, Stack
from core.dates import end_of_last_month
from storage.models import Activity, Customer, DocumentSetting, Invoice, TimeEntry
from tests.invoicing_fixtures import PERSON_RATES, SLACK_IDS

INVOICE_URL = "https://office.bexio.com/index.php/kb_invoice/show/id/"


@pytest.fixture
async def company(stack: Stack, sandbox: RunningSandbox) -> SeededCompany:
    return await mirror_sandbox(
        stack.runtime.db, stack.tenant_id, sandbox.state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES
    )


def _work(stack: Stack) -> WorkLog:
    return WorkLog(stack.runtime.db, stack.tenant_id)


def _last_month(stack: Stack) -> tuple[date, date]:
    end = end_of_last_month(stack.runtime.services.invoicing.today())
    return end.replace(day=1), end


async def _log(
    stack: Stack,
    company: SeededCompany,
    project: int,
    day: date,
    minutes: int,
    *,
    activity: int = 4,
    user: int = 1,
) -> int:
    return await _work(stack).entry(
        user_id=company.users[user],
        project_id=company.projects[project],
        activity_id=company.activities[activity],
        day=day,
        minutes=minutes,
    )


def _customer_of(sandbox: RunningSandbox, company: SeededCompany, project: int) -> int:
    return company.customers[sandbox.state.tables["pr_project"][project]["contact_id"]]


def state_of(view: dict[str, Any], **changes: dict[str, Any]) -> dict[str, Any]:
    """The view's input values as Slack reports them (initial values), with `changes` by block id."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind in ("static_select", "external_select", "radio_buttons"):
            value: dict[str, Any] = {"type": kind, "selected_option": element.get("initial_option")}
        elif kind == "checkboxes":
            value = {"type": kind, "selected_options": element.get("initial_options", [])}
        elif kind == "datepicker":
            value = {"type": kind, "selected_date": element.get("initial_date")}
        else:
            value = {"type": kind, "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: value}
    for block_id, value in changes.items():
        action_id = next(
            (b["element"]["action_id"] for b in view["blocks"] if b.get("block_id") == block_id), block_id
        )
        values[block_id] = {action_id: value}
    return values


def _texts(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


class InvoiceModal:
    """Andrea (or another person) working the modal the way Slack would send it."""

    def __init__(self, stack: Stack, user: str = ANDREA) -> None:
        self.stack = stack
        self.user = user

    @property
    def view(self) -> dict[str, Any]:
        return self.stack.fake.modal()

    async def open(self) -> SlackResponse:
        before = len(self.stack.fake.calls_to("views.update"))
        response = await self.stack.slack.command("/invoice", user_id=self.user)
        if response.text == "":
            await self.stack.fake.wait_for("views.update", count=before + 1)
        return response

    async def choose(self, block_id: str, action_id: str, value: dict[str, Any], **selected: Any) -> None:
        before = len(self.stack.fake.calls_to("views.update"))
        state = state_of(self.view, **{block_id: value})
        response = await self.stack.slack.block_action(
            self.user, action_id, block_id=block_id, view=self.view, state=state, **selected
        )
        assert response.status == 200
        await self.stack.fake.wait_for("views.update", count=before + 1)

    async def customer_options(self, query: str = "") -> list[dict[str, Any]]:
        response = await self.stack.slack.options(
            self.user,
            invoice_modal.CUSTOMER_ACTION,
            query,
            view=self.view,
            block_id=invoice_modal.CUSTOMER_BLOCK,
        )
        assert response.status == 200
        groups = response.json["option_groups"]
        return [item for group in groups for item in group["options"]]

    async def choose_customer(self, customer_id: int) -> None:
        chosen = next(o for o in await self.customer_options() if o["value"] == f"c:{customer_id}")
        value = {"type": "external_select", "selected_option": chosen}
        await self.choose(
            invoice_modal.CUSTOMER_BLOCK, invoice_modal.CUSTOMER_ACTION, value, selected_option=chosen
        )

    async def set_numbering(self, use_bexio: bool) -> None:
        chosen = [option(invoice_modal.USE_BEXIO_NUMBER, "Use bexio invoice number")] if use_bexio else []
        value = {"type": "checkboxes", "selected_options": chosen}
        await self.choose(
            invoice_modal.NUMBERING_BLOCK, invoice_modal.NUMBERING_ACTION, value, selected_options=chosen
        )

    def line_blocks(self) -> list[dict[str, Any]]:
        return [
            b
            for b in self.view["blocks"]
            if b.get("block_id", "").startswith(invoice_modal.LINES_BLOCK_PREFIX)
        ]

    async def submit(self, **changes: dict[str, Any]) -> SlackResponse:
        response = await self.stack.slack.submit_view(self.user, self.view, state_of(self.view, **changes))
        assert response.status == 200
        return response

    async def result(self) -> dict[str, Any]:
        """Wait for the worker's update after a submission and return the final view."""
        view_id = self.view["id"]
        calls = await self.stack.fake.wait_for(
            "views.update",
            lambda c: (
                (c.params.get("view_id") == view_id and "Draft" in _texts(c.params.get("view", {})))
                or "refused" in _texts(c.params.get("view", {}))
            ),
            timeout=20,
        )
        return calls[-1].params["view"]


async def _invoice_row(stack: Stack) -> Invoice:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        invoices = list(await session.scalars(select(Invoice).order_by(Invoice.id)))
    assert invoices
    return invoices[-1]


async def test_whole_flow_with_bexio_numbering(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    await _log(stack, company, 1, first, 150)
    await _log(stack, company, 1, last, 90, activity=3)
    await _work(stack).expense(
        user_id=company.users[1],
        project_id=company.projects[1],
        category_id=company.categories["Reisekosten"],
        day=last,
        amount=Decimal("84.50"),
    )
    customer = _customer_of(sandbox, company, 1)
    modal = InvoiceModal(stack)
    response = await modal.open()
    assert response.status == 200 and response.text == ""
    [opened] = stack.fake.calls_to("views.open")
    assert "Loading" in _texts(opened.params["view"])  # opened at once, filled afterwards
    # The header names the period the modal opens on: last month, which has unbilled work.
    assert f"1 customer with unbilled work {first:%d.%m.%Y} – {last:%d.%m.%Y}" in _texts(modal.view)

    options = await modal.customer_options()
    assert options[0]["value"] == f"c:{customer}"  # the only customer with unbilled work comes first
    assert "CHF" in options[0]["text"]["text"]
    await modal.choose_customer(customer)

    view = modal.view
    assert "Defined by bexio" in _texts(view)
    [lines] = modal.line_blocks()
    texts = [o["text"]["text"] for o in lines["element"]["options"]]
    assert len(texts) == 3 and len(lines["element"]["initial_options"]) == 3
    assert any(
        t.startswith("Website Relaunch 1 · Umsetzung") and t.endswith("2.50 h × 150.00 = 375.00")
        for t in texts
    )
    assert any(t.startswith("Reisekosten · ") for t in texts)
    assert "*Total: CHF" in _texts(view) and "Grand total" not in _texts(view)

    response = await modal.submit()
    assert response.json["response_action"] == "update"
    assert "Creating the draft in bexio" in _texts(response.json["view"])
    final = await modal.result()
    invoice = await _invoice_row(stack)
    assert f"Draft {invoice.document_nr} created" in _texts(final)
    assert f"{INVOICE_URL}{invoice.bexio_id}|Open in bexio" in _texts(final)
    [post] = sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    assert "document_nr" not in post.json_body
    draft = sandbox.state.tables["kb_invoice"][invoice.bexio_id]
    assert Decimal(draft["total"]) == invoice.total == invoice.bexio_total
    dm = await stack.fake.wait_for("chat.postMessage", lambda c: "Draft" in c.params.get("text", ""))
    assert invoice.document_nr in dm[0].params["text"]
    assert "total CHF" in json.dumps(dm[0].params.get("blocks"))
    async with stack.runtime.db.session(stack.tenant_id) as session:
        statuses = set(await session.scalars(select(TimeEntry.status)))
    assert statuses == {"billed"}


async def test_whole_flow_with_own_numbering(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    sandbox.state.invoice_setting()["use_automatic_enumeration"] = False
    async with stack.runtime.db.session(stack.tenant_id) as session:
        await session.execute(
            update(DocumentSetting)
            .where(DocumentSetting.kb_item_class == "KbInvoice")
            .values(use_automatic_enumeration=False)
        )
    first, _last = _last_month(stack)
    await _log(stack, company, 1, first, 60)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    await modal.set_numbering(False)
    year = stack.runtime.services.invoicing.today().year
    assert f"RE-{year}-0001" in _texts(modal.view)
    response = await modal.submit()
    assert response.json["response_action"] == "update"
    final = await modal.result()
    assert f"Draft RE-{year}-0001 created" in _texts(final)
    [post] = sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    assert post.json_body["document_nr"] == f"RE-{year}-0001"


async def test_own_numbering_refused_while_bexio_numbers_automatically(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    await _log(stack, company, 1, _last_month(stack)[0], 60)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    await modal.set_numbering(False)
    response = await modal.submit()
    body = response.json
    assert body["response_action"] == "errors"
    assert "bexio numbers invoices automatically" in body["errors"][invoice_modal.NUMBERING_BLOCK]
    assert sandbox.state.calls_to("POST", "/2.0/kb_invoice") == []


async def test_unmapped_activity_blocks_the_draft(
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
    [lines] = modal.line_blocks()
    response = await modal.submit()
    body = response.json
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        lines["block_id"]: "Umsetzung has no bexio account — map it in the App Home → Account mapping"
    }
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert list(await session.scalars(select(Invoice))) == []


async def test_unticked_lines_stay_unbilled(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    kept = await _log(stack, company, 1, first, 60, activity=4)
    left = await _log(stack, company, 1, last, 30, activity=3)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    [lines] = modal.line_blocks()
    umsetzung = [o for o in lines["element"]["options"] if "Umsetzung" in o["text"]["text"]]
    value = {"type": "checkboxes", "selected_options": umsetzung}
    await modal.choose(lines["block_id"], invoice_modal.LINES_ACTION, value, selected_options=umsetzung)
    assert "1 line ticked" in _texts(modal.view)
    await modal.submit()
    await modal.result()
    async with stack.runtime.db.session(stack.tenant_id) as session:
        status = {row.id: row.status for row in await session.execute(select(TimeEntry.id, TimeEntry.status))}
    assert status == {kept: "billed", left: "open"}


async def test_new_customer_is_created_in_bexio_exactly_once(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    first, last = _last_month(stack)
    work = _work(stack)
    for day in (first, last):
        await work.entry(
            user_id=company.users[1],
            project_id=company.new_project_id,
            activity_id=company.activities[4],
            day=day,
            minutes=60,
        )
    contacts = len(sandbox.state.tables["contact"])
    for day in (first, last):
        modal = InvoiceModal(stack)
        await modal.open()
        await modal.choose_customer(company.new_customer_id)
        to_day = {"type": "datepicker", "selected_date": day.isoformat()}
        await modal.choose(
            invoice_modal.TO_BLOCK, invoice_modal.TO_ACTION, to_day, selected_date=day.isoformat()
        )
        await modal.submit()
        final = await modal.result()
        assert "created" in _texts(final)
    assert len(sandbox.state.tables["contact"]) == contacts + 1
    assert len(sandbox.state.calls_to("POST", "/2.0/contact")) == 1
    contact_id = max(sandbox.state.tables["contact"])
    drafts = [d for d in sandbox.state.tables["kb_invoice"].values() if d.get("api_reference")]
    assert [d["contact_id"] for d in drafts] == [contact_id, contact_id]


async def test_vat_change_period_splits_lines(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    await _log(stack, company, 1, date(2023, 12, 20), 120)
    await _log(stack, company, 1, date(2024, 1, 10), 120)
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(_customer_of(sandbox, company, 1))
    [lines] = modal.line_blocks()
    descriptions = [o["description"]["text"] for o in lines["element"]["options"]]
    # People read the rate, never bexio's internal code (issue 15 §8).
    assert descriptions == ["VAT 7.7 % · account 3400", "VAT 8.1 % · account 3400"]
    assert "VAT 8.1 % on" in _texts(modal.view) and "VAT 7.7 % on" in _texts(modal.view)
    assert "UN81" not in _texts(modal.view) and "UN77" not in _texts(modal.view)
    await modal.submit()
    await modal.result()
    invoice = await _invoice_row(stack)
    draft = sandbox.state.tables["kb_invoice"][invoice.bexio_id]
    assert [p["tax_id"] for p in draft["positions"]] == [1, 14]
    assert Decimal(draft["total"]) == invoice.total


async def test_only_admins_and_billing_users_invoice(stack: Stack, company: SeededCompany) -> None:
    response = await InvoiceModal(stack, MIA).open()
    assert "Only admins and the people in the setting `billing_users`" in response.text
    assert stack.fake.calls_to("views.open") == []
    await stack.runtime.services.settings.set(stack.tenant_id, "billing_users", MIA, actor=ANDREA)
    response = await InvoiceModal(stack, MIA).open()
    assert response.text == ""
    assert len(stack.fake.calls_to("views.open")) == 1
    assert "+ New customer" not in _texts(stack.fake.modal())  # admins only
    response = await InvoiceModal(stack, NOAH).open()
    assert "Only admins" in response.text


async def test_new_customer_from_the_modal(stack: Stack, company: SeededCompany) -> None:
    modal = InvoiceModal(stack)
    await modal.open()
    parent = modal.view
    response = await stack.slack.block_action(
        ANDREA, invoice_modal.NEW_CUSTOMER_ACTION, value="new", block_id="invoice_new", view=parent
    )
    assert response.status == 200
    [pushed] = await stack.fake.wait_for("views.push")
    form = stack.fake.modal()
    assert form["callback_id"] == new_customer.CALLBACK_ID
    values = state_of(
        form,
        **{
            new_customer.NAME_BLOCK: text_value("Seeblick Hotel AG"),
            new_customer.EMAIL_BLOCK: text_value("not-an-address"),
            new_customer.PROJECT_BLOCK: text_value("Website"),
        },
    )
    response = await stack.slack.submit_view(ANDREA, form, values)
    assert response.json["response_action"] == "errors"
    assert new_customer.EMAIL_BLOCK in response.json["errors"]
    values[new_customer.EMAIL_BLOCK] = {"value": text_value("hotel@seeblick.example")}
    response = await stack.slack.submit_view(ANDREA, form, values)
    assert response.text == ""  # back to the invoice modal …
    updated = await stack.fake.wait_for(
        "views.update",
        lambda c: c.params.get("view_id") == parent["id"] and "Seeblick" in _texts(c.params["view"]),
    )
    assert "Seeblick Hotel AG" in _texts(updated[-1].params["view"])  # … with the new customer chosen
    async with stack.runtime.db.session(stack.tenant_id) as session:
        created = await session.scalar(select(Customer).where(Customer.name == "Seeblick Hotel AG"))
    assert created is not None and created.bexio_id is None and created.created_in_bxhours
    assert pushed.params["trigger_id"]


async def test_account_mapping_from_the_app_home(stack: Stack, company: SeededCompany) -> None:
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish")
    assert "Account mapping" in _texts(stack.fake.home[ANDREA])
    response = await stack.slack.block_action(
        ANDREA, account_mapping.OPEN_ACTION, value="open", view=stack.fake.home[ANDREA]
    )
    assert response.status == 200
    await stack.fake.wait_for("views.open")
    view = stack.fake.modal()
    block = account_mapping.block_id_for("activity", company.activities[4])
    row = next(b for b in view["blocks"] if b.get("block_id") == block)
    assert row["element"]["initial_option"]["text"]["text"] == "3400 Dienstleistungserlöse"
    response = await stack.slack.options(
        ANDREA, account_mapping.ACCOUNT_ACTION, "32", view=view, block_id=block
    )
    assert [o["text"]["text"] for o in response.json["options"]] == ["3200 Handelserlös"]
    response = await stack.slack.options(
        ANDREA, account_mapping.ACCOUNT_ACTION, "", view=view, block_id=block
    )
    labels = [o["text"]["text"] for o in response.json["options"]]
    assert "3400 Dienstleistungserlöse" in labels
    assert "3410 Beratungserlöse (aufgehoben)" not in labels  # inactive in bexio
    assert not any(label.startswith(("1", "2", "4", "5")) for label in labels)  # income accounts only
    chosen = option("101", "3200 Handelserlös")
    values = state_of(view, **{block: {"type": "external_select", "selected_option": chosen}})
    response = await stack.slack.submit_view(ANDREA, view, values)
    assert response.text == ""
    async with stack.runtime.db.session(stack.tenant_id) as session:
        activity = await session.get(Activity, company.activities[4])
        assert activity is not None and activity.mapped_account_id == 101 and activity.account_id == 101
    # A member cannot save a mapping.
    response = await stack.slack.submit_view(MIA, view, values)
    assert response.json["response_action"] == "errors"
