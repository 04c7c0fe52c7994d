"""The draft bexio receives tells the customer what was done and when (issue 15 §1–3, §10): the
header's service period, each line's dates and notes, a unit on every line, expenses explained
gross, texts within bexio's 1000 characters — and the timesheet report's totals are the draft's.

Everything is read from what the sandbox received (``POST /2.0/kb_invoice``) and from the PDF's
own text (pypdf), in the customer's language."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import update

from core.invoice_lines import Grouping
from core.money import format_money
from services.invoicing import InvoiceRefused, InvoiceRequest, Selection
from services.invoicing.report_pdf import UnknownInvoice
from storage.models import Customer, Language, Unit
from tests.invoicing_fixtures import ANDREA, InvoicingEnv, invoicing

__all__ = ["invoicing"]

HOURS_UNIT, PIECE_UNIT = 2, 1  # the sandbox's units: Stk (1), h (2), as a fresh bexio account has


def swiss(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def speaks(env: InvoicingEnv, customer_id: int, iso: str, bexio_id: int) -> None:
    async with env.db.session(env.tenant_id) as session:
        session.add(Language(bexio_id=bexio_id, name=iso, iso_639_1=iso, active=True))
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        customer.language_id = bexio_id


async def log_month(env: InvoicingEnv) -> tuple[date, date]:
    """Two days of work with notes and a train ticket on project 1 (customer of project 1)."""
    first, last = env.last_month
    second = first + timedelta(days=9)
    for day, minutes, note in (
        (second, 90, "Checkout-Fehler behoben"),
        (second, 30, "Review mit Kunde"),
        (last, 60, "Deployment"),
    ):
        await env.work.entry(
            user_id=env.user(1),
            project_id=env.project(1),
            activity_id=env.activity(4),
            day=day,
            minutes=minutes,
            note=note,
        )
    await env.work.expense(
        user_id=env.user(1),
        project_id=env.project(1),
        category_id=env.company.categories["Reisekosten"],
        day=last,
        amount=Decimal("1234.50"),
        note="Zug Bern–Zürich",
    )
    return second, last


async def create(env: InvoicingEnv, selection: Selection, **request: object) -> tuple[dict, int]:  # type: ignore[type-arg]
    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA, **request))  # type: ignore[arg-type]
    assert await env.settle(submitted.invoice_id) == "created"
    [post] = env.sandbox.state.calls_to("POST", "/2.0/kb_invoice")
    return post.json_body, submitted.invoice_id


async def test_a_german_draft_by_day_names_period_dates_notes_and_units(invoicing: InvoicingEnv) -> None:
    env = invoicing
    second, last = await log_month(env)
    customer = env.customer_of(1)
    await speaks(env, customer, "de", 1)
    body, invoice_id = await create(
        env,
        Selection(customer, period_to=last, grouping=Grouping.BY_DAY),
        intro="Guten Tag Frau Steiner",
    )

    assert (
        body["header"]
        == f"Leistungszeitraum: {swiss(second)} – {swiss(last)}<br/><br/>Guten Tag Frau Steiner"
    )
    month = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
             "Oktober", "November", "Dezember")[last.month - 1]  # fmt: skip
    assert body["title"] == f"Leistungen {month} {last.year}"
    texts = [p["text"] for p in body["positions"]]
    hours = [p for p in body["positions"] if p.get("unit_id") == HOURS_UNIT]
    assert [p["text"] for p in hours] == [
        f"{texts[0].split(' · ')[0]} · {texts[0].split(' · ')[1]} · {swiss(second)}: "
        "Checkout-Fehler behoben; Review mit Kunde",
        f"{texts[0].split(' · ')[0]} · {texts[0].split(' · ')[1]} · {swiss(last)}: Deployment",
    ]
    [expense] = [p for p in body["positions"] if p.get("unit_id") == PIECE_UNIT]
    assert expense["text"] == f"Reisekosten · {swiss(last)}: Zug Bern–Zürich (CHF 1'234.50 inkl. 8.1 % MWST)"
    assert Decimal(expense["unit_price"]) == Decimal("1142.00")  # 1234.50 / 1.081, the net the text explains
    assert all(p.get("unit_id") for p in body["positions"])  # every line has its unit
    [(outcome, person, _view)] = env.reporter.outcomes
    [draft] = env.drafts_for(outcome.uuid)
    assert {p["unit_name"] for p in draft["positions"]} == {"h", "Stk"}

    # The timesheet report DM'd with the draft: every entry and expense, the draft's totals.
    assert person == ANDREA and outcome.report is not None
    assert outcome.report.filename == f"Leistungsrapport-{draft['document_nr']}.pdf"
    text = pdf_text(outcome.report.content)
    total = Decimal(draft["total"])
    assert outcome.total == total
    assert f"Total {format_money(total)}" in text
    assert f"Netto {format_money(Decimal(draft['total_net']))}" in text
    for shown in ("Leistungsrapport", "Checkout-Fehler behoben", "Review mit Kunde", "Deployment",
                  "Zug Bern–Zürich", "1'234.50", swiss(second), "Andrea", "Leistungszeitraum"):  # fmt: skip
        assert shown in text, shown
    assert f"MWST 8.1 % auf {format_money(Decimal(draft['total_net']))}" in text

    # The same report again from its number (bexio's), as `bxhours invoice report` prints it.
    again = await env.service.report(env.tenant_id, draft["document_nr"])
    assert pdf_text(again.content) == text
    assert (await env.service.report_of(env.tenant_id, invoice_id)).filename == again.filename


async def test_a_french_draft_by_activity_over_two_months(invoicing: InvoicingEnv) -> None:
    env = invoicing
    first, last = env.last_month
    before = first - timedelta(days=3)
    for day in (before, last):
        await env.work.entry(
            user_id=env.user(1),
            project_id=env.project(1),
            activity_id=env.activity(4),
            day=day,
            minutes=60,
            note="ne figure pas par activité",
        )
    customer = env.customer_of(1)
    await speaks(env, customer, "fr", 2)
    body, _invoice = await create(env, Selection(customer, period_to=last))

    assert body["header"] == f"Période de prestation: {swiss(before)} – {swiss(last)}"
    span = f"{before:%d.%m.}–{swiss(last)}" if before.year == last.year else f"{swiss(before)}–{swiss(last)}"
    assert body["title"] == f"Prestations {span}"
    [line] = body["positions"]
    assert line["text"].endswith(f" · {swiss(before)} – {swiss(last)}")
    assert "ne figure pas" not in line["text"] and line["unit_id"] == HOURS_UNIT
    [(outcome, _person, _view)] = env.reporter.outcomes
    assert outcome.report is not None and outcome.report.filename.startswith("Rapport-de-prestations-")
    text = pdf_text(outcome.report.content)
    assert "Période de prestation" in text and "ne figure pas par activité" in text
    assert f"Total {format_money(Decimal(body and env.drafts_for(outcome.uuid)[0]['total']))}" in text


async def test_one_day_of_services_is_one_date_and_long_notes_fit_bexio(invoicing: InvoicingEnv) -> None:
    env = invoicing
    _first, last = env.last_month
    for note in ("<b>" + "x" * 700, "& " * 300):
        await env.work.entry(
            user_id=env.user(1),
            project_id=env.project(1),
            activity_id=env.activity(4),
            day=last,
            minutes=30,
            note=note,
        )
    customer = env.customer_of(1)
    body, _invoice = await create(env, Selection(customer, period_to=last, grouping=Grouping.BY_DAY))
    assert body["header"].startswith(f"Leistungszeitraum: {swiss(last)}")
    [line] = body["positions"]
    assert len(line["text"]) <= 1000 and line["text"].endswith("…")
    assert "&lt;b&gt;" in line["text"] and "<b>" not in line["text"]


async def test_the_sandbox_refuses_a_position_text_over_1000_characters(invoicing: InvoicingEnv) -> None:
    env = invoicing
    contact = next(iter(env.sandbox.state.tables["contact"]))
    position = {"type": "KbPositionCustom", "amount": "1", "unit_price": "10", "tax_id": 14, "unit_id": 2}
    async with httpx.AsyncClient(
        base_url=env.sandbox.url,
        headers={"Authorization": f"Bearer {env.sandbox.token}", "Accept": "application/json"},
    ) as http:
        body = {"contact_id": contact, "user_id": 1, "positions": [{**position, "text": "x" * 1001}]}
        refused = await http.post("/2.0/kb_invoice", json=body)
        assert refused.status_code == 422
        assert "positions: 0 [text [" in refused.text
        body["positions"] = [{**position, "text": "x" * 1000}]
        created = await http.post("/2.0/kb_invoice", json=body)
        assert created.status_code == 201
        assert created.json()["positions"][0]["unit_id"] == 2


async def test_a_missing_unit_is_a_problem_the_preview_names(invoicing: InvoicingEnv) -> None:
    env = invoicing
    await log_month(env)
    async with env.db.session(env.tenant_id) as session:
        await session.execute(update(Unit).where(Unit.name == "Stk").values(active=False))
    selection = Selection(env.customer_of(1), period_to=env.last_month[1])
    preview = await env.service.preview(env.tenant_id, selection)
    assert preview is not None
    problems = await env.service.problems(env.tenant_id, preview)
    assert problems == (
        "bexio has no piece unit (Stk) for expenses and fixed prices: add it in bexio, then import "
        "again with /bx-sync — every line needs its unit.",
    )
    with pytest.raises(InvoiceRefused) as refused:
        await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert problems[0] in refused.value.message


async def test_an_unknown_number_has_no_report(invoicing: InvoicingEnv) -> None:
    with pytest.raises(UnknownInvoice, match="RE-99999"):
        await invoicing.service.report(invoicing.tenant_id, "RE-99999")
