"""Logging expenses: a receipt's amount (VAT included, CHF) on a project, in a category.

Like hours, the path never calls bexio. The category decides whether the expense is billed by
default and, at invoicing, its sales tax and account.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.dates import format_day
from core.entry_rules import expense_problems
from core.i18n import _, current_language
from core.matching import Candidate, MatchKind, match, normalise_name
from core.money import AmountError, format_money, parse_amount
from core.quick_entry import HOME_CURRENCY, LogExpenseInput, ParseError, parse_log_expense
from services.entry_outcomes import MAX_DETAIL_CHOICES, Choice, ChooseOne, FieldErrors, Refusal
from services.entry_service import EntryService, Started
from services.expense_categories import DEFAULT_CATEGORY, ensure_default_categories
from services.owned_records import RecordKind
from services.settings import TenantSettings
from storage.models import Expense, ExpenseCategory, Project, User


@dataclass(frozen=True, slots=True)
class ExpenseRequest:
    """What a person asked to log; travels in buttons while a choice is pending."""

    amount: Decimal
    day: date
    note: str
    project_query: str | None = None
    project_id: int | None = None
    category_query: str | None = None
    category_id: int | None = None

    @classmethod
    def from_input(cls, parsed: LogExpenseInput) -> ExpenseRequest:
        return cls(
            amount=parsed.amount,
            day=parsed.day,
            note=parsed.note,
            project_query=parsed.project_query,
            category_query=parsed.category_query,
        )


@dataclass(frozen=True, slots=True)
class StoredExpense:
    expense_id: int
    amount: Decimal
    currency: str
    day: date
    project: str
    category: str
    billable: bool

    @property
    def summary(self) -> str:
        return f"{format_money(self.amount, self.currency)} · {self.project} / {self.category} · {format_day(self.day)}"


ExpenseOutcome = StoredExpense | Refusal | ChooseOne[ExpenseRequest]


@dataclass(frozen=True, slots=True)
class ExpenseForm:
    day: date | None
    project_id: int | None
    category_id: int | None
    amount: str
    note: str
    billable: bool


@dataclass(frozen=True, slots=True)
class ExpenseFormDefaults:
    categories: tuple[Choice, ...]
    category_id: int | None
    billable: bool


@dataclass(frozen=True, slots=True)
class ExpenseDraft:
    expense_id: int
    day: date
    project: Choice
    category_id: int
    amount: Decimal
    note: str
    billable: bool
    summary: str
    """`CHF 84.50 · Website Relaunch / Reisekosten · Mon 23.11.`"""


def _audit_details(expense: Expense) -> dict[str, Any]:
    return {
        "day": expense.day.isoformat(),
        "amount": str(expense.amount),
        "project_id": expense.project_id,
        "category_id": expense.category_id,
    }


async def _summary(session: AsyncSession, expense: Expense) -> str:
    project = await session.get(Project, expense.project_id) if expense.project_id else None
    category = await session.get(ExpenseCategory, expense.category_id)
    return (
        f"{format_money(expense.amount, expense.currency)} · {project.name if project else '?'} / "
        f"{category.name if category else '?'} · {format_day(expense.day)}"
    )


EXPENSES_KIND = RecordKind(
    model=Expense,
    noun="expense",
    logged_what="expense",
    subject_type="expense",
    audit_details=_audit_details,
    summary=_summary,
)
"""Whose expenses they are, and what their audit rows keep."""


class ExpenseService(EntryService[Expense]):
    kind = EXPENSES_KIND

    def parse_line(self, text: str) -> LogExpenseInput | ParseError:
        return parse_log_expense(text, self.today(), current_language.get())

    async def _request_problems(
        self, session: AsyncSession, person: User, settings: TenantSettings, request: ExpenseRequest
    ) -> dict[str, str]:
        return dict(
            expense_problems(
                amount=request.amount,
                day=request.day,
                note=request.note,
                today=self.today(),
                allow_future=self.allows_future(settings),
            )
        )

    async def log(self, tenant_id: int, slack_user_id: str, request: ExpenseRequest) -> ExpenseOutcome:
        async with self.db.session(tenant_id) as session:
            started = await self._start(session, tenant_id, slack_user_id, request)
            if not isinstance(started, Started):
                return started
            person, project, request = started.person, started.project, started.request
            category = await self._resolve_category(session, request, project)
            if not isinstance(category, ExpenseCategory):
                return category
            stamp = self.now()
            expense = Expense(
                user_id=person.id,
                project_id=project.id,
                category_id=category.id,
                day=request.day,
                amount=request.amount,
                currency=HOME_CURRENCY,
                note=request.note,
                billable=category.billable_default,
                created_at=stamp,
                updated_at=stamp,
            )
            session.add(expense)
            await session.flush()
            return _stored(expense, project, category)

    async def _resolve_category(
        self, session: AsyncSession, request: ExpenseRequest, project: Project
    ) -> ExpenseCategory | Refusal | ChooseOne[ExpenseRequest]:
        """Clicked or named; omitted → Spesen; unknown → the list to choose from."""
        await ensure_default_categories(session)
        if request.category_id is not None:
            chosen = await session.get(ExpenseCategory, request.category_id)
            if chosen is None or not chosen.active:
                return Refusal(_("That category is no longer in use — pick another one."))
            return chosen
        categories = list(await session.scalars(select(ExpenseCategory).order_by(ExpenseCategory.name)))
        active = [c for c in categories if c.active]
        query = request.category_query or DEFAULT_CATEGORY
        found = match(query, [Candidate(key=c.id, name=c.name, active=c.active) for c in categories])
        unique = found.unique
        if unique is not None and unique.active:
            return next(c for c in categories if c.id == unique.key)
        if found.kind is MatchKind.AMBIGUOUS:
            options = [c for c in active if c.id in {f.key for f in found.found}]
        else:
            options = active
        choices = tuple(Choice(c.id, c.name) for c in options[:MAX_DETAIL_CHOICES])
        return ChooseOne(
            "category",
            request.category_query,
            choices,
            len(options) > len(choices),
            replace(request, category_query=None),
            subject=project.name,
        )

    # -- the form -------------------------------------------------------------------------------

    async def form_defaults(self, tenant_id: int, category_id: int | None = None) -> ExpenseFormDefaults:
        async with self.db.session(tenant_id) as session:
            await ensure_default_categories(session)
            active = list(
                await session.scalars(
                    select(ExpenseCategory)
                    .where(ExpenseCategory.active.is_(True))
                    .order_by(ExpenseCategory.name)
                )
            )
        chosen = next((c for c in active if c.id == category_id), None) or next(
            (c for c in active if normalise_name(c.name) == normalise_name(DEFAULT_CATEGORY)), None
        )
        return ExpenseFormDefaults(
            categories=tuple(Choice(c.id, c.name) for c in active[:100]),
            category_id=chosen.id if chosen else None,
            billable=chosen.billable_default if chosen else True,
        )

    async def submit_form(
        self, tenant_id: int, slack_user_id: str, form: ExpenseForm, *, expense_id: int | None = None
    ) -> StoredExpense | FieldErrors | Refusal:
        async with self.db.session(tenant_id) as session:
            check = await self._check_form(
                session, tenant_id, slack_user_id, form, missing_day=_("Pick the day of the receipt.")
            )
            if isinstance(check, Refusal):
                return check
            person, project = check.person, check.project
            errors: dict[str, str] = {}
            amount = Decimal(0)
            try:
                amount = parse_amount(form.amount)
            except AmountError as exc:
                errors["amount"] = _(
                    "{problem} Amounts are in {currency}, VAT included.",
                    problem=exc.message,
                    currency=HOME_CURRENCY,
                )
            errors.update(check.errors)
            if form.day is not None:
                problems = expense_problems(
                    amount=amount if "amount" not in errors else Decimal(1),
                    day=form.day,
                    note=form.note,
                    today=self.today(),
                    allow_future=self.allows_future(check.settings),
                )
                for field_name, problem in problems.items():
                    errors.setdefault(field_name, problem)
            category = await session.get(ExpenseCategory, form.category_id) if form.category_id else None
            if category is None or not category.active:
                errors["category"] = _("Pick a category.")
            if errors:
                return FieldErrors(errors)
            assert project is not None and category is not None and form.day is not None
            if expense_id is None:
                expense = Expense(user_id=person.id, currency=HOME_CURRENCY, created_at=self.now())
                session.add(expense)
            else:
                found = await self._editable(session, person, slack_user_id, expense_id)
                if isinstance(found, Refusal):
                    return found
                expense = found
            expense.project_id, expense.category_id = project.id, category.id
            expense.day, expense.amount, expense.note = form.day, amount, form.note
            expense.billable, expense.updated_at = form.billable, self.now()
            await session.flush()
            return _stored(expense, project, category)

    async def draft(self, tenant_id: int, slack_user_id: str, expense_id: int) -> ExpenseDraft | Refusal:
        async with self.db.session(tenant_id) as session:
            opened = await self._open_for_edit(session, slack_user_id, expense_id)
            if isinstance(opened, Refusal):
                return opened
            expense = opened.record
            return ExpenseDraft(
                expense_id=expense.id,
                day=expense.day,
                project=opened.project,
                category_id=expense.category_id,
                amount=expense.amount,
                note=expense.note,
                billable=expense.billable,
                summary=opened.summary,
            )


def _stored(expense: Expense, project: Project, category: ExpenseCategory) -> StoredExpense:
    return StoredExpense(
        expense_id=expense.id,
        amount=expense.amount,
        currency=expense.currency,
        day=expense.day,
        project=project.name,
        category=category.name,
        billable=expense.billable,
    )
