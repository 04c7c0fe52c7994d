"""The lines of a draft invoice, built from the billable entries and expenses of a selection.

The money rules (issue 6 §6), in the order they apply:

* time rounding per entry, then minutes summed per line;
* hours = minutes / 60, half-up to 2 decimals; amount = hours × rate, half-up to 0.01 — so the
  quantity shown times the price shown is exactly the amount;
* a line per project × activity × rate snapshot × tax (× account), so a period across a VAT
  change, or entries logged before and after a rate change, split into separate lines;
* expenses: a line per category × tax, net = gross receipts without their VAT, quantity 1;
* fixed-price projects: one line with the fixed amount on the first draft that includes the
  project, and the project's hours as text lines (amount 0) on that draft and later ones.

A line that cannot be invoiced yet (no rate, no account, no usable tax) is still built, so the
person sees it, and comes with a `LineProblem` that says what to fix and where.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from core.durations import hours_decimal
from core.money import format_amount, quantize_money
from core.rates import InvoiceType, missing_activity_rate, missing_person_rate, missing_project_rate
from core.taxes import Tax, TaxSelectionError, select_tax
from core.time_rounding import TimeRounding

HOURS_UNIT = "h"
FIXED_PRICE_TEXT = "Pauschalpreis"
MAX_INVOICE_LINES = 150
"""More lines than this make a draft nobody reads; the modal suggests a coarser grouping."""
_ZERO = Decimal("0.00")


class Grouping(StrEnum):
    BY_ACTIVITY = "activity"
    BY_DAY = "day"
    PER_ENTRY = "entry"


class LineKind(StrEnum):
    HOURS = "hours"
    EXPENSE = "expense"
    FIXED = "fixed"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class BillableEntry:
    entry_id: int
    day: date
    minutes: int
    rate: Decimal | None
    """The rate snapshot stored on the entry; None when none applied when it was logged."""
    project_id: int
    project_name: str
    invoice_type: InvoiceType | None
    fixed_amount: Decimal | None
    """The project's fixed price (bexio `pr_invoice_type_amount` for invoice type 4)."""
    activity_id: int
    activity_name: str
    person: str
    """The person's e-mail: a missing per-employee rate is set under `person_rate:<e-mail>`."""
    account_id: int | None
    tax_kind: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class BillableExpense:
    expense_id: int
    day: date
    gross_amount: Decimal
    """What the receipt says, VAT included."""
    project_id: int | None
    project_name: str | None
    category_id: int
    category_name: str
    account_id: int | None
    tax_kind: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    key: str
    """Stable for the same selection and grouping, so the modal can tick lines by key."""
    kind: LineKind
    text: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    tax: Tax | None
    account_id: int | None
    entry_ids: tuple[int, ...]
    expense_ids: tuple[int, ...]
    minutes: int
    project_id: int | None = None
    """The project a fixed-price line bills (and the project of any line that has one)."""


@dataclass(frozen=True, slots=True)
class LineProblem:
    line_key: str
    message: str


@dataclass(frozen=True, slots=True)
class LineBuild:
    lines: tuple[InvoiceLine, ...]
    problems: tuple[LineProblem, ...]

    def problems_for(self, keys: Collection[str]) -> tuple[str, ...]:
        """The distinct messages that block invoicing the ticked lines, in line order."""
        return tuple(dict.fromkeys(p.message for p in self.problems if p.line_key in keys))


def build_lines(
    entries: Iterable[BillableEntry],
    expenses: Iterable[BillableExpense],
    *,
    taxes: Sequence[Tax],
    grouping: Grouping,
    time_rounding: TimeRounding,
    fixed_price_billed: frozenset[int],
) -> LineBuild:
    """All lines of an invoice for the given selection (see the module docstring)."""
    builder = _Builder(_TaxBook(taxes), grouping, time_rounding)
    fixed: dict[int, list[BillableEntry]] = {}
    for entry in entries:
        if entry.invoice_type is InvoiceType.FIXED_PRICE:
            fixed.setdefault(entry.project_id, []).append(entry)
        else:
            builder.add_hours(entry)
    for project_entries in fixed.values():
        if project_entries[0].project_id not in fixed_price_billed:
            builder.add_fixed_price(project_entries)
        for entry in project_entries:
            builder.add_hours_as_text(entry)
    for expense in expenses:
        builder.add_expense(expense)
    return builder.build()


