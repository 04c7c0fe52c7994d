"""The timesheet report (Leistungsrapport) of a draft (issue 15 §3): a PDF listing every entry
(date, person, project, activity, note, hours, rate, amount) and every expense the draft bills,
with the draft's own totals, in the customer's language.

The totals are not added up from the entries: they are the draft's (``load_outcome``, the same
rules as the preview bexio's total was checked against), so the report and the invoice always
show the same net, VAT and total — an entry's amount is its rounded hours × its rate, and a line
rounds its summed hours once, so entry amounts need not add up to a line to the Rappen.

Made with fpdf2 and DejaVu Sans (shipped with matplotlib, a dependency already): a Unicode font,
so notes in any language — and the "–" of a period — print as typed. Loading (``load_report``)
and drawing (``render_pdf``) are apart: drawing is pure and runs in a thread, a large report
takes a moment of CPU the event loop should not wait for.

The report is not attached to the draft in bexio: bexio's API has a file manager (``/3.0/files``:
upload, list, search, download, preview, the documents a file is used by; scope ``file``) and
purchase documents that take ``attachment_ids``, but no documented field or route that attaches
a file to a sales invoice (``kb_invoice``'s create and edit forms have none). So the biller gets
the report in Slack, and ``bxhours invoice report`` prints it again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.durations import hours_decimal
from core.errors import DomainError
from core.i18n import N_, in_language
from core.invoice_lines import format_rate, swiss_date
from core.invoice_totals import service_period_text
from core.money import format_amount, format_money, quantize_money
from core.rates import InvoiceType
from services.invoicing.document_language import document_language
from services.invoicing.preview import time_rounding_of
from services.invoicing.push import load_outcome
from services.invoicing.reporting import DraftOutcome, ReportFile
from services.settings import TenantSettings
from storage.models import Activity, Expense, ExpenseCategory, Invoice, Project, TimeEntry, User

PDF_MIME = "application/pdf"
_FONT = "DejaVu"
_MAX_CELL_LINES = 36

# What the report says, in the customer's language (``TimesheetReport.say``).
_ACTIVITY = N_("Activity")
_AMOUNT = N_("Amount")
_CATEGORY = N_("Category")
_CUSTOMER = N_("Customer")
_DATE = N_("Date")
_EXPENSES = N_("Expenses")
_HOURS = N_("Hours")
_INVOICE = N_("Invoice")
_NET = N_("Net")
_NOTE = N_("Note")
_PERSON = N_("Person")
_PROJECT = N_("Project")
_RATE = N_("Rate")
_RECEIPT_INCL_VAT = N_("Receipt (incl. VAT)")
_ROUNDING = N_("Rounding")
_TIMESHEET_REPORT = N_("Timesheet report")
_TOTAL = N_("Total")
_TOTALS_OF_THE_DRAFT = N_("Totals of the draft")
_TOTAL_HOURS = N_("Total hours")
_VAT_RATE_ON_BASE = N_("VAT {rate} % on {base}")


class UnknownInvoice(DomainError):
    """No invoice has this number (bexio's document number or bxhours' own)."""


@dataclass(frozen=True, slots=True)
class ReportEntry:
    day: date
    person: str
    project: str
    activity: str
    note: str
    hours: Decimal
    """The entry's minutes after the workspace's time rounding, in hours (as the draft bills them)."""
    rate: Decimal | None
    """None: billed at a fixed price, or without a rate."""
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class ReportExpense:
    day: date
    person: str
    project: str
    category: str
    note: str
    gross: Decimal
    """What the receipt says, VAT included (the draft bills it net)."""


@dataclass(frozen=True)
class TimesheetReport:
    outcome: DraftOutcome
    """The draft: its number, customer, title, link and totals."""
    number: str
    language: str
    period: tuple[date, date] | None
    entries: tuple[ReportEntry, ...]
    expenses: tuple[ReportExpense, ...]

    @property
    def hours(self) -> Decimal:
        return sum((e.hours for e in self.entries), Decimal("0.00"))

    @property
    def filename(self) -> str:
        """`Leistungsrapport-RE-00042.pdf`: the report's name in its language, then the number."""
        name = f"{self.say(_TIMESHEET_REPORT)}-{self.number}"
        return re.sub(r"[^\w.-]+", "-", name, flags=re.ASCII).strip("-") + ".pdf"

    @property
    def title(self) -> str:
        return f"{self.say(_TIMESHEET_REPORT)} {self.number}"

    def say(self, message: str, /, **params: object) -> str:
        return in_language(self.language, message, **params)


# --- loading -----------------------------------------------------------------------------------


