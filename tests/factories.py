"""Test data for logging: the demo company's master data (``bxhours.fakes.master_data``) in a
running stack with a clock the test controls, and a few rows the import or invoicing would write.

The import is built elsewhere; until then these tests insert master data the way it stores it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bxhours.fakes.master_data import SeededCompany, seed_master_data
from bxhours.fakes.stack import Stack, run_stack
from core.clock import ManualClock
from storage.db import Database
from storage.models import AuditLog, Expense, Invoice, TimeEntry, User

MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""Monday 23 November 2026, 10:00 in Zurich: "yesterday" is Sunday 22.11., `fri` is 20.11."""


@dataclass
class LoggingStack:
    stack: Stack
    company: SeededCompany
    clock: ManualClock

    @property
    def db(self) -> Database:
        return self.stack.runtime.db

    @property
    def tenant_id(self) -> int:
        return self.stack.tenant_id


@contextlib.asynccontextmanager
async def logging_stack(
    database_url: str, *, now: datetime = MONDAY_MORNING, bexio_url: str | None = None
) -> AsyncIterator[LoggingStack]:
    clock = ManualClock(now)
    async with run_stack(database_url, bexio_url=bexio_url, now=clock.now) as stack:
        company = await seed_master_data(stack.runtime.db, stack.tenant_id, clock.now)
        yield LoggingStack(stack, company, clock)


@dataclass
class Reply:
    """What a person saw after a command or click: the inline acknowledgement, or the message
    posted to the ``response_url`` afterwards."""

    inline: str
    hook: dict[str, Any] | None

    @property
    def text(self) -> str:
        return self.hook["text"] if self.hook is not None else self.inline

    def button(self, action_id: str, label: str | None = None) -> dict[str, Any]:
        assert self.hook is not None, self.inline
        for block in self.hook.get("blocks", []):
            elements = (
                block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory")]
            )
            for element in elements:
                wanted = element and element.get("action_id") == action_id
                if wanted and (label is None or label in element["text"]["text"]):
                    return element
        raise AssertionError(f"no {action_id} button {label or ''} in {self.hook}")

    def buttons(self, action_id: str) -> list[str]:
        assert self.hook is not None
        return [
            element["text"]["text"]
            for block in self.hook.get("blocks", [])
            if block.get("type") == "actions"
            for element in block["elements"]
            if element.get("action_id") == action_id
        ]


async def _next_hook(ls: LoggingStack, before: int) -> dict[str, Any]:
    hooks = ls.stack.fake.hooks
    return await ls.stack.fake.wait_for_hook(lambda body: any(body is h for _p, h in hooks[before:]))


async def send(ls: LoggingStack, user: str, command: str, text: str, *, expect_hook: bool = True) -> Reply:
    """A signed slash command; waits for the answer sent through the response URL, if any."""
    before = len(ls.stack.fake.hooks)
    response = await ls.stack.slack.command(command, text, user_id=user)
    assert response.status == 200, response.text
    if response.text or not expect_hook:
        return Reply(response.text, None)
    return Reply("", await _next_hook(ls, before))


async def click(ls: LoggingStack, user: str, button: dict[str, Any]) -> Reply:
    """A click on a button of an ephemeral message; waits for the message that replaces it."""
    before = len(ls.stack.fake.hooks)
    response = await ls.stack.slack.block_action(user, button["action_id"], value=button.get("value"))
    assert response.status == 200, response.text
    return Reply("", await _next_hook(ls, before))


async def entries(db: Database, tenant_id: int) -> list[TimeEntry]:
    async with db.session(tenant_id) as session:
        return list(await session.scalars(select(TimeEntry).order_by(TimeEntry.id)))


async def expenses(db: Database, tenant_id: int) -> list[Expense]:
    async with db.session(tenant_id) as session:
        return list(await session.scalars(select(Expense).order_by(Expense.id)))


async def audit_rows(db: Database, tenant_id: int, subject_type: str) -> list[AuditLog]:
    async with db.session(tenant_id) as session:
        return list(
            await session.scalars(
                select(AuditLog).where(AuditLog.subject_type == subject_type).order_by(AuditLog.id)
            )
        )


async def user_id(db: Database, tenant_id: int, email: str) -> int:
    async with db.session(tenant_id) as session:
        found = await session.scalar(select(User.id).where(User.email == email))
        assert found is not None, email
        return found


async def add_entry(
    db: Database,
    tenant_id: int,
    *,
    user: int,
    project: int,
    activity: int,
    day: date,
    minutes: int,
    rate: str | None = "150.00",
    billable: bool = True,
    note: str = "",
    source: str = "slack",
    created_at: datetime = MONDAY_MORNING,
) -> int:
    """An entry as an earlier `/log-hours` (or the import, with ``source="bexio"``) stored it."""
    async with db.session(tenant_id) as session:
        entry = TimeEntry(
            user_id=user,
            project_id=project,
            activity_id=activity,
            day=day,
            minutes=minutes,
            note=note,
            billable=billable,
            rate=Decimal(rate) if rate else None,
            rate_source="activity_default" if rate else "missing",
            source=source,
            created_at=created_at,
            updated_at=created_at,
        )
        session.add(entry)
        await session.flush()
        return entry.id


async def invoice(
    db: Database,
    tenant_id: int,
    *,
    customer: int,
    document_nr: str | None,
    entry_ids: Sequence[int] = (),
    expense_ids: Sequence[int] = (),
) -> int:
    """A draft that invoicing created in bexio, owning the given entries and expenses."""
    async with db.session(tenant_id) as session:
        draft = Invoice(
            customer_id=customer,
            title="Leistungen November 2026",
            invoice_date=date(2026, 11, 30),
            document_nr=document_nr,
            status="created" if document_nr else "pending",
            created_at=MONDAY_MORNING,
            updated_at=MONDAY_MORNING,
        )
        session.add(draft)
        await session.flush()
        for entry in await session.scalars(select(TimeEntry).where(TimeEntry.id.in_(list(entry_ids)))):
            entry.invoice_id, entry.status = draft.id, "billed" if document_nr else "reserved"
        for expense in await session.scalars(select(Expense).where(Expense.id.in_(list(expense_ids)))):
            expense.invoice_id, expense.status = draft.id, "billed" if document_nr else "reserved"
        return draft.id