def describe_line(line: InvoiceLine) -> str:
    """One line as people read it: `Website Relaunch · Umsetzung · 12.50 h × 150.00 = 1'875.00`."""
    if line.kind is LineKind.HOURS:
        hours = f"{format_amount(line.quantity)} {HOURS_UNIT}"
        if line.unit_price == 0:
            return f"{line.text} · {hours} · no hourly rate"
        return f"{line.text} · {hours} × {format_amount(line.unit_price)} = {format_amount(line.amount)}"
    if line.kind is LineKind.TEXT:
        return line.text
    return f"{line.text} · {format_amount(line.amount)}"


def too_many_lines(count: int, grouping: Grouping) -> str | None:
    """The reason a draft with `count` lines is refused, or None when it is fine."""
    if count <= MAX_INVOICE_LINES:
        return None
    coarser = "" if grouping is Grouping.BY_ACTIVITY else " — group by activity instead"
    return f"{count} lines are more than the {MAX_INVOICE_LINES} an invoice can hold{coarser}."


class _TaxBook:
    """Tax selection by kind and month, memoised: 10k entries share a handful of answers."""

    def __init__(self, taxes: Sequence[Tax]) -> None:
        self._taxes = taxes
        self._cache: dict[tuple[str, int, int], Tax | TaxSelectionError] = {}

    def select(self, kind: str, day: date) -> Tax | TaxSelectionError:
        key = (kind, day.year, day.month)
        if key not in self._cache:
            try:
                self._cache[key] = select_tax(kind, self._taxes, day)
            except TaxSelectionError as exc:
                self._cache[key] = exc
        return self._cache[key]


@dataclass
class _Group:
    """Entries or expenses that become one line; `finish` turns them into it."""

    key: str
    sort_key: tuple[object, ...]
    finish: Callable[["_Group"], InvoiceLine]
    entries: list[BillableEntry] = field(default_factory=list)
    expenses: list[BillableExpense] = field(default_factory=list)
    problems: dict[str, None] = field(default_factory=dict)
    tax: Tax | None = None
    rate: Decimal | None = None


