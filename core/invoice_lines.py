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

What a line says is what the customer reads in bexio (issue 15 §2), so it is written in the
document's language: grouped by day or per entry, the date and the notes of its entries (joined,
shortened with "…"); by activity, the period of its services; an expense its notes and, as
receipts are logged with VAT, the gross amount "incl. 8.1 % VAT" that explains the net price.
A line's text never exceeds `MAX_TEXT` characters.

A line that cannot be invoiced yet (no rate, no account, no usable tax) is still built, so the
person sees it, and comes with a `LineProblem` that says what to fix and where.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from core.durations import hours_decimal
from core.i18n import _, in_language
from core.money import format_amount, format_money, quantize_money
from core.rates import InvoiceType, missing_activity_rate, missing_person_rate, missing_project_rate
from core.taxes import Tax, TaxSelectionError, select_tax
from core.time_rounding import TimeRounding

HOURS_UNIT = "h"
FIXED_PRICE_TEXT = "Pauschalpreis"
MAX_INVOICE_LINES = 150
MAX_TEXT = 1000
"""The longest line text sent to bexio: bexio documents no limit (UNCONFIRMED); the sandbox refuses
longer position texts, so a line never needs more."""
ELLIPSIS = "…"
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
    first_day: date | None = None
    """The first service date of the line's entries or expenses (None: a fixed price)."""
    last_day: date | None = None


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
    language: str | None = None,
    currency: str = "CHF",
) -> LineBuild:
    """All lines of an invoice for the given selection (see the module docstring); texts in
    ``language`` (the customer's), else in the current one."""
    builder = _Builder(_TaxBook(taxes), grouping, time_rounding, language, currency)
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
            return _("{line} · {hours} · no hourly rate", line=line.text, hours=hours)
        return f"{line.text} · {hours} × {format_amount(line.unit_price)} = {format_amount(line.amount)}"
    if line.kind is LineKind.TEXT:
        return line.text
    return f"{line.text} · {format_amount(line.amount)}"


def too_many_lines(count: int, grouping: Grouping) -> str | None:
    """The reason a draft with `count` lines is refused, or None when it is fine."""
    if count <= MAX_INVOICE_LINES:
        return None
    if grouping is Grouping.BY_ACTIVITY:
        return _(
            "{count} lines are more than the {limit} an invoice can hold.",
            count=count,
            limit=MAX_INVOICE_LINES,
        )
    return _(
        "{count} lines are more than the {limit} an invoice can hold — group by activity instead.",
        count=count,
        limit=MAX_INVOICE_LINES,
    )


class _TaxBook:
    """Tax selection by kind and month, memoised: 10k entries share a handful of answers. Each
    answer comes with the tax's part of a line's identity (its bexio id, or `?kind` when no tax
    fits), so that part is not rebuilt per entry either."""

    def __init__(self, taxes: Sequence[Tax]) -> None:
        self._taxes = taxes
        self._cache: dict[tuple[str, int, int], tuple[Tax | TaxSelectionError, int | str]] = {}

    def select(self, kind: str, day: date) -> tuple[Tax | TaxSelectionError, int | str]:
        key = (kind, day.year, day.month)
        found = self._cache.get(key)
        if found is None:
            try:
                tax = select_tax(kind, self._taxes, day)
                found = (tax, tax.bexio_id)
            except TaxSelectionError as exc:
                found = (exc, f"?{kind}")
            self._cache[key] = found
        return found


_Identity = tuple[object, ...]
"""What items share to become one line: a prefix per line kind, then the grouping's parts."""
_Order = tuple[object, ...]


