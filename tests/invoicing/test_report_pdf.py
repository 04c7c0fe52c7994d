"""The timesheet report's PDF on its own: pages break under a repeated header, long notes wrap
instead of being cut, labels and totals in the report's language (issue 15 §3)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from core.invoice_totals import VatLine
from services.invoicing.report_pdf import ReportEntry, ReportExpense, TimesheetReport, render_pdf
from services.invoicing.reporting import DraftOutcome

NOTE = "Schnittstelle zum ERP angepasst und mit der Buchhaltung getestet; Rückfragen geklärt."


def report(language: str, entries: int) -> TimesheetReport:
    outcome = DraftOutcome(
        invoice_id=1,
        uuid="u",
        customer="Steiner AG",
        title="Leistungen November 2026",
        created=True,
        bexio_id=3,
        document_nr="RE-00042",
        url="https://office.bexio.com/index.php/kb_invoice/show/id/3",
        currency="CHF",
        total_net=Decimal("1642.00"),
        total_vat=Decimal("133.00"),
        vat=(VatLine("UN81", Decimal("8.1"), Decimal("1642.00"), Decimal("133.00")),),
        rounding=Decimal("0.00"),
        total=Decimal("1775.00"),
        bexio_total=Decimal("1775.00"),
        lines=(),
    )
    rows = tuple(
        ReportEntry(
            day=date(2026, 11, 1) + timedelta(days=i % 30),
            person="Mia Schmid",
            project="Website Relaunch",
            activity="Umsetzung",
            note=" ".join([NOTE] * (1 + i % 3)),
            hours=Decimal("1.25"),
            rate=Decimal("140.00"),
            amount=Decimal("175.00"),
        )
        for i in range(entries)
    )
    expense = ReportExpense(
        date(2026, 11, 30), "Mia Schmid", "Website Relaunch", "Material", "Kabel", Decimal("84.50")
    )
    return TimesheetReport(
        outcome, "RE-00042", language, (date(2026, 11, 1), date(2026, 11, 30)), rows, (expense,)
    )


def pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_long_report_breaks_pages_under_its_header_and_keeps_every_note() -> None:
    shown = pages(render_pdf(report("de", 120)))
    assert len(shown) > 3
    assert all("Datum" in page and "Notiz" in page for page in shown[:-1])  # the header on each page
    text = "\n".join(shown)
    assert text.count("Rückfragen geklärt.") == sum(1 + i % 3 for i in range(120))
    assert "Total Stunden" in text and "150.00" in text  # 120 × 1.25 h
    assert "Summen des Rechnungsentwurfs" in shown[-1] and "Total CHF 1'775.00" in shown[-1]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Timesheet report RE-00042", "Service period: 01.11.2026 – 30.11.2026", "VAT 8.1 % on")),
        ("de", ("Leistungsrapport RE-00042", "Leistungszeitraum: 01.11.2026 – 30.11.2026", "MWST 8.1 % auf")),
        ("fr", ("Rapport de prestations RE-00042", "Période de prestation: 01.11.2026", "TVA 8.1 % sur")),
        ("it", ("Rapporto delle prestazioni RE-00042", "Periodo di prestazione: 01.11.2026", "IVA 8.1 % su")),
    ],
)
def test_the_report_speaks_the_customers_language(language: str, words: tuple[str, ...]) -> None:
    text = "\n".join(pages(render_pdf(report(language, 3))))
    for word in words:
        assert word in text, word
    assert report(language, 1).filename.endswith("-RE-00042.pdf")
