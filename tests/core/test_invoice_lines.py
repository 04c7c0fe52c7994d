import random
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.invoice_lines import (
    MAX_INVOICE_LINES,
    BillableEntry,
    BillableExpense,
    Grouping,
    InvoiceLine,
    LineBuild,
    LineKind,
    build_lines,
    describe_line,
    too_many_lines,
)
from core.rates import InvoiceType
from core.taxes import Tax
from core.time_rounding import NO_ROUNDING, TimeRounding

D = Decimal
UN77 = Tax(13, "UN77", D("7.7"), 2018, 1, 2023, 12, True, "sales_tax")
UN81 = Tax(14, "UN81", D("8.1"), 2024, 1, None, None, True, "sales_tax")
UR26 = Tax(15, "UR26", D("2.6"), 2024, 1, None, None, True, "sales_tax")
US38 = Tax(16, "US38", D("3.8"), 2024, 1, None, None, False, "sales_tax")
TAXES = (UN77, UN81, UR26, US38)
WEBSITE = (42, "Website Relaunch")
FIXED = (50, "Intranet")
UMSETZUNG = (7, "Umsetzung")
MEETING = (8, "Meeting")
RATE = D("150")
FIXED_AMOUNT = D("5000")


def entry(
    entry_id: int,
    day: date = date(2026, 11, 23),
    minutes: int = 60,
    rate: Decimal | None = RATE,
    project: tuple[int, str] = WEBSITE,
    activity: tuple[int, str] = UMSETZUNG,
    invoice_type: InvoiceType | None = InvoiceType.PER_ACTIVITY,
    fixed_amount: Decimal | None = None,
    account_id: int | None = 3400,
    tax_kind: str = "UN",
    person: str = "anna@example.ch",
    note: str = "",
) -> BillableEntry:
    return BillableEntry(
        entry_id=entry_id,
        day=day,
        minutes=minutes,
        rate=rate,
        project_id=project[0],
        project_name=project[1],
        invoice_type=invoice_type,
        fixed_amount=fixed_amount,
        activity_id=activity[0],
        activity_name=activity[1],
        person=person,
        account_id=account_id,
        tax_kind=tax_kind,
        note=note,
    )


def fixed_entry(
    entry_id: int,
    day: date = date(2026, 11, 23),
    minutes: int = 60,
    fixed_amount: Decimal | None = FIXED_AMOUNT,
    note: str = "",
) -> BillableEntry:
    return entry(
        entry_id,
        day,
        minutes,
        rate=None,
        project=FIXED,
        invoice_type=InvoiceType.FIXED_PRICE,
        fixed_amount=fixed_amount,
        note=note,
    )


def expense(
    expense_id: int,
    gross: str = "84.50",
    day: date = date(2026, 11, 23),
    category: tuple[int, str] = (3, "Reisekosten"),
    account_id: int | None = 6500,
    tax_kind: str = "UN",
    note: str = "",
) -> BillableExpense:
    return BillableExpense(
        expense_id=expense_id,
        day=day,
        gross_amount=D(gross),
        project_id=WEBSITE[0],
        project_name=WEBSITE[1],
        category_id=category[0],
        category_name=category[1],
        account_id=account_id,
        tax_kind=tax_kind,
        note=note,
    )


def build(
    entries: Sequence[BillableEntry] = (),
    expenses: Sequence[BillableExpense] = (),
    grouping: Grouping = Grouping.BY_ACTIVITY,
    rounding: TimeRounding = NO_ROUNDING,
    billed: frozenset[int] = frozenset(),
) -> LineBuild:
    return build_lines(
        entries, expenses, taxes=TAXES, grouping=grouping, time_rounding=rounding, fixed_price_billed=billed
    )


def only(lines: tuple[InvoiceLine, ...]) -> InvoiceLine:
    assert len(lines) == 1, lines
    return lines[0]


# --- hours ----------------------------------------------------------------------------------


def test_one_line_per_project_and_activity_with_the_issue_example() -> None:
    result = build([entry(1, minutes=450), entry(2, minutes=300)])
    line = only(result.lines)
    assert line.kind is LineKind.HOURS
    assert (line.quantity, line.unit, line.unit_price, line.amount) == (
        D("12.50"),
        "h",
        D("150.00"),
        D("1875.00"),
    )
    assert (line.text, line.minutes, line.entry_ids, line.expense_ids) == (
        "Website Relaunch · Umsetzung · 23.11.2026",
        750,
        (1, 2),
        (),
    )
    assert (line.tax, line.account_id, line.project_id) == (UN81, 3400, 42)
    assert describe_line(line) == "Website Relaunch · Umsetzung · 23.11.2026 · 12.50 h × 150.00 = 1'875.00"
    assert result.problems == ()


