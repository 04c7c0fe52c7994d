"""The ``change.process`` job: a change notification (or the poller) says what may have changed in
bexio; this re-reads exactly that from bexio — never trusting data in the payload — and applies it
through the importer's own paths, so a record refreshed here is stored exactly as a full import
would store it.

* contact / project / timesheet with an id → that one record (a contact whose category change
  moves the customers rule across its threshold re-reads every contact);
* business activity, user, account, tax → the whole (small) list: bexio has no GET by id for
  activities, and the notifications' dedup key is resource-wide for these, so a burst is one job;
* invoice with an id → ``InvoiceChanges.refresh_invoice`` (only drafts bxhours created);
* no id → the whole resource.

Failures: bexio unreachable, 5xx or 429 after the client's own retries → the error propagates
and the queue retries with backoff; access refused (401 after a refresh, 403) or a payload that
is not a change → ``ChangeRefused``, which parks the job with a message for admins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bexio.errors import BexioAuthError, BexioPermissionError
from core.changes import Change
from services.bexio_access import NotConnected
from services.changes.errors import ChangeRefused
from services.changes.invoices import CREATED, InvoiceChanges
from services.importing.errors import ImportFailed, explain
from services.importing.service import ImportService
from services.importing.status import SyncStatusService
from services.importing.summary import ImportSummary
from storage.db import Database
from storage.jobs import ClaimedJob
from storage.models import Invoice

log = logging.getLogger(__name__)

#: bexio's resource names (as notifications use them) → the importer's, for whole re-reads.
WHOLE_RESOURCE = {
    "contact": "customers",
    "project": "projects",
    "business_activity": "activities",
    "user": "users",
    "account": "accounts",
    "tax": "taxes",
    "timesheet": "timesheets",
}


@dataclass
class ChangeResult:
    """Stored as the job's result: what was re-read, what changed, and what it cost in bexio calls."""

    resource: str
    id: int | None
    changes: dict[str, Any]
    bexio_calls: int

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "id": self.id,
            "changes": self.changes,
            "bexio_calls": self.bexio_calls,
        }


class ChangeProcessor:
    def __init__(
        self,
        db: Database,
        importer: ImportService,
        invoices: InvoiceChanges,
        connection: SyncStatusService,
    ) -> None:
        self.db = db
        self.importer = importer
        self.invoices = invoices
        self.connection = connection

    async def run_job(self, job: ClaimedJob) -> dict[str, Any]:
        """The ``change.process`` job handler."""
        try:
            change = Change.from_payload(job.payload)
        except ValueError as exc:
            raise ChangeRefused(str(exc)) from None
        try:
            result = await self.process(job.tenant_id, change)
        except ImportFailed as exc:
            if exc.connection_broken:
                raise ChangeRefused(exc.message) from None
            raise  # bexio unreachable or busy: the queue tries again later
        except (NotConnected, BexioAuthError, BexioPermissionError) as exc:
            failure = explain(exc, reading="invoices", auth_kind=self.importer.bexio.auth_kind)
            message = failure.message if failure is not None else str(exc)
            await self.connection.record(job.tenant_id, ok=False, reason=message)
            raise ChangeRefused(message) from None
        log.info("change %s:%s processed: %s", change.resource, change.id or "*", result.to_json())
        return result.to_json()

    async def process(self, tenant_id: int, change: Change) -> ChangeResult:
        if change.resource == "invoice":
            return await self._invoices(tenant_id, change.id)
        if change.id is None or change.resource not in ("contact", "project", "timesheet"):
            summary = await self.importer.import_resource(tenant_id, WHOLE_RESOURCE[change.resource])
        elif change.resource == "contact":
            summary = await self.importer.import_contact(tenant_id, change.id)
        elif change.resource == "project":
            summary = await self.importer.import_project(tenant_id, change.id)
        else:
            summary = await self.importer.import_timesheet(tenant_id, change.id)
        return _from_summary(change, summary)

    async def _invoices(self, tenant_id: int, bexio_id: int | None) -> ChangeResult:
        """One invoice, or — without an id — every live draft bxhours created (one call each)."""
        if bexio_id is not None:
            ids = [bexio_id]
        else:
            async with self.db.session(tenant_id) as session:
                rows = await session.scalars(
                    select(Invoice.bexio_id)
                    .where(Invoice.status == CREATED, Invoice.bexio_id.is_not(None))
                    .order_by(Invoice.id)
                )
                ids = [value for value in rows if value is not None]
        changed: dict[str, Any] = {}
        calls = 0
        for one in ids:
            refresh = await self.invoices.refresh_invoice(tenant_id, one)
            calls += refresh.bexio_calls
            if refresh.changes:
                entry: dict[str, Any] = {"changes": list(refresh.changes)}
                if refresh.released is not None:
                    entry["released_entries"] = refresh.released.entries
                    entry["released_expenses"] = refresh.released.expenses
                changed[str(one)] = entry
        return ChangeResult("invoice", bexio_id, {"invoices": changed}, calls)


def _from_summary(change: Change, summary: ImportSummary) -> ChangeResult:
    changes = {name: resource.to_json() for name, resource in summary.resources.items()}
    return ChangeResult(change.resource, change.id, changes, summary.bexio_calls)
