"""The push job against the sandbox: one draft exactly as previewed, bexio's answer stored, a
definite refusal releasing everything, customers created in bexio once, fixed prices billed once."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.invoice_lines import Grouping, LineKind
from services.invoicing import InvoiceRequest, Selection
from storage.models import Customer, Expense, TimeEntry
from tests.invoicing_fixtures import ANDREA, MIA, InvoicingEnv, invoicing

__all__ = ["invoicing"]


async def _log(
    env: InvoicingEnv, project_bexio_id: int, *days_minutes: tuple[date, int], activity: int = 4
) -> list[int]:
    return [
        await env.work.entry(
            user_id=env.user(1),
            project_id=env.project(project_bexio_id),
            activity_id=env.activity(activity),
            day=day,
            minutes=minutes,
        )
        for day, minutes in days_minutes
    ]


async def _entries(env: InvoicingEnv, ids: list[int]) -> list[TimeEntry]:
    async with env.db.session(env.tenant_id) as session:
        return list(
            await session.scalars(select(TimeEntry).where(TimeEntry.id.in_(ids)).order_by(TimeEntry.id))
        )


async def test_draft_matches_the_preview_and_bills_the_entries(invoicing: InvoicingEnv) -> None:
    env = invoicing
    first, last = env.last_month
    ids = await _log(env, 1, (first, 150), (last, 45))
    selection = Selection(env.customer_of(1), period_to=last)
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None
    assert [line.kind for line in preview.lines] == [LineKind.HOURS]
    assert preview.lines[0].quantity == Decimal("3.25")

    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert [e.status for e in await _entries(env, ids)] == ["reserved", "reserved"]
    assert await env.settle(submitted.invoice_id) == "created"

    invoice = await env.invoice(submitted.invoice_id)
    [draft] = env.drafts_for(submitted.uuid)
    assert invoice.bexio_id == draft["id"]
    assert invoice.document_nr == draft["document_nr"]
    assert invoice.bexio_status_id == 7
    assert Decimal(draft["total"]) == invoice.total == invoice.bexio_total == preview.totals.total
    assert draft["mwst_type"] == 0 and draft["mwst_is_net"] is True
    [position] = draft["positions"]
    assert position["unit_id"] == 2 and position["account_id"] == 121 and position["tax_id"] == 14
    [post] = env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    assert "document_nr" not in post.json_body
    assert post.json_body["user_id"] == 1
    assert [(e.status, e.invoice_id) for e in await _entries(env, ids)] == [("billed", invoice.id)] * 2
    [(outcome, person, _view)] = env.reporter.outcomes
    assert outcome.created and outcome.document_nr == draft["document_nr"] and person == ANDREA
    assert outcome.url == f"https://office.bexio.com/index.php/kb_invoice/show/id/{draft['id']}"
    # The same selection now has nothing left to invoice.
    again = await env.service.preview(env.tenant_id, selection)
    assert again is not None and again.lines == ()


async def test_a_job_that_runs_again_changes_nothing(invoicing: InvoicingEnv) -> None:
    env = invoicing
    first, last = env.last_month
    await _log(env, 1, (first, 60))
    submitted = await env.service.submit(
        env.tenant_id, InvoiceRequest(Selection(env.customer_of(1), period_to=last), actor=ANDREA)
    )
    await env.settle(submitted.invoice_id)
    outcome, changed = await env.service.pusher.push(env.tenant_id, submitted.invoice_id)
    assert outcome.created and not changed
    assert len(env.drafts_for(submitted.uuid)) == 1
    assert len(env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")) == 1


async def test_bexio_refusal_fails_the_invoice_verbatim_and_releases_everything(
    invoicing: InvoicingEnv,
) -> None:
    env = invoicing
    first, last = env.last_month
    ids = await _log(env, 1, (first, 90))
    expense = await env.work.expense(
        user_id=env.user(1),
        project_id=env.project(1),
        category_id=env.company.categories["Reisekosten"],
        day=first,
        amount=Decimal("84.50"),
    )
    # bexio no longer accepts account 3400 (deactivated there since the last import).
    env.sandbox.state.tables["account"][121] = {
        **env.sandbox.state.tables["account"][121],
        "is_active": False,
    }
    selection = Selection(env.customer_of(1), period_to=last)
    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert await env.settle(submitted.invoice_id) == "failed"

    invoice = await env.invoice(submitted.invoice_id)
    assert "positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]" in (invoice.error or "")
    assert env.drafts_for(submitted.uuid) == []
    assert [(e.status, e.invoice_id) for e in await _entries(env, ids)] == [("open", None)]
    async with env.db.session(env.tenant_id) as session:
        row = await session.get(Expense, expense)
        assert row is not None and (row.status, row.invoice_id) == ("open", None)
    [(outcome, _person, _view)] = env.reporter.outcomes
    assert not outcome.created
    assert "positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]" in outcome.errors
    assert outcome.hint is not None and "Account mapping" in outcome.hint
    # Fixed in bexio, the same work can be invoiced again.
    env.sandbox.state.tables["account"][121] = {**env.sandbox.state.tables["account"][121], "is_active": True}
    retry = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert await env.settle(retry.invoice_id) == "created"


async def test_own_numbers_are_sent_consumed_by_drafts_only_and_never_repeat(invoicing: InvoicingEnv) -> None:
    env = invoicing
    env.sandbox.state.invoice_setting()["use_automatic_enumeration"] = False
    async with env.db.session(env.tenant_id) as session:
        from storage.models import DocumentSetting

        setting = await session.scalar(
            select(DocumentSetting).where(DocumentSetting.kb_item_class == "KbInvoice")
        )
        assert setting is not None
        setting.use_automatic_enumeration = False
    first, last = env.last_month
    year = env.today.year

    async def invoice_one(project: int) -> tuple[str, int]:
        await _log(env, project, (first, 60))
        submitted = await env.service.submit(
            env.tenant_id,
            InvoiceRequest(
                Selection(env.customer_of(project), project_id=env.project(project), period_to=last),
                actor=ANDREA,
                use_bexio_numbering=False,
            ),
        )
        return await env.settle(submitted.invoice_id), submitted.invoice_id

    status, first_id = await invoice_one(1)
    assert status == "created"
    assert (await env.invoice(first_id)).document_nr == f"RE-{year}-0001"
    env.sandbox.state.faults.script("POST /2.0/kb_invoice", [422])
    status, refused_id = await invoice_one(2)
    assert status == "failed"
    assert (await env.invoice(refused_id)).own_number is None  # the refused draft gave its number back
    status, third_id = await invoice_one(3)
    assert status == "created"
    assert (await env.invoice(third_id)).document_nr == f"RE-{year}-0002"
    sent = [
        call.json_body.get("document_nr") for call in env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    ]
    assert sent == [f"RE-{year}-0001", f"RE-{year}-0002", f"RE-{year}-0002"]


async def test_new_customer_becomes_one_bexio_contact_even_when_invoiced_twice_at_once(
    invoicing: InvoicingEnv,
) -> None:
    env = invoicing
    first, last = env.last_month
    for day in (first, last):
        await env.work.entry(
            user_id=env.user(2),
            project_id=env.company.new_project_id,
            activity_id=env.activity(4),
            day=day,
            minutes=120,
        )
    customer = env.company.new_customer_id
    contacts_before = len(env.sandbox.state.tables["contact"])
    submitted = [
        await env.service.submit(
            env.tenant_id,
            InvoiceRequest(Selection(customer, period_from=day, period_to=day), actor=MIA),
        )
        for day in (first, last)
    ]
    env.worker.concurrency = 2
    await asyncio.gather(*(env.settle(s.invoice_id) for s in submitted))
    assert len(env.sandbox.state.tables["contact"]) == contacts_before + 1
    [post] = env.sandbox.state.calls_to("POST", "/2.0/contact")
    body = post.json_body
    assert body["name_1"] == "Bergblick Gastro GmbH" and body["contact_type_id"] == 1
    assert body["user_id"] == body["owner_id"] == 2  # Mia invoiced: her bexio user owns the contact
    assert body["contact_group_ids"] == "6"  # tagged "Kunden"
    assert body["mail"] == "info@bergblick-gastro.example"
    contact_id = max(env.sandbox.state.tables["contact"])
    for s in submitted:
        [draft] = env.drafts_for(s.uuid)
        assert draft["contact_id"] == contact_id
    async with env.db.session(env.tenant_id) as session:
        row = await session.get(Customer, customer)
        assert row is not None and row.bexio_id == contact_id


async def test_existing_bexio_contact_is_linked_instead_of_created(invoicing: InvoicingEnv) -> None:
    env = invoicing
    contacts = env.sandbox.state.tables["contact"]
    existing = contacts[2]
    contacts[2] = {**existing, "name_1": "Bergblick Gastro GmbH"}
    first, last = env.last_month
    await env.work.entry(
        user_id=env.user(1),
        project_id=env.company.new_project_id,
        activity_id=env.activity(4),
        day=first,
        minutes=30,
    )
    submitted = await env.service.submit(
        env.tenant_id, InvoiceRequest(Selection(env.company.new_customer_id, period_to=last), actor=ANDREA)
    )
    assert await env.settle(submitted.invoice_id) == "created"
    assert env.sandbox.state.calls_to("POST", "/2.0/contact") == []
    [draft] = env.drafts_for(submitted.uuid)
    assert draft["contact_id"] == 2


async def test_fixed_price_is_billed_once_and_hours_listed_as_text(invoicing: InvoicingEnv) -> None:
    env = invoicing
    first, last = env.last_month
    fixed_project = 4  # bexio invoice type 4
    amount = Decimal(env.sandbox.state.tables["pr_project"][fixed_project]["pr_invoice_type_amount"])
    await _log(env, fixed_project, (first, 240), (last, 60))
    selection = Selection(
        env.customer_of(fixed_project), project_id=env.project(fixed_project), period_to=last
    )
    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert await env.settle(submitted.invoice_id) == "created"
    [draft] = env.drafts_for(submitted.uuid)
    kinds = [p["type"] for p in draft["positions"]]
    assert kinds == ["KbPositionCustom", "KbPositionText"]
    assert Decimal(draft["total_net"]) == amount

    await _log(env, fixed_project, (last, 30))
    later = await env.service.preview(env.tenant_id, selection)
    assert later is not None
    assert [line.kind for line in later.lines] == [LineKind.TEXT]
    assert later.totals.total == 0


async def test_vat_change_splits_lines_and_bexio_agrees(invoicing: InvoicingEnv) -> None:
    env = invoicing
    await _log(env, 1, (date(2023, 12, 28), 120), (date(2024, 1, 8), 90))
    selection = Selection(
        env.customer_of(1),
        project_id=env.project(1),
        period_from=date(2023, 12, 1),
        period_to=date(2024, 1, 31),
    )
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None
    assert [line.tax.code for line in preview.lines if line.tax] == ["UN77", "UN81"]
    assert [v.code for v in preview.totals.vat] == ["UN81", "UN77"]
    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert await env.settle(submitted.invoice_id) == "created"
    [draft] = env.drafts_for(submitted.uuid)
    assert [p["tax_id"] for p in draft["positions"]] == [1, 14]
    assert Decimal(draft["total"]) == preview.totals.total


async def test_uncertain_answers_are_reported_as_waiting_and_retried_without_a_second_draft(
    invoicing: InvoicingEnv,
) -> None:
    env = invoicing
    first, last = env.last_month
    await _log(env, 1, (first, 60))
    env.sandbox.state.faults.script("POST /2.0/kb_invoice", ["partial", 503])
    submitted = await env.service.submit(
        env.tenant_id, InvoiceRequest(Selection(env.customer_of(1), period_to=last), actor=ANDREA)
    )
    assert await env.settle(submitted.invoice_id) == "created"
    assert len(env.drafts_for(submitted.uuid)) == 1
    assert [invoice for invoice, _reason in env.reporter.delays] == [submitted.invoice_id]
    assert "never twice" in env.reporter.delays[0][1]
    assert len(env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")) == 1  # the second attempt found it


async def test_markup_people_typed_reaches_bexio_as_text(invoicing: InvoicingEnv) -> None:
    """Issue 12 §6: notes, intro and title go into bexio documents escaped or stripped, never as markup."""
    env = invoicing
    first, last = env.last_month
    note = '<a href="https://evil.example">pay here</a> <script>alert(1)</script>'
    await env.work.entry(
        user_id=env.user(1),
        project_id=env.project(1),
        activity_id=env.activity(4),
        day=first,
        minutes=60,
        note=note,
    )
    selection = Selection(env.customer_of(1), period_to=last, grouping=Grouping.PER_ENTRY)
    request = InvoiceRequest(
        selection,
        actor=ANDREA,
        title="<b>Leistungen</b> <img src=x onerror=alert(1)>",
        intro="Hallo <i>Team</i>",
    )
    submitted = await env.service.submit(env.tenant_id, request)
    assert await env.settle(submitted.invoice_id) == "created"
    [post] = env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    body = post.json_body
    texts = " ".join(position["text"] for position in body["positions"])
    assert "<a " not in texts and "<script>" not in texts
    assert '&lt;a href="https://evil.example"&gt;pay here&lt;/a&gt;' in texts
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts
    assert body["title"] == "Leistungen"
    assert body["header"].endswith("<br/><br/>Hallo &lt;i&gt;Team&lt;/i&gt;")


async def test_the_draft_title_is_in_the_customers_language(invoicing: InvoicingEnv) -> None:
    """Issue 14 §5: a French-speaking customer's draft says "Prestations …", whoever creates it."""
    from storage.models import Language

    env = invoicing
    first, last = env.last_month
    await _log(env, 1, (first, 60))
    customer_id = env.customer_of(1)
    async with env.db.session(env.tenant_id) as session:
        session.add(Language(bexio_id=2, name="Français", iso_639_1="fr", active=True))
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        customer.language_id = 2
    submitted = await env.service.submit(
        env.tenant_id, InvoiceRequest(Selection(customer_id, period_to=last), actor=ANDREA)
    )
    assert await env.settle(submitted.invoice_id) == "created"
    [draft] = env.drafts_for(submitted.uuid)
    months = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    assert draft["title"] == f"Prestations {months[last.month - 1]} {last.year}"