def test_hours_round_half_up_to_two_decimals_and_amount_is_quantity_times_price() -> None:
    # 20 minutes = 0.3333 h → 0.33 h; 0.33 × 145.50 = 48.015 → 48.02 (half-up), not 48.50 (20/60 × 145.50).
    line = only(build([entry(1, minutes=20, rate=D("145.50"))]).lines)
    assert (line.quantity, line.amount) == (D("0.33"), D("48.02"))


def test_minutes_are_summed_before_converting_to_hours() -> None:
    # Three times 20 minutes is exactly one hour, not 3 × 0.33.
    line = only(build([entry(i, minutes=20) for i in (1, 2, 3)]).lines)
    assert (line.minutes, line.quantity, line.amount) == (60, D("1.00"), D("150.00"))


def test_time_rounding_applies_per_entry_before_summing() -> None:
    line = only(build([entry(1, minutes=7), entry(2, minutes=7)], rounding=TimeRounding(15, "up")).lines)
    assert (line.minutes, line.quantity) == (30, D("0.50"))


def test_different_activities_and_projects_are_separate_lines_in_name_order() -> None:
    other = (43, "App")
    result = build([entry(1), entry(2, activity=MEETING), entry(3, project=other)])
    assert [line.text for line in result.lines] == [
        "App · Umsetzung · 23.11.2026",
        "Website Relaunch · Meeting · 23.11.2026",
        "Website Relaunch · Umsetzung · 23.11.2026",
    ]


def test_a_different_rate_snapshot_splits_the_line() -> None:
    result = build([entry(1, rate=D("150")), entry(2, rate=D("160")), entry(3, rate=D("150.00"))])
    assert [(line.unit_price, line.entry_ids) for line in result.lines] == [
        (D("150.00"), (1, 3)),
        (D("160.00"), (2,)),
    ]


def test_a_period_across_a_vat_change_yields_separate_lines_in_date_order() -> None:
    result = build(
        [entry(1, day=date(2024, 1, 2)), entry(2, day=date(2023, 12, 28)), entry(3, day=date(2024, 1, 3))]
    )
    assert [(line.tax, line.entry_ids) for line in result.lines] == [(UN77, (2,)), (UN81, (1, 3))]
    assert len({line.key for line in result.lines}) == 2


def test_activity_tax_kind_is_used() -> None:
    line = only(build([entry(1, tax_kind="UR")]).lines)
    assert line.tax == UR26


def test_by_day_adds_the_date() -> None:
    days = [date(2026, 11, 24), date(2026, 11, 23), date(2026, 11, 24)]
    result = build([entry(i, day=d) for i, d in enumerate(days, 1)], grouping=Grouping.BY_DAY)
    assert [(line.text, line.entry_ids) for line in result.lines] == [
        ("Website Relaunch · Umsetzung · 23.11.2026", (2,)),
        ("Website Relaunch · Umsetzung · 24.11.2026", (1, 3)),
    ]
    assert [line.key for line in result.lines] == [
        "h:42:7:150.00:14:3400:2026-11-23",
        "h:42:7:150.00:14:3400:2026-11-24",
    ]


def test_per_entry_is_one_line_each_with_the_note() -> None:
    result = build([entry(2, note="checkout bug"), entry(1)], grouping=Grouping.PER_ENTRY)
    assert [(line.key, line.text) for line in result.lines] == [
        ("h:e1", "Website Relaunch · Umsetzung · 23.11.2026"),
        ("h:e2", "Website Relaunch · Umsetzung · 23.11.2026: checkout bug"),
    ]


@pytest.mark.parametrize("grouping", list(Grouping))
def test_keys_and_order_do_not_depend_on_input_order(grouping: Grouping) -> None:
    entries = [
        entry(
            i,
            day=date(2023, 12, 20 + i % 12) if i % 3 else date(2024, 1, i % 28 + 1),
            rate=D(140 + i % 3 * 10),
        )
        for i in range(1, 40)
    ] + [fixed_entry(100 + i, day=date(2026, 1, i + 1)) for i in range(5)]
    expenses = [expense(i, day=date(2024, 1, i + 1), category=(i % 2, f"Cat {i % 2}")) for i in range(6)]
    first = build(entries, expenses, grouping=grouping)
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)
    second = build(shuffled, list(reversed(expenses)), grouping=grouping)
    assert [line.key for line in first.lines] == [line.key for line in second.lines]
    assert first.lines == second.lines


