"""One person's week: what they logged per day, totals, and what they may still change.

Shown in the App Home and by `/log-hours week`. Entries an invoice owns, and hours imported from
bexio, are listed read-only with the reason, so nobody edits work that was already billed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import select

from core.absences import WORKING_DAYS_PER_WEEK, AbsenceDay, is_full_day
from core.clock import to_local
from core.dates import week_bounds
from core.i18n import N_, _
from services.absences import absence_days
from services.entry_lookup import invoice_numbers, linked_person, lock_reason
from services.writeback.remarks import remark
from storage.db import Database
from storage.models import Activity, Expense, ExpenseCategory, Project, TimeEntry

IMPORTED_NOTE = N_("imported from bexio")


@dataclass(frozen=True, slots=True)
class WeekItem:
    kind: Literal["time", "expense"]
    id: int
    day: date
    project: str
    detail: str
    """The activity of an entry, the category of an expense."""
    minutes: int | None
    amount: Decimal | None
    billable: bool
    note: str
    locked: str | None
    """Why it can no longer be changed (its invoice, or imported from bexio); None: it can."""
    bexio: str | None = None
    """What the write-back says about it: "not in bexio: …", "changed in bexio: 2:15 h" (issue 16)."""


@dataclass(frozen=True, slots=True)
class WeekDay:
    day: date
    items: tuple[WeekItem, ...]
    absences: tuple[AbsenceDay, ...] = ()
    """The person's absences that day (issue 16 §8): a full-day one makes it no working day."""

    @property
    def working(self) -> bool:
        return self.day.weekday() < WORKING_DAYS_PER_WEEK and not is_full_day(self.absences)

    @property
    def minutes(self) -> int:
        return sum(item.minutes or 0 for item in self.items)


@dataclass(frozen=True, slots=True)
class WeekView:
    monday: date
    today: date
    days: tuple[WeekDay, ...]

    @property
    def total_minutes(self) -> int:
        return sum(day.minutes for day in self.days)

    @property
    def billable_minutes(self) -> int:
        return sum(i.minutes or 0 for day in self.days for i in day.items if i.billable)

    @property
    def expenses_total(self) -> Decimal:
        return sum((i.amount or Decimal(0) for day in self.days for i in day.items), Decimal("0.00"))

    @property
    def absent_days(self) -> Decimal:
        """Working days (Monday to Friday) away: 1 for a full-day absence, 0.5 for a half day."""
        total = Decimal(0)
        for day in self.days:
            if day.absences and day.day.weekday() < WORKING_DAYS_PER_WEEK:
                total += Decimal(1) if is_full_day(day.absences) else Decimal("0.5")
        return total

    @property
    def is_current(self) -> bool:
        return self.monday <= self.today <= self.monday + timedelta(days=6)


class WeekService:
    def __init__(self, db: Database, now: Callable[[], datetime], timezone: str) -> None:
        self.db = db
        self.now = now
        self.timezone = timezone

    def today(self) -> date:
        return to_local(self.now(), self.timezone).date()

    async def load(self, tenant_id: int, slack_user_id: str, week_of: date | None = None) -> WeekView | None:
        """The week containing ``week_of`` (default: this week); None for someone not linked."""
        today = self.today()
        monday, sunday = week_bounds(week_of or today)
        async with self.db.session(tenant_id) as session:
            person = await linked_person(session, slack_user_id)
            if person is None:
                return None
            entries = (
                await session.execute(
                    select(TimeEntry, Project.name, Activity.name)
                    .outerjoin(Project, TimeEntry.project_id == Project.id)
                    .outerjoin(Activity, TimeEntry.activity_id == Activity.id)
                    .where(TimeEntry.user_id == person.id, TimeEntry.day.between(monday, sunday))
                    .order_by(TimeEntry.day, TimeEntry.created_at, TimeEntry.id)
                )
            ).all()
            expenses = (
                await session.execute(
                    select(Expense, Project.name, ExpenseCategory.name)
                    .outerjoin(Project, Expense.project_id == Project.id)
                    .outerjoin(ExpenseCategory, Expense.category_id == ExpenseCategory.id)
                    .where(Expense.user_id == person.id, Expense.day.between(monday, sunday))
                    .order_by(Expense.day, Expense.created_at, Expense.id)
                )
            ).all()
            numbers = await invoice_numbers(
                session, [e.invoice_id for e, _p, _a in entries] + [x.invoice_id for x, _p, _c in expenses]
            )
            away = await absence_days(session, person.id, monday, sunday)
        items: list[WeekItem] = []
        for entry, project, activity in entries:
            locked = lock_reason(entry.status, entry.invoice_id, numbers)
            items.append(
                WeekItem(
                    kind="time",
                    id=entry.id,
                    day=entry.day,
                    project=project or _("(no project)"),
                    detail=activity or _("(no activity)"),
                    minutes=entry.minutes,
                    amount=None,
                    billable=entry.billable,
                    note=entry.note,
                    locked=locked or (_(IMPORTED_NOTE) if entry.source == "bexio" else None),
                    bexio=remark(entry.writeback_state, entry.writeback_reason, entry.bexio_changed_minutes),
                )
            )
        for expense, project, category in expenses:
            items.append(
                WeekItem(
                    kind="expense",
                    id=expense.id,
                    day=expense.day,
                    project=project or _("(no project)"),
                    detail=category or _("(no category)"),
                    minutes=None,
                    amount=expense.amount,
                    billable=expense.billable,
                    note=expense.note,
                    locked=lock_reason(expense.status, expense.invoice_id, numbers),
                )
            )
        days = tuple(
            WeekDay(
                monday + timedelta(days=offset),
                tuple(i for i in items if i.day == monday + timedelta(days=offset)),
                tuple(away.get(monday + timedelta(days=offset), ())),
            )
            for offset in range(7)
        )
        return WeekView(monday=monday, today=today, days=days)
