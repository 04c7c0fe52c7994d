"""`/bx-sync`, the import messages and the `/invoice` modal in German, French and Italian (issue 14
§1, §6): every surface renders translated, no English-only word leaks into the German screens, and
the strict Block Kit checks of the fake Slack hold in every language (German is longer)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.views import bx_sync, invoice_modal
from bxhours.fakes import block_kit as bk
from core.i18n import language_scope
from core.invoice_lines import Grouping, InvoiceLine, LineBuild, LineKind
from core.invoice_totals import VatLine, compute_totals
from core.taxes import Tax
from services.importing.people import LinkResult
from services.importing.runs import Started
from services.importing.status import ConnectionView, ParkedJob, RunView, SyncStatus
from services.importing.summary import (
    ImportProgress,
    ImportSummary,
    ResourceChanges,
    SkippedRecord,
    UnmatchedPerson,
    skipped_lines,
)
from services.invoicing import DraftOutcome, Numbering, Selection
from services.invoicing.preview import Currency, CustomerRef, Preview, ProjectChoice
from storage.jobs import JobCounts

LANGUAGES = ("de", "fr", "it")
KNOWN = {
    "de": ("Abgleich mit bexio", "Rechnung", "MWST 8.1 %", "Verrechenbare Leistungen", "Entwurf"),
    "fr": ("Importation depuis bexio", "Facture", "TVA 8.1 %", "Prestations facturables", "Brouillon"),
    "it": ("Importazione da bexio", "Fattura", "IVA 8.1 %", "Prestazioni fatturabili", "Bozza"),
}
ENGLISH_ONLY = (
    "Invoice",
    "Customer",
    "Import",
    "could not be read",
    "VAT",
    "Billable services",
    "draft",
    "Draft",
    "Preview",
    "finished",
    "Options",
    "Lines",
    "Services",
    "Sync now",
    "Retry",
    "connected",
)
NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def _summary() -> ImportSummary:
    return ImportSummary(
        company_name="Muster AG",
        resources={
            "customers": ResourceChanges(created=3, updated=1, total=40),
            "projects": ResourceChanges(total=12),
        },
        customer_rule="all",
        customer_rule_reason="—",
        unmatched=[UnmatchedPerson("Mia Keller", "mia@example.ch")],
        seconds=12.5,
        bexio_calls=31,
        skipped=[
            SkippedRecord("customers", 17, "postcode"),
            SkippedRecord("timesheets", None, "date"),
            SkippedRecord("timesheets", 5, "date"),
        ],
    )


def _status() -> SyncStatus:
    done = RunView(1, "done", "U1", NOW, NOW, NOW, None, None, _summary())
    connection = ConnectionView("connected", None, "Muster AG", "pat", NOW, True, done, "Europe/Zurich")
    parked = [ParkedJob(7, "import.full", "boom", 5, NOW), ParkedJob(8, "import.full", None, 1, None)]
    return SyncStatus(connection, JobCounts(queued=1, failed=2), parked)


def _line(key: str, text: str, amount: str) -> InvoiceLine:
    tax = Tax(1, "UN81", Decimal("8.1"), None, None, None, None, True, "sales_tax")
    return InvoiceLine(
        key, LineKind.HOURS, text, Decimal("2.5"), "h", Decimal("150"), Decimal(amount), tax, 7, (1,), (), 150
    )


def _preview(lines: int = 3) -> Preview:
    built = tuple(_line(f"h:{i}", f"Umsetzung {i}", "375.00") for i in range(lines))
    totals = compute_totals(built, Decimal("0.05"))
    return Preview(
        selection=Selection(1, None, None, date(2026, 11, 30), Grouping.BY_DAY),
        customer=CustomerRef(1, "Alpen Bau AG", "000012", 12, True),
        build=LineBuild(built, ()),
        ticked=frozenset(line.key for line in built[:-1]),
        totals=totals,
        currency=Currency("CHF", Decimal("0.05")),
        projects=(ProjectChoice(3, "Website Relaunch", "42"),),
        held={},
    )


def _modal(preview: Preview | None, *, use_bexio: bool | None = None) -> dict[str, Any]:
    state = invoice_modal.ModalState(customer_id=1 if preview else None, use_bexio=use_bexio)
    return invoice_modal.build(
        invoice_modal.ModalData(
            state=state,
            today=date(2026, 12, 4),
            numbering=Numbering(True, True, "2026-001"),
            preview=preview,
            accounts={7: "3400"},
            unbilled=(2, Decimal("4500")) if preview is None else None,
            can_add_customer=True,
        )
    )


def _outcome(**changes: object) -> DraftOutcome:
    fields: dict[str, object] = {
        "invoice_id": 1,
        "uuid": "u",
        "customer": "Alpen Bau AG (000012)",
        "title": "Leistungen November 2026",
        "created": True,
        "bexio_id": 42,
        "document_nr": "RE-00042",
        "url": "https://office.bexio.com/index.php/kb_invoice/show/id/42",
        "currency": "CHF",
        "total_net": Decimal("1875.00"),
        "total_vat": Decimal("151.88"),
        "vat": (VatLine("UN81", Decimal("8.1"), Decimal("1875.00"), Decimal("151.88")),),
        "rounding": Decimal("0.02"),
        "total": Decimal("2026.90"),
        "bexio_total": Decimal("2026.85"),
        "lines": (),
    }
    fields.update(changes)
    return DraftOutcome(**fields)  # type: ignore[arg-type]


def _views() -> list[dict[str, Any]]:
    refused = _outcome(created=False, document_nr=None, url=None, errors=("nope",), hint="Fix it.")
    return [
        invoice_modal.loading_view(),
        _modal(None),
        _modal(_preview()),
        _modal(_preview(), use_bexio=False),
        _modal(_preview(12)),
        invoice_modal.progress_view("waiting"),
        invoice_modal.result_view(_outcome()),
        invoice_modal.result_view(refused),
    ]


def _messages() -> list[dict[str, Any]]:
    messages = bx_sync.SlackImportMessages()
    progress = ImportProgress("Customers", 4, 13, {"users": 5, "customers": 20}, 3.2)
    shown = [
        messages.started(),
        messages.progress(progress),
        messages.finished(_summary()),
        messages.failed("x"),
    ]
    status = _status()
    return [
        *({"text": text, "blocks": blocks} for text, blocks in shown),
        {"text": bx_sync.status_text(status), "blocks": bx_sync.status_blocks(status, is_admin=True)},
        {"text": "footer", "blocks": bx_sync.connection_footer(status.connection, is_admin=True)},
    ]


def _texts() -> list[str]:
    running = RunView(2, "running", "cli", NOW, NOW, None, "Customers", None, None)
    return [
        bx_sync.requested(Started(1, 1), "Europe/Zurich"),
        bx_sync.already_running(running, "Europe/Zurich"),
        bx_sync.run_line(running, "Europe/Zurich"),
        bx_sync.linked(LinkResult("U1", "Mia Keller", "mia@example.ch", "Luca Rossi")),
        *skipped_lines(_summary().skipped),
        invoice_modal.dm_text(_outcome()),
        invoice_modal.preview_text(_preview()),
    ]


def _everything() -> str:
    return json.dumps([_views(), _messages(), _texts()], ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sync_and_invoice_surfaces_speak_the_language(language: str) -> None:
    with language_scope(language):
        shown = _everything()
    for phrase in KNOWN[language]:
        assert phrase in shown, f"{phrase!r} missing in {language}"


def test_no_english_word_leaks_into_the_german_screens() -> None:
    with language_scope("de"):
        shown = _everything()
    leaked = [word for word in ENGLISH_ONLY if word in shown]
    assert not leaked, f"English in German screens: {leaked}"


def test_english_stays_as_it_was() -> None:
    shown = _everything()
    assert "*Total: CHF" in shown and "VAT 8.1 % on" in shown and "Import from bexio finished" in shown
    assert "1 customer could not be read: id 17 — postcode" in shown


@pytest.mark.parametrize("language", [*LANGUAGES, "en"])
def test_block_kit_holds_in_every_language(language: str) -> None:
    with language_scope(language):
        views = _views()
        messages = _messages()
        groups = invoice_modal.customer_option_groups([])
    for index, view in enumerate(views):
        assert bk.view_problems(view, where=f"/view{index}") == []
        assert len(view["title"]["text"]) <= 24
    for index, message in enumerate(messages):
        assert bk.message_problems(message, where=f"/message{index}") == []
    assert bk.options_problems({"option_groups": groups} if groups else {"options": []}) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_skipped_records_are_counted_in_the_language(language: str) -> None:
    expected = {
        "de": "1 Kunde konnte nicht gelesen werden: ID 17 — postcode",
        "fr": "1 client n’a pas pu être lu : ID 17 — postcode",
        "it": "1 cliente non è stato letto: ID 17 — postcode",
    }
    with language_scope(language):
        lines = skipped_lines(_summary().skipped)
    assert lines[0] == expected[language]
