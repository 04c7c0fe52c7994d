"""Account mapping: which bexio income account each activity and expense category is booked to.

bexio accepts only active income accounts (``account_type`` 1) on invoice lines, so only those
are offered. An activity follows bexio's own ``account_id`` until an admin maps it to another
account; choosing bexio's default again removes the mapping. Expense categories live only in
bxhours, so their account is simply what the admin chose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.i18n import _
from core.invoice_lines import InvoiceLine, LineKind
from core.matching import normalise_name
from storage.models import Account, Activity, AuditLog, Expense, ExpenseCategory, TimeEntry

INCOME = 1
MAX_OPTIONS = 100
USUAL_INCOME_ACCOUNT = "3400"
"""The Swiss SME chart's "Dienstleistungserlöse": proposed when no activity names an account."""

RowKind = Literal["activity", "category"]


@dataclass(frozen=True, slots=True)
class AccountChoice:
    bexio_id: int
    account_no: str
    name: str

    @property
    def label(self) -> str:
        """`3400 Dienstleistungserlöse`, as bexio lists its chart of accounts."""
        return f"{self.account_no} {self.name}"


@dataclass(frozen=True, slots=True)
class MappingRow:
    kind: RowKind
    id: int
    name: str
    account: AccountChoice | None
    """The account its lines are booked to now (None: unmapped, invoicing is blocked)."""
    bexio_default: AccountChoice | None
    """An activity's own account in bexio (categories have none)."""


def _choice(account: Account) -> AccountChoice:
    return AccountChoice(account.bexio_id, account.account_no, account.name)


async def income_accounts(
    session: AsyncSession, query: str = "", limit: int = MAX_OPTIONS
) -> list[AccountChoice]:
    """Active income accounts whose number starts with, or whose name contains, what was typed."""
    wanted = normalise_name(query)
    rows = await session.scalars(
        select(Account)
        .where(Account.account_type == INCOME, Account.active.is_(True))
        .order_by(Account.account_no, Account.bexio_id)
    )
    found = [
        _choice(a)
        for a in rows
        if not wanted or a.account_no.startswith(wanted) or wanted in normalise_name(a.name)
    ]
    return found[:limit]


async def mapping_rows(session: AsyncSession) -> list[MappingRow]:
    """Every active activity, then every active expense category, each with its current account."""
    accounts = {a.bexio_id: _choice(a) for a in await session.scalars(select(Account))}
    rows: list[MappingRow] = []
    activities = await session.scalars(
        select(Activity).where(Activity.active.is_(True)).order_by(Activity.name, Activity.id)
    )
    for activity in activities:
        current = activity.account_id
        rows.append(
            MappingRow(
                "activity",
                activity.id,
                activity.name,
                accounts.get(current) if current is not None else None,
                accounts.get(activity.bexio_account_id) if activity.bexio_account_id is not None else None,
            )
        )
    categories = await session.scalars(
        select(ExpenseCategory).where(ExpenseCategory.active.is_(True)).order_by(ExpenseCategory.name)
    )
    for category in categories:
        current = category.account_id
        rows.append(
            MappingRow(
                "category", category.id, category.name, accounts.get(current) if current else None, None
            )
        )
    return rows


async def save_mapping(
    session: AsyncSession,
    changes: Mapping[tuple[RowKind, int], int | None],
    *,
    actor: str,
    now: Callable[[], datetime],
) -> dict[tuple[RowKind, int], str]:
    """Store the chosen accounts; returns row → message for the choices that cannot be used."""
    income = {a.bexio_id: a for a in await income_accounts(session, limit=10_000)}
    errors: dict[tuple[RowKind, int], str] = {}
    moment = now()
    for (kind, row_id), account_id in changes.items():
        if account_id is not None and account_id not in income:
            errors[(kind, row_id)] = _(
                "bexio accepts only active income accounts on invoice lines — choose one of those."
            )
            continue
        if kind == "activity":
            activity = await session.get(Activity, row_id)
            if activity is None:
                continue
            activity.mapped_account_id = None if account_id == activity.bexio_account_id else account_id
            activity.updated_at = moment
            name = activity.name
        else:
            category = await session.get(ExpenseCategory, row_id)
            if category is None:
                continue
            category.account_id = account_id
            name = category.name
        session.add(
            AuditLog(
                actor=actor,
                action="account_mapping.set",
                subject_type=kind,
                subject_id=str(row_id),
                details={"name": name, "account_id": account_id},
                created_at=moment,
            )
        )
    return errors


