"""Account mapping: which bexio income account each activity and expense category is booked to.

bexio accepts only active income accounts (``account_type`` 1) on invoice lines, so only those
are offered. An activity follows bexio's own ``account_id`` until an admin maps it to another
account; choosing bexio's default again removes the mapping. Expense categories live only in
bxhours, so their account is simply what the admin chose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from core.matching import normalise_name
from storage.models import Account, Activity, AuditLog, ExpenseCategory

INCOME = 1
MAX_OPTIONS = 100

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