def test_keys_differ_between_groupings() -> None:
    entries = [entry(1)]
    keys = {only(build(entries, grouping=g).lines).key for g in Grouping}
    assert len(keys) == 3


# --- problems -------------------------------------------------------------------------------


def test_missing_rate_keeps_the_line_and_names_the_activity() -> None:
    result = build([entry(1, rate=None, activity=MEETING)])
    line = only(result.lines)
    assert (line.unit_price, line.amount, line.quantity) == (D("0.00"), D("0.00"), D("1.00"))
    assert describe_line(line) == "Website Relaunch · Meeting · 23.11.2026 · 1.00 h · no hourly rate"
    assert [p.line_key for p in result.problems] == [line.key]
    assert result.problems[0].message == (
        "Meeting has no hourly rate — set one in bexio (Business activities) or with "
        "`bxhours settings set activity_rate:Meeting 150`"
    )


def test_missing_rate_per_employee_names_the_person() -> None:
    result = build([entry(1, rate=None, invoice_type=InvoiceType.PER_EMPLOYEE, person="bea@example.ch")])
    assert "person_rate:bea@example.ch" in result.problems[0].message


def test_missing_rate_per_project_names_the_project() -> None:
    result = build([entry(1, rate=None, invoice_type=InvoiceType.PER_PROJECT)])
    assert result.problems[0].message.startswith("Website Relaunch is billed per project")


def test_missing_account_is_named_with_where_to_map_it() -> None:
    result = build([entry(1, account_id=None)])
    assert (
        result.problems[0].message
        == "Umsetzung has no bexio account — map it in the App Home → Account mapping"
    )


def test_an_inactive_tax_is_a_problem_not_a_crash() -> None:
    result = build([entry(1, tax_kind="US")])
    line = only(result.lines)
    assert line.tax is None
    assert "US38" in result.problems[0].message


def test_problems_for_only_the_ticked_lines_deduplicated() -> None:
    result = build(
        [
            entry(1, account_id=None, day=date(2026, 11, 2)),
            entry(2, account_id=None, day=date(2026, 11, 3)),
            entry(3),
        ],
        grouping=Grouping.BY_DAY,
    )
    keys = [line.key for line in result.lines]
    assert len(result.problems) == 2
    assert result.problems_for(keys) == (
        "Umsetzung has no bexio account — map it in the App Home → Account mapping",
    )
    assert result.problems_for([keys[2]]) == ()


# --- fixed price ----------------------------------------------------------------------------


def test_fixed_price_first_draft_bills_the_amount_and_lists_the_hours() -> None:
    result = build([fixed_entry(1, minutes=450), fixed_entry(2, minutes=300, day=date(2026, 11, 25))])
    fixed, text = result.lines
    assert fixed.kind is LineKind.FIXED
    assert (fixed.text, fixed.quantity, fixed.unit_price, fixed.amount) == (
        "Intranet · Pauschalpreis",
        D(1),
        D("5000.00"),
        D("5000.00"),
    )
    assert (fixed.tax, fixed.project_id, fixed.entry_ids, fixed.key) == (UN81, 50, (), "f:50")
    assert describe_line(fixed) == "Intranet · Pauschalpreis · 5'000.00"
    assert text.kind is LineKind.TEXT
    assert (text.text, text.amount, text.tax, text.entry_ids) == (
        "Intranet · Umsetzung: 12.50 h",
        D("0.00"),
        None,
        (1, 2),
    )
    assert describe_line(text) == "Intranet · Umsetzung: 12.50 h"
    assert result.problems == ()


def test_fixed_price_takes_the_tax_of_the_latest_entry_date() -> None:
    result = build([fixed_entry(1, day=date(2023, 12, 1)), fixed_entry(2, day=date(2024, 1, 5))])
    assert result.lines[0].tax == UN81
    result = build([fixed_entry(1, day=date(2023, 11, 1)), fixed_entry(2, day=date(2023, 12, 5))])
    assert result.lines[0].tax == UN77


def test_fixed_price_already_billed_lists_only_the_hours() -> None:
    result = build([fixed_entry(1), fixed_entry(2)], billed=frozenset({50}))
    assert [line.kind for line in result.lines] == [LineKind.TEXT]


def test_fixed_price_without_amount_is_a_problem() -> None:
    result = build([fixed_entry(1, fixed_amount=None)])
    assert "no amount" in result.problems[0].message
    assert result.problems[0].line_key == "f:50"