@dataclass(frozen=True, slots=True)
class MissingAccount:
    """An activity or expense category whose lines cannot be booked: no income account yet."""

    kind: RowKind
    id: int
    name: str
    line_keys: tuple[str, ...]


class ProposalChanged(DomainError):
    """The proposal an admin confirmed is not the one bxhours proposes now (or there is none)."""


async def missing_accounts(session: AsyncSession, lines: Sequence[InvoiceLine]) -> list[MissingAccount]:
    """The activities and categories behind ``lines`` that have no account, each with its lines —
    so the preview can offer the account select right where the line is."""
    without = [line for line in lines if line.account_id is None and line.kind is not LineKind.TEXT]
    entry_ids = {i for line in without for i in line.entry_ids}
    expense_ids = {i for line in without for i in line.expense_ids}
    activity_of: dict[int, int] = {}
    category_of: dict[int, int] = {}
    if entry_ids:
        rows = await session.execute(
            select(TimeEntry.id, TimeEntry.activity_id).where(TimeEntry.id.in_(sorted(entry_ids)))
        )
        activity_of = {entry: activity for entry, activity in rows if activity is not None}
    if expense_ids:
        rows = await session.execute(
            select(Expense.id, Expense.category_id).where(Expense.id.in_(sorted(expense_ids)))
        )
        category_of = {expense: category for expense, category in rows if category is not None}
    found: dict[tuple[RowKind, int], list[str]] = {}
    for line in without:
        for activity in dict.fromkeys(activity_of[i] for i in line.entry_ids if i in activity_of):
            found.setdefault(("activity", activity), []).append(line.key)
        for category in dict.fromkeys(category_of[i] for i in line.expense_ids if i in category_of):
            found.setdefault(("category", category), []).append(line.key)
    names: dict[tuple[RowKind, int], str] = {}
    activity_ids = [row_id for kind, row_id in found if kind == "activity"]
    category_ids = [row_id for kind, row_id in found if kind == "category"]
    if activity_ids:
        for row_id, name in await session.execute(
            select(Activity.id, Activity.name).where(Activity.id.in_(activity_ids))
        ):
            names[("activity", row_id)] = name
    if category_ids:
        for row_id, name in await session.execute(
            select(ExpenseCategory.id, ExpenseCategory.name).where(ExpenseCategory.id.in_(category_ids))
        ):
            names[("category", row_id)] = name
    return [
        MissingAccount(kind, row_id, names.get((kind, row_id), "?"), tuple(dict.fromkeys(keys)))
        for (kind, row_id), keys in found.items()
    ]


async def proposed_account(session: AsyncSession) -> AccountChoice | None:
    """The income account bxhours proposes for expense categories without one (issue 15 §5): the
    one most used by the imported activities, else 3400, else the first active income account.
    Only a proposal: nothing is booked to it until an admin confirms it (`confirm_proposal`)."""
    income = await income_accounts(session, limit=10_000)
    if not income:
        return None
    by_id = {account.bexio_id: account for account in income}
    used = Counter(
        account
        for mapped, own in await session.execute(
            select(Activity.mapped_account_id, Activity.bexio_account_id).where(Activity.active.is_(True))
        )
        if (account := mapped if mapped is not None else own) in by_id
    )
    if used:
        most = max(used.values())
        return min((by_id[a] for a, n in used.items() if n == most), key=lambda a: (a.account_no, a.bexio_id))
    usual = next((a for a in income if a.account_no == USUAL_INCOME_ACCOUNT), None)
    return usual or income[0]


async def categories_without_account(session: AsyncSession) -> list[ExpenseCategory]:
    rows = await session.scalars(
        select(ExpenseCategory)
        .where(ExpenseCategory.active.is_(True), ExpenseCategory.account_id.is_(None))
        .order_by(ExpenseCategory.name)
    )
    return list(rows)


async def confirm_proposal(
    session: AsyncSession, account_id: int, *, actor: str, now: Callable[[], datetime]
) -> int:
    """An admin's one click: book every active expense category without an account to the proposed
    account. ``account_id`` is what the admin saw; when bxhours proposes another one now (or none),
    `ProposalChanged` — nothing is stored. Returns how many categories were booked."""
    proposal = await proposed_account(session)
    if proposal is None or proposal.bexio_id != account_id:
        raise ProposalChanged(_("The proposed account changed meanwhile — check the new proposal."))
    categories = await categories_without_account(session)
    errors = await save_mapping(
        session, {("category", c.id): account_id for c in categories}, actor=actor, now=now
    )
    return len(categories) - len(errors)
