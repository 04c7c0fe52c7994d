"""The change poller (issue 7 §5): bexio pushes nothing, so bxhours looks for itself.

It feeds the same ``change.process`` jobs (same payload, same dedup key) as the webhook endpoint,
so a poll and a notification about one contact coalesce into one re-read; what those jobs do is
the change processor's business, not the poller's. Two periodic jobs (``schedule``):

* ``poll.changes`` — contacts and invoices changed since a watermark, found with bexio's
  ``updated_at >=`` search (Zurich wall time, minus a safety margin: bexio stamps a record before
  its transaction commits, and the next search must still see it). The new watermark is the
  newest ``updated_at`` bexio returned — bexio's clock, never ours. Invoices bxhours created and
  bexio has not finished with (not paid, not cancelled) are also looked up by id: a deleted draft
  has no ``updated_at`` to be found by.
* ``poll.full`` — resources without ``updated_at`` re-read whole and diffed by the importer (and
  contacts with their groups, since an archived contact drops out of every search; skipped while
  an import runs). Timesheets cannot be searched by date either, so new ones are found
  newest-first by id, and the whole list is re-read only every ``poll_timesheets_full_hours``
  for edits and deletions.

Every bexio call goes through ``BexioAccess.client``, whose pacer is shared by all work of the
tenant in this process, so polling stays within bexio's company-wide rate limit (issue 7 §6).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, NotRequired, TypeVar

from pydantic import BeforeValidator, TypeAdapter
from sqlalchemy import func, select
from typing_extensions import TypedDict

from bexio.client import BexioClient
from bexio.fields import BEXIO_LOCAL_FORMAT, blank_to_none, from_bexio_datetime, to_bexio_datetime
from bexio.reading import PageReader, Unreadable
from bexio.search import Criterion
from core.changes import CHANGE_JOB, Change
from core.invoice_status import CANCELLED, PAID
from services.changes.cursors import Cursor, CursorStore
from services.changes.schedule import POLL_CHANGES, POLL_FULL, schedule_next
from services.importing.runs import IMPORT_JOB
from services.importing.service import ImportService
from services.importing.timesheets import BEXIO_SOURCE, NEW_TIMESHEETS_PAGE
from storage.jobs import ClaimedJob, JobQueue, NewJob
from storage.models import Customer, Invoice, TimeEntry

log = logging.getLogger(__name__)

T = TypeVar("T")

SAFETY_MARGIN = timedelta(minutes=2)
"""How far each ``updated_at >=`` search reaches back before the watermark."""
WHOLE_RESOURCE_ABOVE = 200
"""More changed contacts than this in one poll: one re-read of all of them beats one job each."""
ID_CHUNK = 100
"""Invoice ids per ``id in […]`` search (bexio's limit on such a list is not documented)."""
FINAL_STATUSES = frozenset({PAID, CANCELLED})
"""Invoices bexio has finished with: no longer looked up by id on every poll."""
FULL_RESOURCES = ["user", "contact_group", "contact", "project", "business_activity", "account", "tax"]
CONTACT: Final = "contact"
INVOICE: Final = "invoice"
TIMESHEET: Final = "timesheet"


def _stamp(value: Any) -> Any:
    """bexio's ``updated_at`` in its one canonical form, ``YYYY-MM-DD HH:MM:SS``: watermarks are
    compared as text, so ``2026-06-18T14:55:15`` must not sort apart from ``2026-06-18 14:55:15``.
    ``""`` and ``0000-00-00 00:00:00`` are no stamp; anything else unreadable makes the record so."""
    value = blank_to_none(value)
    if not isinstance(value, str):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=None).strftime(BEXIO_LOCAL_FORMAT)


Stamp = Annotated[str | None, BeforeValidator(_stamp)]


class _Stamped(TypedDict):
    """Only what the poller compares: contacts and invoices are re-read by the change processor."""

    id: int
    updated_at: NotRequired[Stamp]


class _StampedInvoice(_Stamped):
    kb_item_status_id: NotRequired[int | None]


_STAMPED: PageReader[_Stamped] = PageReader(_Stamped)
_STAMPED_INVOICES: PageReader[_StampedInvoice] = PageReader(_StampedInvoice)


