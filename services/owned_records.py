"""Who may open, change or delete a logged time entry or expense — one rule for both.

A person only ever touches what they logged themselves, and only while no invoice owns it: once a
record is reserved for a draft or billed, changing it would make bxhours and bexio disagree about
what was billed. Every change and deletion leaves an audit row with what the record was. Hours and
expenses differ only in words (“entry”, “expense”), in what the audit keeps and in their own extra
refusals (an imported entry belongs to bexio), which ``RecordKind`` names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import N_, _
from services.entry_lookup import invoice_numbers, linked_person, lock_reason, not_linked
from services.entry_outcomes import Refusal, Removed
from storage.models import AuditLog, Expense, TimeEntry, User

Record = TypeVar("Record", TimeEntry, Expense)
_GONE = {
    "entry": N_("That entry no longer exists — it may have been deleted already."),
    "expense": N_("That expense no longer exists — it may have been deleted already."),
}
_LOCKED = {
    "entry": N_("That entry can no longer be changed or deleted — it is {reason}."),
    "expense": N_("That expense can no longer be changed or deleted — it is {reason}."),
}


def _no_extra_rule(_record: Any) -> Refusal | None:
    return None


@dataclass(frozen=True, slots=True)
class RecordKind(Generic[Record]):
    """What sets hours and expenses apart where ownership is concerned."""

    model: type[Record]
    noun: str
    """In the refusals: “That entry no longer exists …”."""
    logged_what: str
    """In the not-linked refusal: “… so your hours could not be logged”."""
    subject_type: str
    """The audit's subject type, also the prefix of its actions (``time_entry.changed``)."""
    audit_details: Callable[[Record], dict[str, Any]]
    summary: Callable[[AsyncSession, Record], Awaitable[str]]
    """One line describing the record, shown when it is deleted."""
    extra_refusal: Callable[[Record], Refusal | None] = _no_extra_rule
    """A kind's own reason to refuse, checked before the invoice lock."""


class OwnedRecords(Generic[Record]):
    """The ownership rules of one kind of record, inside the caller's unit of work."""

    def __init__(
        self, kind: RecordKind[Record], admin_ids: Collection[str], now: Callable[[], datetime]
    ) -> None:
        self.kind: RecordKind[Record] = kind
        self.admin_ids = admin_ids
        self.now = now

    async def person(self, session: AsyncSession, slack_user_id: str) -> User | Refusal:
        """The linked, active bxhours user behind a Slack user, or who can link them."""
        person = await linked_person(session, slack_user_id)
        if person is None:
            return await not_linked(session, self.admin_ids, self.kind.logged_what)
        return person

    async def own(self, session: AsyncSession, person: User, record_id: int) -> Record | Refusal:
        """The record if this person may still change it; else why not."""
        noun = self.kind.noun
        record: Record | None = await session.get(self.kind.model, record_id)
        if record is None or record.user_id != person.id:
            return Refusal(_(_GONE[noun]))
        refused = self.kind.extra_refusal(record)
        if refused is not None:
            return refused
        numbers = await invoice_numbers(session, [record.invoice_id])
        locked = lock_reason(record.status, record.invoice_id, numbers)
        if locked is not None:
            return Refusal(_(_LOCKED[noun], reason=locked))
        return record

    async def open(self, session: AsyncSession, slack_user_id: str, record_id: int) -> Record | Refusal:
        """``own`` for a Slack user: linked first, then the owner."""
        person = await self.person(session, slack_user_id)
        if isinstance(person, Refusal):
            return person
        return await self.own(session, person, record_id)

    def audit(self, session: AsyncSession, actor: str, change: str, record: Record) -> None:
        """Keep what the record was before ``change`` (``changed`` or ``deleted``)."""
        session.add(
            AuditLog(
                actor=actor,
                action=f"{self.kind.subject_type}.{change}",
                subject_type=self.kind.subject_type,
                subject_id=str(record.id),
                details=self.kind.audit_details(record),
                created_at=self.now(),
            )
        )

    async def delete(self, session: AsyncSession, slack_user_id: str, record_id: int) -> Removed | Refusal:
        """Undo and delete are the same act: the record goes, audited, unless it is locked."""
        record = await self.open(session, slack_user_id, record_id)
        if isinstance(record, Refusal):
            return record
        summary = await self.kind.summary(session, record)
        self.audit(session, slack_user_id, "deleted", record)
        await session.delete(record)
        return Removed(summary)