async def find_invoice(session: AsyncSession, number: str) -> int:
    """The invoice with this bexio document number or bxhours' own number (a created draft before
    a failed attempt with the same own number; the latest when several match)."""
    wanted = number.strip()
    rows = (
        await session.execute(
            select(Invoice.id, Invoice.status)
            .where(or_(Invoice.document_nr == wanted, Invoice.own_number == wanted))
            .order_by(Invoice.id.desc())
        )
    ).all()
    if not rows:
        raise UnknownInvoice(
            f"no invoice has the number {wanted!r} — give bexio's document number (e.g. RE-00042) "
            "or bxhours' own number of a draft bxhours created"
        )
    created = [row.id for row in rows if row.status == "created"]
    return int(created[0] if created else rows[0].id)


async def load_report(session: AsyncSession, settings: TenantSettings, invoice_id: int) -> TimesheetReport:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise UnknownInvoice(f"invoice {invoice_id} does not exist")
    outcome = await load_outcome(session, invoice_id)
    language = invoice.language or await document_language(session, settings, invoice.customer_id)
    rounding = time_rounding_of(settings)
    people = {row.id: _person(row) for row in await session.scalars(select(User))}
    entry_rows = await session.execute(
        select(TimeEntry, Project.name, Project.invoice_type, Activity.name)
        .join(Project, Project.id == TimeEntry.project_id)
        .join(Activity, Activity.id == TimeEntry.activity_id)
        .where(TimeEntry.invoice_id == invoice_id)
        .order_by(TimeEntry.day, Project.name, TimeEntry.id)
    )
    entries: list[ReportEntry] = []
    for entry, project, invoice_type, activity in entry_rows.all():
        hours = hours_decimal(rounding.apply(entry.minutes))
        fixed = invoice_type == InvoiceType.FIXED_PRICE.value
        rate = None if fixed or entry.rate is None or entry.rate <= 0 else quantize_money(entry.rate)
        entries.append(
            ReportEntry(
                day=entry.day,
                person=people.get(entry.user_id or 0, ""),
                project=project,
                activity=activity,
                note=" ".join(entry.note.split()),
                hours=hours,
                rate=rate,
                amount=quantize_money(hours * rate) if rate is not None else None,
            )
        )
    expense_rows = await session.execute(
        select(Expense, Project.name, ExpenseCategory.name)
        .outerjoin(Project, Project.id == Expense.project_id)
        .join(ExpenseCategory, ExpenseCategory.id == Expense.category_id)
        .where(Expense.invoice_id == invoice_id)
        .order_by(Expense.day, Expense.id)
    )
    expenses = [
        ReportExpense(
            day=expense.day,
            person=people.get(expense.user_id or 0, ""),
            project=project or "",
            category=category,
            note=" ".join(expense.note.split()),
            gross=expense.amount,
        )
        for expense, project, category in expense_rows.all()
    ]
    period = None
    if invoice.service_from is not None and invoice.service_to is not None:
        period = (invoice.service_from, invoice.service_to)
    elif entries or expenses:
        days = [e.day for e in entries] + [x.day for x in expenses]
        period = (min(days), max(days))
    number = outcome.document_nr or invoice.own_number or str(invoice.id)
    return TimesheetReport(outcome, number, language, period, tuple(entries), tuple(expenses))


def _person(user: User) -> str:
    return user.display_name


# --- drawing -----------------------------------------------------------------------------------


def report_file(report: TimesheetReport) -> ReportFile:
    return ReportFile(report.filename, report.title, render_pdf(report))


def render_pdf(report: TimesheetReport) -> bytes:
    """The report as PDF bytes: A4 landscape, a header, the entries, the expenses, the totals."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(12, 12, 12)
    _add_fonts(pdf)
    pdf.set_title(report.title)
    pdf.set_creator("bxhours")
    pdf.add_page()
    outcome = report.outcome
    currency = outcome.currency
    say = report.say

    pdf.set_font(_FONT, "B", 16)
    pdf.cell(0, 9, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)
    facts = [
        f"{say(_CUSTOMER)}: {outcome.customer}",
        f"{say(_INVOICE)}: {report.number} · {outcome.title}",
    ]
    if report.period is not None:
        facts.append(service_period_text(*report.period, report.language))
    for fact in facts:
        pdf.cell(0, 5.5, fact, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    if report.entries:
        _section(pdf, say(_HOURS))
        table = _Table(pdf, (20, 32, 40, 32, 79, 22, 22, 26), right_from=5)
        table.header(
            [
                say(_DATE),
                say(_PERSON),
                say(_PROJECT),
                say(_ACTIVITY),
                say(_NOTE),
                say(_HOURS),
                say(_RATE),
                say(_AMOUNT),
            ]
        )
        for entry in report.entries:
            table.row(
                [
                    swiss_date(entry.day),
                    entry.person,
                    entry.project,
                    entry.activity,
                    entry.note,
                    format_amount(entry.hours),
                    format_amount(entry.rate) if entry.rate is not None else "—",
                    format_amount(entry.amount) if entry.amount is not None else "—",
                ]
            )
        table.row(["", "", "", "", say(_TOTAL_HOURS), format_amount(report.hours), "", ""], bold=True)
        pdf.ln(4)
    if report.expenses:
        _section(pdf, say(_EXPENSES))
        table = _Table(pdf, (20, 32, 40, 32, 113, 36), right_from=5)
        table.header(
            [say(_DATE), say(_PERSON), say(_PROJECT), say(_CATEGORY), say(_NOTE), say(_RECEIPT_INCL_VAT)]
        )
        for expense in report.expenses:
            table.row(
                [
                    swiss_date(expense.day),
                    expense.person,
                    expense.project,
                    expense.category,
                    expense.note,
                    format_amount(expense.gross),
                ]
            )
        pdf.ln(4)
    _section(pdf, say(_TOTALS_OF_THE_DRAFT))
    table = _Table(pdf, (80, 40), right_from=1, size=9.5)
    rows = totals_rows(report)
    for position, (label, amount) in enumerate(rows, start=1):
        table.row([label, format_money(amount, currency)], bold=position == len(rows))
    return bytes(pdf.output())


def totals_rows(report: TimesheetReport) -> Sequence[tuple[str, Decimal]]:
    """The draft's totals as the report lists them: net, VAT per rate, rounding, total."""
    outcome = report.outcome
    say = report.say
    rows: list[tuple[str, Decimal]] = [(say(_NET), outcome.total_net)]
    for vat in outcome.vat:
        base = format_money(vat.base, outcome.currency)
        rows.append((say(_VAT_RATE_ON_BASE, rate=format_rate(vat.rate), base=base), vat.amount))
    if outcome.rounding:
        rows.append((say(_ROUNDING), outcome.rounding))
    rows.append((say(_TOTAL), outcome.total))
    return rows


