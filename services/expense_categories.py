"""Expense categories: what an expense is for, whether it is billed, its sales tax and bexio account.

bexio has no such list, so bxhours keeps it and admins manage it (`bxhours categories`). A tenant
starts with Reisekosten, Spesen and Material; they are created the first time the tenant's
categories are read, so a fresh install needs no extra step and an admin's later changes
(renamed, deactivated) are never undone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.matching import normalise_name
from core.settings_schema import parse_tax_code
from storage.db import TENANT_KEY, Database
from storage.models import Account, AuditLog, ExpenseCategory, Tax

DEFAULT_CATEGORIES = ("Reisekosten", "Spesen", "Material")
DEFAULT_CATEGORY = "Spesen"
"""The category of an expense logged without one."""
INCOME_ACCOUNT_TYPE = 1
MAX_NAME_LENGTH = 100


class CategoryError(DomainError):
    """A category change that cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: int
    name: str
    billable_default: bool
    tax_code: str | None
    """None: the tenant's `default_sales_tax`."""
    account_no: str | None
    active: bool


async def ensure_default_categories(session: AsyncSession) -> None:
    """Create the starting categories when the tenant has none at all (safe to race)."""
    if await session.scalar(select(func.count()).select_from(ExpenseCategory)):
        return
    tenant_id = session.info[TENANT_KEY]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(ExpenseCategory)
        .values(
            [
                {"tenant_id": tenant_id, "name": name, "billable_default": True, "active": True}
                for name in DEFAULT_CATEGORIES
            ]
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "name"])
    )


class ExpenseCategoryService:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    async def list(self, tenant_id: int, *, include_inactive: bool = False) -> list[CategoryRow]:
        async with self.db.session(tenant_id) as session:
            await ensure_default_categories(session)
            query = select(ExpenseCategory).order_by(ExpenseCategory.name)
            if not include_inactive:
                query = query.where(ExpenseCategory.active.is_(True))
            categories = list(await session.scalars(query))
            accounts = await _account_numbers(session, [c.account_id for c in categories])
            return [_row(c, accounts) for c in categories]

    async def save(
        self,
        tenant_id: int,
        name: str,
        *,
        actor: str,
        billable: bool | None = None,
        tax_code: str | None = None,
        account_no: str | None = None,
    ) -> CategoryRow:
        """Create the category, or change the given fields of an existing one (found by name,
        case-insensitively). A tax code of "default" returns it to the tenant's default tax."""
        clean = " ".join(name.split())
        if not clean or len(clean) > MAX_NAME_LENGTH:
            raise CategoryError(f"A category needs a name of 1 to {MAX_NAME_LENGTH} characters.")
        async with self.db.session(tenant_id) as session:
            await ensure_default_categories(session)
            category = await _by_name(session, clean)
            if category is None:
                category = ExpenseCategory(name=clean, billable_default=True, active=True)
                session.add(category)
            category.active = True
            if billable is not None:
                category.billable_default = billable
            if tax_code is not None:
                category.tax_code = await _checked_tax(session, tax_code)
            if account_no is not None:
                category.account_id = await _checked_account(session, account_no)
            await session.flush()
            return await self._recorded(session, category, "expense_category.saved", actor)

    async def deactivate(self, tenant_id: int, name: str, *, actor: str) -> CategoryRow:
        """Hide a category from new expenses; expenses already logged keep it."""
        async with self.db.session(tenant_id) as session:
            await ensure_default_categories(session)
            category = await _by_name(session, name)
            if category is None:
                known = ", ".join(
                    await session.scalars(select(ExpenseCategory.name).order_by(ExpenseCategory.name))
                )
                raise CategoryError(f"There is no category “{name.strip()}”. Categories: {known}.")
            category.active = False
            return await self._recorded(session, category, "expense_category.deactivated", actor)

    async def _recorded(
        self, session: AsyncSession, category: ExpenseCategory, action: str, actor: str
    ) -> CategoryRow:
        """Audit a change to a category and answer with the row as it now stands."""
        session.add(
            AuditLog(
                actor=actor,
                action=action,
                subject_type="expense_category",
                subject_id=str(category.id),
                details={"name": category.name},
                created_at=self.now(),
            )
        )
        accounts = await _account_numbers(session, [category.account_id])
        return _row(category, accounts)


async def _by_name(session: AsyncSession, name: str) -> ExpenseCategory | None:
    wanted = normalise_name(name)
    for category in await session.scalars(select(ExpenseCategory)):
        if normalise_name(category.name) == wanted:
            return category
    return None


async def _checked_tax(session: AsyncSession, typed: str) -> str | None:
    if typed.strip().lower() == "default":
        return None
    try:
        code = parse_tax_code(typed)
    except ValueError as exc:
        raise CategoryError(f"Sales tax {typed.strip()!r}: {exc}.") from None
    codes = set(await session.scalars(select(Tax.code).where(Tax.type == "sales_tax")))
    if codes and code not in codes:
        raise CategoryError(
            f"bexio has no sales tax {code}. Sales taxes: {', '.join(sorted(c for c in codes if c))}."
        )
    return code


async def _checked_account(session: AsyncSession, account_no: str) -> int:
    number = account_no.strip()
    account = await session.scalar(select(Account).where(Account.account_no == number))
    if account is None:
        if await session.scalar(select(func.count()).select_from(Account)) == 0:
            raise CategoryError("No bexio accounts are imported yet — run `/bx-sync` first.")
        raise CategoryError(f"bexio has no account {number}.")
    if account.account_type != INCOME_ACCOUNT_TYPE or not account.active:
        raise CategoryError(
            f"Account {number} {account.name} is not an active income account — bexio books invoice "
            "lines only to income accounts (e.g. 3400)."
        )
    return account.bexio_id


async def _account_numbers(session: AsyncSession, bexio_ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in bexio_ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Account.bexio_id, Account.account_no).where(Account.bexio_id.in_(wanted))
    )
    return {bexio_id: number for bexio_id, number in rows}


def _row(category: ExpenseCategory, accounts: dict[int, str]) -> CategoryRow:
    return CategoryRow(
        id=category.id,
        name=category.name,
        billable_default=category.billable_default,
        tax_code=category.tax_code,
        account_no=accounts.get(category.account_id) if category.account_id is not None else None,
        active=category.active,
    )
