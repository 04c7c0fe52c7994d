"""What a Slack request has stored so far, so that an apology after a failure can be true.

A handler stores first and shows the result after: the entry is committed, then the App Home is
refreshed or the confirmation is posted — and Slack may fail at that point. Telling the person
"nothing was changed" then would make them log the hours twice. Rather than trusting every
handler to remember what it stored, the registry (``bot.handlers.surfaces``) opens a ``Ledger``
for each request and this module notes every committed unit of work of that request, by table,
from SQLAlchemy's session events; the registry then says what was saved.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from core.i18n import N_, _, current_language

_PENDING = "bxhours_saving"

WHAT = {
    "time_entries": N_("your hours"),
    "expenses": N_("your expense"),
    "invoices": N_("the invoice"),
    "invoice_lines": N_("the invoice"),
    "customers": N_("the customer"),
    "projects": N_("the customer's project"),
    "tenant_settings": N_("the settings"),
    "activities": N_("the account mapping"),
    "expense_categories": N_("the account mapping"),
    "users": N_("the link"),
    "sync_runs": N_("the import request"),
    "jobs": N_("the request"),
}
"""The tables whose rows are someone's deliberate change, and how to name that change."""
INCIDENTAL = frozenset({"audit_log"})
"""Rows that only accompany a change (the audit trail) and are never the change itself."""
CREATED_ON_THE_SIDE = frozenset({"expense_categories"})
"""New rows a read path may create (the default expense categories): not the person's change."""
KEPT_ON_THE_SIDE = frozenset({"sync_runs"})
"""Rows a read path may change (a run whose lease lapsed is marked failed when the status is
read): only a new one is someone's change (an import requested)."""


@dataclass
class Ledger:
    saved: list[str] = field(default_factory=list)
    """What this request committed, in the words of ``WHAT``, in order, without repeats."""

    def note(self, what: str) -> None:
        if what not in self.saved:
            self.saved.append(what)

    def describe(self) -> str:
        """In English, for the log."""
        return _joined(self.saved)

    def said(self) -> str:
        """In the person's language: "your hours and the invoice", "vos heures et la facture"."""
        items = [_(what) for what in self.saved]
        language = current_language.get()
        if language == "en":
            return _joined(items)
        from babel.lists import format_list

        return format_list(items, locale=language)


LEDGER: ContextVar[Ledger | None] = ContextVar("bxhours_request_ledger", default=None)


def _pending(session: Session) -> set[str]:
    pending: set[str] = session.info.setdefault(_PENDING, set())
    return pending


def _table(obj: Any) -> str | None:
    table = getattr(obj, "__tablename__", None)
    return table if isinstance(table, str) else None


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    if LEDGER.get() is None:
        return
    pending = _pending(session)
    for obj in session.new:
        table = _table(obj)
        if table and table not in INCIDENTAL and table not in CREATED_ON_THE_SIDE:
            pending.add(table)
    for obj in session.dirty:
        table = _table(obj)
        if table in INCIDENTAL or table in KEPT_ON_THE_SIDE:
            continue
        if table and session.is_modified(obj, include_collections=False):
            pending.add(table)
    for obj in session.deleted:
        table = _table(obj)
        if table and table not in INCIDENTAL:
            pending.add(table)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if LEDGER.get() is None or not (state.is_update or state.is_delete or state.is_insert):
        return
    pending = _pending(state.session)
    for mapper in state.all_mappers:
        table = _table(mapper.class_)
        if table and table not in INCIDENTAL and not (state.is_update and table in KEPT_ON_THE_SIDE):
            pending.add(table)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    tables = session.info.pop(_PENDING, None)
    ledger = LEDGER.get()
    if ledger is None or not tables:
        return
    for table in sorted(tables, key=lambda t: list(WHAT).index(t) if t in WHAT else len(WHAT)):
        ledger.note(WHAT.get(table, "your change"))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _joined(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