def test_fixed_price_text_lines_follow_the_grouping() -> None:
    entries = [fixed_entry(1, note="kickoff"), fixed_entry(2, day=date(2026, 11, 24))]
    texts = [line.text for line in build(entries, grouping=Grouping.PER_ENTRY, billed=frozenset({50})).lines]
    assert texts == [
        "Intranet · Umsetzung · 23.11.2026: 1.00 h — kickoff",
        "Intranet · Umsetzung · 24.11.2026: 1.00 h",
    ]


# --- expenses -------------------------------------------------------------------------------


def test_expenses_one_line_per_category_net_of_vat() -> None:
    result = build([], [expense(1, "84.50"), expense(2, "10.00"), expense(3, "20", category=(4, "Material"))])
    material, travel = result.lines
    assert travel.kind is LineKind.EXPENSE
    # (84.50 + 10.00) / 1.081 = 87.419… → 87.42
    assert (travel.text, travel.quantity, travel.unit, travel.unit_price, travel.amount) == (
        "Reisekosten · 23.11.2026 (CHF 94.50 incl. 8.1 % VAT)",
        D(1),
        "",
        D("87.42"),
        D("87.42"),
    )
    assert (travel.expense_ids, travel.entry_ids, travel.tax, travel.account_id) == ((1, 2), (), UN81, 6500)
    assert describe_line(travel) == "Reisekosten · 23.11.2026 (CHF 94.50 incl. 8.1 % VAT) · 87.42"
    # 20 / 1.081 = 18.501…
    assert (material.text, material.amount) == (
        "Material · 23.11.2026 (CHF 20.00 incl. 8.1 % VAT)",
        D("18.50"),
    )


def test_expenses_split_by_tax_and_follow_the_grouping() -> None:
    result = build([], [expense(1, tax_kind="UR"), expense(2)])
    assert [(line.tax, line.expense_ids) for line in result.lines] == [(UN81, (2,)), (UR26, (1,))]
    per_entry = build([], [expense(1, note="train")], grouping=Grouping.PER_ENTRY)
    assert only(per_entry.lines).text == "Reisekosten · 23.11.2026: train (CHF 84.50 incl. 8.1 % VAT)"


def test_expense_without_account_names_the_category() -> None:
    result = build([], [expense(1, account_id=None)])
    assert (
        result.problems[0].message
        == "Reisekosten has no bexio account — map it in the App Home → Account mapping"
    )


def test_hours_come_before_expenses() -> None:
    result = build([entry(1)], [expense(1)])
    assert [line.kind for line in result.lines] == [LineKind.HOURS, LineKind.EXPENSE]


def test_too_many_lines() -> None:
    assert too_many_lines(MAX_INVOICE_LINES, Grouping.PER_ENTRY) is None
    message = too_many_lines(MAX_INVOICE_LINES + 1, Grouping.PER_ENTRY)
    assert message is not None
    assert "group by activity" in message
    assert "group by" not in (too_many_lines(151, Grouping.BY_ACTIVITY) or "")


# --- properties -----------------------------------------------------------------------------

entries_strategy = st.lists(
    st.builds(
        entry,
        entry_id=st.integers(min_value=1, max_value=10**6),
        day=st.dates(min_value=date(2023, 11, 1), max_value=date(2024, 2, 28)),
        minutes=st.integers(min_value=1, max_value=1440),
        rate=st.one_of(st.none(), st.decimals(min_value=1, max_value=400, places=2)),
        activity=st.sampled_from([UMSETZUNG, MEETING]),
        invoice_type=st.sampled_from([InvoiceType.PER_ACTIVITY, InvoiceType.FIXED_PRICE, None]),
        fixed_amount=st.one_of(st.none(), st.decimals(min_value=100, max_value=10**5, places=2)),
    ),
    max_size=30,
    unique_by=lambda e: e.entry_id,
)


@given(
    entries_strategy,
    st.sampled_from(list(Grouping)),
    st.sampled_from([NO_ROUNDING, TimeRounding(15, "up"), TimeRounding(6, "nearest")]),
)
def test_every_entry_is_on_exactly_one_line_and_amounts_add_up(
    entries: list[BillableEntry], grouping: Grouping, rounding: TimeRounding
) -> None:
    result = build(entries, grouping=grouping, rounding=rounding)
    listed = [i for line in result.lines for i in line.entry_ids]
    assert sorted(listed) == sorted(e.entry_id for e in entries)
    assert len({line.key for line in result.lines}) == len(result.lines)
    for line in result.lines:
        assert line.amount == (line.quantity * line.unit_price).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        if line.kind is LineKind.HOURS:
            assert line.minutes == sum(
                rounding.apply(e.minutes) for e in entries if e.entry_id in line.entry_ids
            )
    assert {p.line_key for p in result.problems} <= {line.key for line in result.lines}