class ChangePoller:
    def __init__(
        self,
        importer: ImportService,
        queue: JobQueue,
        *,
        margin: timedelta = SAFETY_MARGIN,
        timesheet_page_size: int = NEW_TIMESHEETS_PAGE,
    ) -> None:
        self.importer = importer
        self.queue = queue
        self.db = importer.db
        self.bexio = importer.bexio
        self.now = queue.now
        self.margin = margin
        self.timesheet_page_size = timesheet_page_size
        self.cursors = CursorStore(importer.db, queue.now)

    # -- the periodic jobs ----------------------------------------------------------------------

    async def run_changes_job(self, job: ClaimedJob) -> dict[str, Any]:
        """Poll, then queue the next poll — also when this one failed: polling must go on."""
        try:
            return await self.poll_changes(job.tenant_id)
        finally:
            settings = await self.importer.settings.load(job.tenant_id)
            await schedule_next(self.queue, job.tenant_id, POLL_CHANGES, settings.poll_contacts_seconds)

    async def run_full_job(self, job: ClaimedJob) -> dict[str, Any]:
        try:
            return await self.poll_full(job.tenant_id)
        finally:
            settings = await self.importer.settings.load(job.tenant_id)
            await schedule_next(self.queue, job.tenant_id, POLL_FULL, settings.poll_full_minutes * 60)

    # -- poll.changes ---------------------------------------------------------------------------

    async def poll_changes(self, tenant_id: int) -> dict[str, Any]:
        """Queue a ``change.process`` job per changed contact and per changed bxhours invoice."""
        skipped = await self._skip_reason(tenant_id)
        if skipped is not None:
            return {"skipped": skipped}
        async with self.bexio.client(tenant_id) as client:
            contacts, contact_cursor = await self._contacts(client, tenant_id)
            invoices, invoice_cursor = await self._invoices(client, tenant_id)
            calls = client.stats.total_calls
        changes = contacts + invoices
        # Queued before the watermarks move: a crash in between repeats a poll, never loses one.
        await self.queue.enqueue_many(
            tenant_id, [NewJob(CHANGE_JOB, change.payload(), change.dedup_key) for change in changes]
        )
        await self.cursors.save(tenant_id, contact_cursor)
        await self.cursors.save(tenant_id, invoice_cursor)
        if changes:
            log.info("poll: %d contact and %d invoice change(s) queued", len(contacts), len(invoices))
        return {"contacts": len(contacts), "invoices": len(invoices), "bexio_calls": calls}

    async def _contacts(self, client: BexioClient, tenant_id: int) -> tuple[list[Change], Cursor]:
        cursor = await self.cursors.get(tenant_id, CONTACT)
        if cursor.watermark is None:
            # The import stored every customer with bexio's updated_at: polling on from the newest
            # one leaves no gap between the import and the first poll.
            cursor.watermark = await self._newest_customer_stamp(tenant_id)
            if cursor.watermark is None:
                cursor.watermark = await _newest_stamp(client, client.contacts.path)
                return [], cursor  # nothing imported to compare with: the import covers the past
        found = await _search(client, client.contacts.path, _STAMPED, self._since(cursor.watermark))
        seen = {contact["id"]: stamp for contact in found if (stamp := contact.get("updated_at"))}
        stored = await self._customer_stamps(tenant_id, seen)
        # Changed: differs from what the import stored, and from what the last poll already saw
        # (a contact that is no customer is stored nowhere, yet must be queued only once).
        changed = sorted(
            contact_id
            for contact_id, stamp in seen.items()
            if stamp != stored.get(contact_id) and stamp != cursor.recent.get(str(contact_id))
        )
        self._advance(cursor, seen, remember=True)
        if len(changed) > WHOLE_RESOURCE_ABOVE:
            return [Change(CONTACT)], cursor
        return [Change(CONTACT, contact_id) for contact_id in changed], cursor

    async def _invoices(self, client: BexioClient, tenant_id: int) -> tuple[list[Change], Cursor]:
        cursor = await self.cursors.get(tenant_id, INVOICE)
        ours = await self._our_invoices(tenant_id)
        if not ours:
            return [], cursor  # only invoices bxhours created matter; no calls until there is one
        changes: dict[int, Change] = {}
        if cursor.watermark is None:
            cursor.watermark = await _newest_stamp(client, client.invoices.path)
        else:
            found = await _search(
                client, client.invoices.path, _STAMPED_INVOICES, self._since(cursor.watermark)
            )
            for invoice in found:
                if invoice["id"] in ours and invoice.get("kb_item_status_id") != ours[invoice["id"]]:
                    changes[invoice["id"]] = Change(INVOICE, invoice["id"])
            self._advance(cursor, {i["id"]: s for i in found if (s := i.get("updated_at"))}, remember=False)
        # A draft deleted in bexio is in no updated_at search: look up every unfinished one by id.
        unfinished = sorted(bexio_id for bexio_id, status in ours.items() if status not in FINAL_STATUSES)
        for chunk in _chunks(unfinished, ID_CHUNK):
            unreadable: list[Unreadable] = []
            pages = client.pages(
                client.invoices.path,
                _STAMPED_INVOICES,
                criteria=[Criterion("id", "in", chunk)],
                on_unreadable=unreadable.extend,
            )
            found = await _collect(pages)
            listed: dict[int, int | None] = {
                invoice["id"]: invoice.get("kb_item_status_id") for invoice in found
            }
            # Listed but unreadable is not deleted: the change processor re-reads it (status None
            # differs); one without an id could be any of them, so this chunk declares no deletion.
            listed.update((record.id, None) for record in unreadable if record.id is not None)
            if any(record.id is None for record in unreadable):
                listed.update((bexio_id, listed.get(bexio_id)) for bexio_id in chunk)
            for bexio_id in chunk:
                if bexio_id not in listed:
                    changes[bexio_id] = Change(INVOICE, bexio_id, "deleted")
                elif listed[bexio_id] != ours[bexio_id]:
                    changes.setdefault(bexio_id, Change(INVOICE, bexio_id))
        return [changes[bexio_id] for bexio_id in sorted(changes)], cursor

    def _since(self, watermark: str) -> datetime:
        """The watermark (bexio's Zurich wall time) minus the margin, as an instant."""
        local = from_bexio_datetime(watermark)
        return local.astimezone(UTC) - self.margin

    def _advance(self, cursor: Cursor, seen: dict[int, str], *, remember: bool) -> None:
        """The newest updated_at bexio returned becomes the watermark; with ``remember``, the
        records the next search returns again (inside the margin) are kept with their stamps."""
        if seen:
            cursor.watermark = max(cursor.watermark or "", *seen.values())
        if not remember or cursor.watermark is None:
            return
        edge = to_bexio_datetime(self._since(cursor.watermark))
        cursor.recent = {str(record_id): stamp for record_id, stamp in seen.items() if stamp >= edge}

    # -- poll.full ------------------------------------------------------------------------------

    async def poll_full(self, tenant_id: int) -> dict[str, Any]:
        """Re-read the resources without ``updated_at`` (the importer diffs them), then timesheets."""
        skipped = await self._skip_reason(tenant_id)
        if skipped is None and await self.queue.active(tenant_id, IMPORT_JOB) is not None:
            skipped = "an import is under way; it re-reads everything anyway"
        if skipped is not None:
            return {"skipped": skipped}
        summary = await self.importer.import_resources(tenant_id, FULL_RESOURCES)
        changed = {name: c.to_json() for name, c in summary.resources.items() if c.changed}
        result: dict[str, Any] = {"changed": changed, "bexio_calls": summary.bexio_calls}
        result["timesheets"] = await self._timesheets(tenant_id)
        return result

    async def _timesheets(self, tenant_id: int) -> dict[str, Any]:
        cursor = await self.cursors.get(tenant_id, TIMESHEET)
        now = self.now()
        settings = await self.importer.settings.load(tenant_id)
        every = timedelta(hours=settings.poll_timesheets_full_hours)
        if cursor.last_full_at is not None and now - cursor.last_full_at >= every:
            summary = await self.importer.import_resource(tenant_id, "timesheets")
            cursor.last_full_at = now
            await self.cursors.save(tenant_id, cursor)
            changes = summary.resources.get("timesheets")
            return {"full": True, **(changes.to_json() if changes else {})}
        if cursor.last_full_at is None:
            cursor.last_full_at = now  # the import read them all: the next full re-read is due later
        known = max(int(cursor.watermark or 0), await self._newest_imported_timesheet(tenant_id))
        found = await self.importer.import_new_timesheets(
            tenant_id, known, page_size=self.timesheet_page_size
        )
        cursor.watermark = str(max(known, found.newest_id or 0))
        await self.cursors.save(tenant_id, cursor)
        return {"full": False, "new": found.read, **found.changes.to_json()}

    # -- what bxhours knows ---------------------------------------------------------------------

    async def _skip_reason(self, tenant_id: int) -> str | None:
        """Polling keeps imported data current: without a connection, or before the first
        import, there is nothing to do (the job still reschedules itself)."""
        if not await self.bexio.connected(tenant_id):
            return "bexio is not connected"
        tenant = await self.importer.tenants.get(tenant_id)
        if tenant is None or not (tenant.bexio_company_id or tenant.bexio_company_name):
            return "nothing has been imported from bexio yet"
        return None

    async def _newest_customer_stamp(self, tenant_id: int) -> str | None:
        async with self.db.session(tenant_id) as session:
            return await session.scalar(select(func.max(Customer.bexio_updated_at)))

    async def _customer_stamps(self, tenant_id: int, bexio_ids: Iterable[int]) -> dict[int, str | None]:
        stamps: dict[int, str | None] = {}
        async with self.db.session(tenant_id) as session:
            for chunk in _chunks(sorted(bexio_ids), 500):
                rows = await session.execute(
                    select(Customer.bexio_id, Customer.bexio_updated_at).where(Customer.bexio_id.in_(chunk))
                )
                stamps.update({bexio_id: stamp for bexio_id, stamp in rows if bexio_id is not None})
        return stamps

    async def _our_invoices(self, tenant_id: int) -> dict[int, int | None]:
        """bexio id → the status bxhours last recorded, for every invoice bxhours created there."""
        async with self.db.session(tenant_id) as session:
            rows = await session.execute(
                select(Invoice.bexio_id, Invoice.bexio_status_id).where(Invoice.bexio_id.is_not(None))
            )
            return {bexio_id: status for bexio_id, status in rows if bexio_id is not None}

    async def _newest_imported_timesheet(self, tenant_id: int) -> int:
        """Entries written back to bexio by bxhours do not count: their ids are no proof that the
        timesheets created in bexio before them were seen."""
        async with self.db.session(tenant_id) as session:
            newest = await session.scalar(
                select(func.max(TimeEntry.bexio_timesheet_id)).where(TimeEntry.source == BEXIO_SOURCE)
            )
        return int(newest or 0)


async def _newest_stamp(client: BexioClient, path: str) -> str | None:
    """The newest ``updated_at`` of a list: one call (``order_by=updated_at_desc``, limit 1)."""
    newest, _unreadable = _STAMPED.read_records(
        await client.get(path, _ANY_LIST, params={"order_by": "updated_at_desc", "limit": 1})
    )
    return newest[0].get("updated_at") if newest else None


async def _search(client: BexioClient, path: str, reader: PageReader[T], since: datetime) -> list[T]:
    """Records changed since ``since``; one that cannot be read is logged and left to the full
    re-read (it is never taken for a change or a deletion)."""

    def unreadable(records: list[Unreadable]) -> None:
        for record in records:
            log.warning("poll: bexio record %s at %s could not be read: %s", record.id, path, record.reason)

    pages = client.pages(
        path, reader, criteria=[Criterion("updated_at", ">=", since)], on_unreadable=unreadable
    )
    return await _collect(pages)


async def _collect(pages: AsyncIterator[list[T]]) -> list[T]:
    records: list[T] = []
    async for page in pages:
        records.extend(page)
    return records


_ANY_LIST: TypeAdapter[list[Any]] = TypeAdapter(list[Any])


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