class _Builder:
    """Sorts entries and expenses into groups by the grouping's identity, then turns each
    group into its line; problems are collected per group as items arrive."""

    def __init__(self, taxes: _TaxBook, grouping: Grouping, rounding: TimeRounding) -> None:
        self._taxes = taxes
        self._grouping = grouping
        self._rounding = rounding
        self._groups: dict[tuple[object, ...], _Group] = {}

    # --- hours ------------------------------------------------------------------------

    def add_hours(self, entry: BillableEntry) -> None:
        tax = self._taxes.select(entry.tax_kind, entry.day)
        rate = None if entry.rate is None or entry.rate <= 0 else quantize_money(entry.rate)
        tax_part = tax.bexio_id if isinstance(tax, Tax) else f"?{entry.tax_kind}"
        parts = (entry.project_id, entry.activity_id, rate, tax_part, entry.account_id)
        group = self._group(
            "h", entry.entry_id, entry.day, parts, lambda: self._project_order(entry, 0), self._finish_hours
        )
        group.entries.append(entry)
        group.rate = rate
        if isinstance(tax, Tax):
            group.tax = tax
        else:
            group.problems[tax.message] = None
        if rate is None:
            group.problems[_missing_rate(entry)] = None
        if entry.account_id is None:
            group.problems[_missing_account(entry.activity_name)] = None

    def _finish_hours(self, group: _Group) -> InvoiceLine:
        first = group.entries[0]
        minutes = sum(self._rounding.apply(e.minutes) for e in group.entries)
        quantity = hours_decimal(minutes)
        price = group.rate if group.rate is not None else _ZERO
        return InvoiceLine(
            key=group.key,
            kind=LineKind.HOURS,
            text=self._entry_text(first, f"{first.project_name} · {first.activity_name}"),
            quantity=quantity,
            unit=HOURS_UNIT,
            unit_price=price,
            amount=quantize_money(quantity * price),
            tax=group.tax,
            account_id=first.account_id,
            entry_ids=tuple(sorted(e.entry_id for e in group.entries)),
            expense_ids=(),
            minutes=minutes,
            project_id=first.project_id,
        )

    # --- fixed price ------------------------------------------------------------------

    def add_fixed_price(self, project_entries: list[BillableEntry]) -> None:
        latest = max(project_entries, key=lambda e: (e.day, e.entry_id))
        # One fixed line per project whatever the grouping, so its key is the project's.
        group = _Group(f"f:{latest.project_id}", self._project_order(latest, 1), self._finish_fixed)
        self._groups[("f", latest.project_id)] = group
        group.entries.append(latest)
        tax = self._taxes.select(latest.tax_kind, latest.day)
        if isinstance(tax, Tax):
            group.tax = tax
        else:
            group.problems[tax.message] = None
        if latest.fixed_amount is None or latest.fixed_amount <= 0:
            group.problems[
                f"{latest.project_name} is billed at a fixed price but has no amount — "
                "enter the project's fixed price in bexio (Projects)"
            ] = None
        if latest.account_id is None:
            group.problems[_missing_account(latest.activity_name)] = None

    def _finish_fixed(self, group: _Group) -> InvoiceLine:
        latest = group.entries[0]
        amount = quantize_money(latest.fixed_amount) if latest.fixed_amount is not None else _ZERO
        return InvoiceLine(
            key=group.key,
            kind=LineKind.FIXED,
            text=f"{latest.project_name} · {FIXED_PRICE_TEXT}",
            quantity=Decimal(1),
            unit="",
            unit_price=amount,
            amount=amount,
            tax=group.tax,
            account_id=latest.account_id,
            entry_ids=(),
            expense_ids=(),
            minutes=0,
            project_id=latest.project_id,
        )

    def add_hours_as_text(self, entry: BillableEntry) -> None:
        parts = (entry.project_id, entry.activity_id)
        group = self._group(
            "t", entry.entry_id, entry.day, parts, lambda: self._project_order(entry, 2), self._finish_text
        )
        group.entries.append(entry)

    def _finish_text(self, group: _Group) -> InvoiceLine:
        first = group.entries[0]
        minutes = sum(self._rounding.apply(e.minutes) for e in group.entries)
        quantity = hours_decimal(minutes)
        text = f"{first.project_name} · {first.activity_name}"
        if self._grouping is not Grouping.BY_ACTIVITY:
            text = f"{text} · {_swiss_date(first.day)}"
        text = f"{text}: {quantity} {HOURS_UNIT}"
        if self._grouping is Grouping.PER_ENTRY and first.note:
            text = f"{text} — {first.note}"
        return InvoiceLine(
            key=group.key,
            kind=LineKind.TEXT,
            text=text,
            quantity=quantity,
            unit=HOURS_UNIT,
            unit_price=_ZERO,
            amount=_ZERO,
            tax=None,
            account_id=None,
            entry_ids=tuple(sorted(e.entry_id for e in group.entries)),
            expense_ids=(),
            minutes=minutes,
            project_id=first.project_id,
        )

    # --- expenses ---------------------------------------------------------------------

    def add_expense(self, expense: BillableExpense) -> None:
        tax = self._taxes.select(expense.tax_kind, expense.day)
        tax_part = tax.bexio_id if isinstance(tax, Tax) else f"?{expense.tax_kind}"
        parts = (expense.category_id, tax_part, expense.account_id)
        group = self._group(
            "x",
            expense.expense_id,
            expense.day,
            parts,
            lambda: (
                1,
                *self._day_order(expense.day),
                expense.category_name.casefold(),
                expense.category_id,
                *self._item_order(expense.expense_id),
            ),
            self._finish_expense,
        )
        group.expenses.append(expense)
        if isinstance(tax, Tax):
            group.tax = tax
        else:
            group.problems[tax.message] = None
        if expense.account_id is None:
            group.problems[_missing_account(expense.category_name)] = None

    def _finish_expense(self, group: _Group) -> InvoiceLine:
        first = group.expenses[0]
        gross = sum((e.gross_amount for e in group.expenses), Decimal(0))
        net = quantize_money(gross if group.tax is None else gross / (1 + group.tax.value / 100))
        text = first.category_name
        if self._grouping is not Grouping.BY_ACTIVITY:
            text = f"{text} · {_swiss_date(first.day)}"
        if self._grouping is Grouping.PER_ENTRY and first.note:
            text = f"{text}: {first.note}"
        projects = {e.project_id for e in group.expenses}
        return InvoiceLine(
            key=group.key,
            kind=LineKind.EXPENSE,
            text=text,
            quantity=Decimal(1),
            unit="",
            unit_price=net,
            amount=net,
            tax=group.tax,
            account_id=first.account_id,
            entry_ids=(),
            expense_ids=tuple(sorted(e.expense_id for e in group.expenses)),
            minutes=0,
            project_id=projects.pop() if len(projects) == 1 else None,
        )

    # --- shared -----------------------------------------------------------------------

    def build(self) -> LineBuild:
        lines: list[InvoiceLine] = []
        problems: list[LineProblem] = []
        for group in sorted(self._groups.values(), key=_line_order):
            lines.append(group.finish(group))
            problems.extend(LineProblem(group.key, message) for message in group.problems)
        return LineBuild(tuple(lines), tuple(problems))

    def _group(
        self,
        prefix: str,
        item_id: int,
        day: date,
        parts: tuple[object, ...],
        sort_key: Callable[[], tuple[object, ...]],
        finish: Callable[[_Group], InvoiceLine],
    ) -> _Group:
        """The group an item belongs to under the grouping; key and order are computed once per
        group, not per item (10k entries become a few hundred lines)."""
        if self._grouping is Grouping.PER_ENTRY:
            identity: tuple[object, ...] = (prefix, item_id)
        elif self._grouping is Grouping.BY_DAY:
            identity = (prefix, *parts, day)
        else:
            identity = (prefix, *parts)
        group = self._groups.get(identity)
        if group is None:
            group = self._groups[identity] = _Group(
                self._key(prefix, item_id, day, parts), sort_key(), finish
            )
        return group

    def _key(self, prefix: str, item_id: int, day: date, parts: tuple[object, ...]) -> str:
        """`h:42:7:150.00:14:3400`, plus `:2026-11-23` by day; `h:e1234` per entry."""
        if self._grouping is Grouping.PER_ENTRY:
            return f"{prefix}:e{item_id}"
        key = ":".join([prefix, *("-" if p is None else str(p) for p in parts)])
        return f"{key}:{day.isoformat()}" if self._grouping is Grouping.BY_DAY else key

    def _project_order(self, entry: BillableEntry, section: int) -> tuple[object, ...]:
        """Projects by name, then expenses; within a project: hours, the fixed price, the hours
        listed as text; by day or per entry, chronological."""
        return (
            0,
            entry.project_name.casefold(),
            entry.project_id,
            section,
            *self._day_order(entry.day),
            entry.activity_name.casefold(),
            entry.activity_id,
            *self._item_order(entry.entry_id),
        )

    def _day_order(self, day: date) -> tuple[str, ...]:
        return () if self._grouping is Grouping.BY_ACTIVITY else (day.isoformat(),)

    def _item_order(self, item_id: int) -> tuple[int, ...]:
        return (item_id,) if self._grouping is Grouping.PER_ENTRY else ()

    def _entry_text(self, entry: BillableEntry, label: str) -> str:
        if self._grouping is Grouping.BY_ACTIVITY:
            return label
        text = f"{label} · {_swiss_date(entry.day)}"
        if self._grouping is Grouping.PER_ENTRY and entry.note:
            text = f"{text}: {entry.note}"
        return text


def _line_order(group: _Group) -> tuple[object, ...]:
    """Groups in their section order; lines that differ only in rate or tax (a VAT change)
    chronologically; the key last, so the order never depends on the order of the input."""
    first_day = min([e.day for e in group.entries] + [x.day for x in group.expenses])
    return (group.sort_key, first_day, group.key)


def _swiss_date(day: date) -> str:
    """`23.11.2026` as on Swiss invoices (by hand: strftime is locale-bound and slow)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def _missing_rate(entry: BillableEntry) -> str:
    if entry.invoice_type is InvoiceType.PER_EMPLOYEE:
        return missing_person_rate(entry.person or None)
    if entry.invoice_type is InvoiceType.PER_PROJECT:
        return missing_project_rate(entry.project_name)
    return missing_activity_rate(entry.activity_name)


def _missing_account(name: str) -> str:
    return f"{name} has no bexio account — map it in Settings → Account mapping"