class _Table:
    """A ruled table drawn cell by cell with ``FPDF.text``: fpdf2's own ``table()`` measures every
    cell twice through its line breaker — seconds for a few hundred rows, minutes for a big month.
    Text is wrapped here by word with cached glyph widths; a row that does not fit on the page
    starts the next one, under the header again."""

    def __init__(
        self, pdf: FPDF, widths: Sequence[float], *, right_from: int, size: float = 8.5, line: float = 3.9
    ) -> None:
        self.pdf = pdf
        self.widths = widths
        self.right_from = right_from
        """Columns from this index on are numbers: aligned right."""
        self.size = size
        self.line = line
        self.pad = 1.2
        self._glyphs: dict[tuple[str, str], float] = {}
        self._header: list[str] | None = None

    def header(self, cells: Sequence[str]) -> None:
        self._header = list(cells)
        self._draw(self._header, bold=True, fill=True)

    def row(self, cells: Sequence[str], *, bold: bool = False) -> None:
        self._draw(cells, bold=bold, fill=False)

    def _draw(self, cells: Sequence[str], *, bold: bool, fill: bool) -> None:
        pdf = self.pdf
        style = "B" if bold else ""
        pdf.set_font(_FONT, style, self.size)
        wrapped = [
            self._wrap(text, width - 2 * self.pad, style)
            for text, width in zip(cells, self.widths, strict=True)
        ]
        height = max(len(lines) for lines in wrapped) * self.line + 2 * self.pad
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            if self._header is not None and not fill:
                self._draw(self._header, bold=True, fill=True)
                pdf.set_font(_FONT, style, self.size)
        x, y = pdf.l_margin, pdf.get_y()
        pdf.set_draw_color(190, 196, 204)
        pdf.set_line_width(0.15)
        if fill:
            pdf.set_fill_color(230, 234, 240)
        for column, (lines, width) in enumerate(zip(wrapped, self.widths, strict=True)):
            pdf.rect(x, y, width, height, style="DF" if fill else "D")
            for number, text in enumerate(lines):
                left = x + self.pad
                if column >= self.right_from:
                    left = x + width - self.pad - self._width(text, style)
                pdf.text(left, y + self.pad + (number + 0.78) * self.line, text)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    def _width(self, text: str, style: str) -> float:
        total = 0.0
        for char in text:
            width = self._glyphs.get((style, char))
            if width is None:
                width = self._glyphs[(style, char)] = self.pdf.get_string_width(char)
            total += width
        return total

    def _wrap(self, text: str, room: float, style: str) -> list[str]:
        """Greedy word wrap; a word longer than a line is cut where it must be."""
        lines: list[str] = []
        current = ""
        for word in text.split(" "):
            candidate = f"{current} {word}" if current else word
            if self._width(candidate, style) <= room:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            while self._width(word, style) > room:
                cut = len(word)
                while cut > 1 and self._width(word[:cut], style) > room:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
        if len(lines) > _MAX_CELL_LINES:  # a row must fit on a page
            lines = [*lines[: _MAX_CELL_LINES - 1], lines[_MAX_CELL_LINES - 1] + " …"]
        return lines


def _section(pdf: FPDF, title: str) -> None:
    pdf.set_font(_FONT, "B", 11)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")


def _add_fonts(pdf: FPDF) -> None:
    folder = _font_folder()
    pdf.add_font(_FONT, "", str(folder / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(folder / "DejaVuSans-Bold.ttf"))


def _font_folder() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"