class _Builder:
    """Sorts entries and expenses into groups by the grouping's identity, then turns each
    group into its line; problems are collected per group as items arrive.

    A by-day preview over 10k entries has thousands of groups, and every object a group keeps
    alive is one more the garbage collector walks (a full collection costs more than building
    the lines). So a group is just the list of its items; its tax, rate and problems sit in
    dicts by identity (problems only for the few groups that have some), and key, order and
    line are made once the group is complete."""

    def __init__(
        self,
        taxes: _TaxBook,
        grouping: Grouping,
        rounding: TimeRounding,
        language: str | None = None,
        currency: str = "CHF",
    ) -> None:
        self._taxes = taxes
        self._grouping = grouping
        self._rounding = rounding
        self._language = language
        self._currency = currency
        self._hours: dict[_Identity, list[BillableEntry]] = {}
        self._fixed: dict[_Identity, list[BillableEntry]] = {}
        self._texts: dict[_Identity, list[BillableEntry]] = {}
        self._expenses: dict[_Identity, list[BillableExpense]] = {}
        self._tax: dict[_Identity, Tax] = {}
        """The group's tax: the last one its items found (all share it, the identity says)."""
        self._rate: dict[_Identity, Decimal | None] = {}
        self._problems: dict[_Identity, dict[str, None]] = {}
        self._rates: dict[Decimal, Decimal | None] = {}
        self._quantities: dict[int, Decimal] = {}

    # --- hours ------------------------------------------------------------------------

    def add_hours(self, entry: BillableEntry) -> None:
        tax, tax_part = self._taxes.select(entry.tax_kind, entry.day)
        rate = self._billed_rate(entry.rate)
        identity = self._identity(
            "h",
            entry.entry_id,
            entry.day,
            (entry.project_id, entry.activity_id, rate, tax_part, entry.account_id),
        )
        group = self._hours.get(identity)
        if group is None:
            self._hours[identity] = [entry]
        else:
            group.append(entry)
        self._rate[identity] = rate
        if isinstance(tax, Tax):
            self._tax[identity] = tax
        else:
            self._problem(identity, tax.message)
        if rate is None:
            self._problem(identity, _missing_rate(entry))
        if entry.account_id is None:
            self._problem(identity, _missing_account(entry.activity_name))

    def _hours_line(self, identity: _Identity, entries: list[BillableEntry]) -> tuple[_Order, InvoiceLine]:
        first = entries[0]
        minutes, entry_ids, first_day, last_day = self._gather(entries)
        quantity = self._quantity(minutes)
        rate = self._rate[identity]
        price = rate if rate is not None else _ZERO
        key = self._key(identity)
        line = InvoiceLine(
            key=key,
            kind=LineKind.HOURS,
            text=self._entry_text(
                entries, f"{first.project_name} · {first.activity_name}", first_day, last_day
            ),
            quantity=quantity,
            unit=HOURS_UNIT,
            unit_price=price,
            amount=quantize_money(quantity * price),
            tax=self._tax.get(identity),
            account_id=first.account_id,
            entry_ids=entry_ids,
            expense_ids=(),
            minutes=minutes,
            project_id=first.project_id,
            first_day=first_day,
            last_day=last_day,
        )
        return self._project_order(first, 0, first_day, key), line

    # --- fixed price ------------------------------------------------------------------

    def add_fixed_price(self, project_entries: list[BillableEntry]) -> None:
        latest = max(project_entries, key=lambda e: (e.day, e.entry_id))
        # One fixed line per project whatever the grouping, so its key is the project's.
        identity = ("f", latest.project_id)
        self._fixed[identity] = [latest]
        tax, _label = self._taxes.select(latest.tax_kind, latest.day)
        if isinstance(tax, Tax):
            self._tax[identity] = tax
        else:
            self._problem(identity, tax.message)
        if latest.fixed_amount is None or latest.fixed_amount <= 0:
            self._problem(
                identity,
                f"{latest.project_name} is billed at a fixed price but has no amount — "
                "enter the project's fixed price in bexio (Projects)",
            )
        if latest.account_id is None:
            self._problem(identity, _missing_account(latest.activity_name))

    def _fixed_line(self, identity: _Identity, entries: list[BillableEntry]) -> tuple[_Order, InvoiceLine]:
        latest = entries[0]
        amount = quantize_money(latest.fixed_amount) if latest.fixed_amount is not None else _ZERO
        key = f"f:{latest.project_id}"
        line = InvoiceLine(
            key=key,
            kind=LineKind.FIXED,
            text=f"{latest.project_name} · {FIXED_PRICE_TEXT}",
            quantity=Decimal(1),
            unit="",
            unit_price=amount,
            amount=amount,
            tax=self._tax.get(identity),
            account_id=latest.account_id,
            entry_ids=(),
            expense_ids=(),
            minutes=0,
            project_id=latest.project_id,
        )
        return self._project_order(latest, 1, latest.day, key), line

    def add_hours_as_text(self, entry: BillableEntry) -> None:
        identity = self._identity("t", entry.entry_id, entry.day, (entry.project_id, entry.activity_id))
        group = self._texts.get(identity)
        if group is None:
            self._texts[identity] = [entry]
        else:
            group.append(entry)

    def _text_line(self, identity: _Identity, entries: list[BillableEntry]) -> tuple[_Order, InvoiceLine]:
        first = entries[0]
        minutes, entry_ids, first_day, last_day = self._gather(entries)
        quantity = self._quantity(minutes)
        text = f"{first.project_name} · {first.activity_name}"
        if self._grouping is not Grouping.BY_ACTIVITY:
            text = f"{text} · {_swiss_date(first.day)}"
        text = f"{text}: {quantity} {HOURS_UNIT}"
        if self._grouping is Grouping.PER_ENTRY and first.note:
            text = _shorten(f"{text} — {_one_line(first.note)}")
        key = self._key(identity)
        line = InvoiceLine(
            key=key,
            kind=LineKind.TEXT,
            text=text,
            quantity=quantity,
            unit=HOURS_UNIT,
            unit_price=_ZERO,
            amount=_ZERO,
            tax=None,
            account_id=None,
            entry_ids=entry_ids,
            expense_ids=(),
            minutes=minutes,
            project_id=first.project_id,
            first_day=first_day,
            last_day=last_day,
        )
        return self._project_order(first, 2, first_day, key), line

    # --- expenses ---------------------------------------------------------------------

    def add_expense(self, expense: BillableExpense) -> None:
        tax, tax_part = self._taxes.select(expense.tax_kind, expense.day)
        identity = self._identity(
            "x", expense.expense_id, expense.day, (expense.category_id, tax_part, expense.account_id)
        )
        group = self._expenses.get(identity)
        if group is None:
            self._expenses[identity] = [expense]
        else:
            group.append(expense)
        if isinstance(tax, Tax):
            self._tax[identity] = tax
        else:
            self._problem(identity, tax.message)
        if expense.account_id is None:
            self._problem(identity, _missing_account(expense.category_name))

    def _expense_line(
        self, identity: _Identity, expenses: list[BillableExpense]
    ) -> tuple[_Order, InvoiceLine]:
        first = expenses[0]
        tax = self._tax.get(identity)
        gross = sum((e.gross_amount for e in expenses), Decimal(0))
        net = quantize_money(gross if tax is None else gross / (1 + tax.value / 100))
        first_day = min([e.day for e in expenses])
        last_day = max([e.day for e in expenses])
        suffix = ""
        if tax is not None and tax.value > 0:
            suffix = f" ({self._gross_text(gross, tax.value)})"
        text = self._text(
            f"{first.category_name} · {_period(first_day, last_day)}", [e.note for e in expenses], suffix
        )
        projects = {e.project_id for e in expenses}
        key = self._key(identity)
        line = InvoiceLine(
            key=key,
            kind=LineKind.EXPENSE,
            text=text,
            quantity=Decimal(1),
            unit="",
            unit_price=net,
            amount=net,
            tax=tax,
            account_id=first.account_id,
            entry_ids=(),
            expense_ids=tuple(sorted([e.expense_id for e in expenses])),
            minutes=0,
            project_id=projects.pop() if len(projects) == 1 else None,
            first_day=first_day,
            last_day=last_day,
        )
        order = (
            1,
            *self._day_order(first.day),
            first.category_name.casefold(),
            first.category_id,
            *self._item_order(first.expense_id),
            first_day,
            key,
        )
        return order, line

    # --- shared -----------------------------------------------------------------------

    def build(self) -> LineBuild:
        """The lines in their order (see `_project_order`), each group's problems after its line.
        Orders and lines sit in two lists and the positions are sorted, rather than a pair per
        line: a few thousand objects fewer for the garbage collector."""
        orders: list[_Order] = []
        lines: list[InvoiceLine] = []
        for groups, finish in (
            (self._hours, self._hours_line),
            (self._fixed, self._fixed_line),
            (self._texts, self._text_line),
        ):
            for identity, entries in groups.items():
                order, line = finish(identity, entries)
                orders.append(order)
                lines.append(line)
        for identity, expenses in self._expenses.items():
            order, line = self._expense_line(identity, expenses)
            orders.append(order)
            lines.append(line)
        identities = [*self._hours, *self._fixed, *self._texts, *self._expenses]
        ranked = sorted(range(len(lines)), key=orders.__getitem__)
        problems: list[LineProblem] = []
        for position in ranked:
            found = self._problems.get(identities[position])
            if found:
                key = lines[position].key
                problems.extend(LineProblem(key, message) for message in found)
        return LineBuild(tuple([lines[position] for position in ranked]), tuple(problems))

    def _problem(self, identity: _Identity, message: str) -> None:
        found = self._problems.get(identity)
        if found is None:
            found = self._problems[identity] = {}
        found[message] = None

    def _identity(self, prefix: str, item_id: int, day: date, parts: tuple[object, ...]) -> _Identity:
        """The items that share it become one line: one item per entry, else the parts (and the
        day when by day)."""
        if self._grouping is Grouping.PER_ENTRY:
            return (prefix, item_id)
        if self._grouping is Grouping.BY_DAY:
            return (prefix, *parts, day)
        return (prefix, *parts)

    def _key(self, identity: _Identity) -> str:
        """`h:42:7:150.00:14:3400`, plus `:2026-11-23` by day; `h:e1234` per entry — made from the
        identity, once per line."""
        if self._grouping is Grouping.PER_ENTRY:
            return f"{identity[0]}:e{identity[1]}"
        # By day the identity ends with the day, and str() of a date is its ISO form.
        return ":".join(["-" if p is None else str(p) for p in identity])

    def _billed_rate(self, rate: Decimal | None) -> Decimal | None:
        """The rate a line bills, to the Rappen; None when the entry has no usable rate. Memoised:
        10k entries carry a handful of rates."""
        if rate is None:
            return None
        try:
            return self._rates[rate]
        except KeyError:
            billed = None if rate <= 0 else quantize_money(rate)
            self._rates[rate] = billed
            return billed

    def _quantity(self, minutes: int) -> Decimal:
        """`hours_decimal`, memoised: thousands of lines share a few dozen minute totals."""
        quantity = self._quantities.get(minutes)
        if quantity is None:
            quantity = self._quantities[minutes] = hours_decimal(minutes)
        return quantity

    def _gather(self, entries: list[BillableEntry]) -> tuple[int, tuple[int, ...], date, date]:
        """The line's minutes (rounded per entry, then summed), its entry ids, first and last day."""
        apply = self._rounding.apply
        minutes = 0
        first_day = last_day = entries[0].day
        for entry in entries:
            minutes += apply(entry.minutes)
            if entry.day < first_day:
                first_day = entry.day
            elif entry.day > last_day:
                last_day = entry.day
        return minutes, tuple(sorted([e.entry_id for e in entries])), first_day, last_day

    def _project_order(self, entry: BillableEntry, section: int, first_day: date, key: str) -> _Order:
        """Projects by name, then expenses; within a project: hours, the fixed price, the hours
        listed as text; by day or per entry, chronological. Then lines that differ only in rate
        or tax (a VAT change) chronologically; the key last, so the order never depends on the
        order of the input. One flat tuple: expenses start with 1, so no order is a prefix of
        another and flat compares as nested would."""
        return (
            0,
            entry.project_name.casefold(),
            entry.project_id,
            section,
            *self._day_order(entry.day),
            entry.activity_name.casefold(),
            entry.activity_id,
            *self._item_order(entry.entry_id),
            first_day,
            key,
        )

    def _day_order(self, day: date) -> tuple[str, ...]:
        return () if self._grouping is Grouping.BY_ACTIVITY else (day.isoformat(),)

    def _item_order(self, item_id: int) -> tuple[int, ...]:
        return (item_id,) if self._grouping is Grouping.PER_ENTRY else ()

    def _entry_text(self, entries: list[BillableEntry], label: str, first_day: date, last_day: date) -> str:
        """By activity `label · 03.11.2026 – 27.11.2026` (the period of the line's services); by day
        or per entry `label · 23.11.2026: note; other note`."""
        if self._grouping is Grouping.BY_ACTIVITY:
            return f"{label} · {_period(first_day, last_day)}"
        return self._text(f"{label} · {_swiss_date(first_day)}", [e.note for e in entries], "")

    def _text(self, head: str, notes: Iterable[str], suffix: str) -> str:
        """`head: notes suffix`, the notes (distinct, in order, each on one line) shortened with "…"
        so the whole text fits `MAX_TEXT`; by activity only hours carry no notes, expenses do."""
        joined = "; ".join(dict.fromkeys(n for n in map(_one_line, notes) if n))
        if not joined:
            return _shorten(head + suffix)
        room = MAX_TEXT - len(head) - len(suffix) - 2
        if len(joined) > room:
            joined = joined[: max(room - 1, 0)].rstrip() + ELLIPSIS
        return _shorten(f"{head}: {joined}{suffix}")

    def _gross_text(self, gross: Decimal, rate: Decimal) -> str:
        """`CHF 1'234.50 incl. 8.1 % VAT` in the document's language: why a receipt shows another
        amount than the net price of the line."""
        amount = format_money(gross, self._currency)
        shown = format_rate(rate)
        if self._language is None:
            return _("{amount} incl. {rate} % VAT", amount=amount, rate=shown)
        return in_language(self._language, "{amount} incl. {rate} % VAT", amount=amount, rate=shown)


def format_rate(rate: Decimal) -> str:
    """`8.1`, `2.6`, `8`: a VAT rate as people write it (no trailing zeros)."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def swiss_date(day: date) -> str:
    """`23.11.2026` as on Swiss invoices (by hand: strftime is locale-bound and slow)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


_swiss_date = swiss_date


def service_period(first: date, last: date) -> str:
    """`01.11.2026 – 30.11.2026`, or the one date when both are the same day."""
    if first == last:
        return swiss_date(first)
    return f"{swiss_date(first)} – {swiss_date(last)}"


_period = service_period


def _one_line(note: str) -> str:
    return " ".join(note.split())


def _shorten(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _missing_rate(entry: BillableEntry) -> str:
    if entry.invoice_type is InvoiceType.PER_EMPLOYEE:
        return missing_person_rate(entry.person or None)
    if entry.invoice_type is InvoiceType.PER_PROJECT:
        return missing_project_rate(entry.project_name)
    return missing_activity_rate(entry.activity_name)


def _missing_account(name: str) -> str:
    return f"{name} has no bexio account — map it in the App Home → Account mapping"
