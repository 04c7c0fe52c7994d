"""The write-back service: queue a job per entry change, run it, back-fill a period, count.

* **Queued with the change** (``entry_saved``, ``entry_deleted``): in the same unit of work as the
  entry, so an acknowledged change is a stored job — one per entry (``writeback:<id>``, merged
  while queued), one per deletion (it carries the timesheet id, since the entry is gone).
  Nothing is queued while ``write_back_hours`` is off, nor for entries imported from bexio.
* **Run** (``run_entry_job``): reads the entry, decides (not in bexio → "not in bexio: why"), calls
  bexio (``writer``) with no transaction open, stores the timesheet id. A 429 or 5xx raises and the
  queue retries with backoff; a retry looks for a create whose answer was lost before sending it
  again. A 4xx is bexio's definite refusal: the entry shows it, the job is parked with bexio's
  reason (``WriteRefused``) for the admins' ``/bx-sync status``.
* **Back-fill** (``run_backfill_job``): one job writes every entry of a period that is not in
  bexio yet, and keeps a DM to the admin who asked up to date.
* Turning the setting on offers admins the back-fill (a DM); turning it off stops writing and
  deletes nothing (``setting_changed``, called by ``SettingsService`` for the CLI and the modal).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.client import BexioClient
from bexio.errors import BexioError, BexioRateLimited, BexioUnavailable, BexioValidationError
from core.i18n import language_scope
from core.settings_schema import parse_bool
from services.languages import LanguageService
from services.notifier import MessageRef, Notifier
from services.people import PeopleService
from services.settings import SettingsService, TenantSettings
from services.writeback.remarks import FAILED, NOT_IN_BEXIO, PENDING, WRITTEN, why_not
from services.writeback.writer import ClientFactory, Target, TimesheetWriter
from storage.db import Database
from storage.jobs import ClaimedJob, JobQueue
from storage.models import Activity, Project, TimeEntry, User

log = logging.getLogger(__name__)

ENTRY_JOB = "writeback.entry"
DELETE_JOB = "writeback.delete"
BACKFILL_JOB = "writeback.backfill"
SETTING = "write_back_hours"
IMPORTED = "bexio"
ADVISORY_LOCK_BASE = -(2**62)
"""Write-back's advisory lock keys on PostgreSQL: below this, one per entry (no other user of them)."""
PROGRESS_EVERY = 25
"""Back-fill progress: the DM is updated after this many entries (and at the end)."""

Message = tuple[str, list[dict[str, Any]]]


class WriteRefused(Exception):
    """bexio refused the write for good (a 4xx): retrying cannot help; ``message`` is bexio's."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class WriteBackCounts:
    """For ``/bx-sync status``: entries written, waiting to be written, refused by bexio, and not
    writable (no bexio user, project not in bexio)."""

    enabled: bool
    written: int = 0
    pending: int = 0
    failed: int = 0
    not_in_bexio: int = 0


@dataclass(frozen=True)
class BackfillProgress:
    start: date
    end: date
    total: int
    done: int
    written: int
    not_in_bexio: int
    failed: int


class WriteBackMessages(Protocol):
    """The Slack texts of the write-back (``bot.views.write_back``); services stay Slack-free."""

    def offer(self) -> Message: ...

    def progress(self, progress: BackfillProgress) -> Message: ...

    def finished(self, progress: BackfillProgress) -> Message: ...


class WriteBack:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        settings: SettingsService,
        clients: ClientFactory,
        notifier: Notifier,
        people: PeopleService,
        now: Callable[[], datetime],
        *,
        messages: WriteBackMessages | None = None,
        languages: LanguageService | None = None,
        writer: TimesheetWriter | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.settings = settings
        self.clients = clients
        self.notifier = notifier
        self.people = people
        self.now = now
        self.messages = messages
        self.languages = languages
        self.writer = writer or TimesheetWriter()
        self._locks: dict[int, asyncio.Lock] = {}
        """One write per entry at a time in this process (a job and a back-fill may meet)."""

    # -- queued with the change ---------------------------------------------------------------

    async def entry_saved(
        self, session: AsyncSession, tenant_id: int, entry: TimeEntry, settings: TenantSettings | None = None
    ) -> bool:
        """Queue the write of a new or changed entry in the caller's unit of work; True if queued."""
        if entry.source == IMPORTED:
            return False
        settings = settings or await self.settings.load(tenant_id, session)
        if not settings.get(SETTING):
            return False
        await session.flush()  # a new entry needs its id
        entry.writeback_state, entry.writeback_reason = PENDING, None
        await self.queue.enqueue(
            tenant_id, ENTRY_JOB, {"entry_id": entry.id}, dedup_key=f"writeback:{entry.id}", session=session
        )
        return True

    async def entry_deleted(self, session: AsyncSession, tenant_id: int, entry: TimeEntry) -> bool:
        """Queue the deletion of a deleted entry's timesheet (call before the row goes)."""
        if entry.source == IMPORTED or entry.writeback_state in (None, NOT_IN_BEXIO):
            return False
        if not (await self.settings.load(tenant_id, session)).get(SETTING):
            return False  # off: nothing more is written — and nothing written is deleted
        user = await session.get(User, entry.user_id) if entry.user_id else None
        project = await session.get(Project, entry.project_id) if entry.project_id else None
        payload = {
            "entry_id": entry.id,
            "timesheet_id": entry.bexio_timesheet_id,
            "user_id": user.bexio_id if user else None,
            "project_id": project.bexio_id if project else None,
        }
        await self.queue.enqueue(tenant_id, DELETE_JOB, payload, session=session)
        return True

    # -- the jobs -------------------------------------------------------------------------------

    async def run_entry_job(self, job: ClaimedJob) -> dict[str, Any]:
        entry_id = int(job.payload["entry_id"])
        last = job.attempts >= job.max_attempts
        async with self.clients(job.tenant_id) as client:
            outcome = await self.write_entry(
                job.tenant_id, entry_id, client, search=job.attempts > 1, last_attempt=last
            )
        return {"entry_id": entry_id, "outcome": outcome}

    async def run_delete_job(self, job: ClaimedJob) -> dict[str, Any]:
        payload = job.payload
        timesheet_id, user_id = payload.get("timesheet_id"), payload.get("user_id")
        deleted: list[int] = []
        try:
            async with self.clients(job.tenant_id) as client:
                ids = [int(timesheet_id)] if timesheet_id else []
                if not ids and user_id:  # never got its id: look for what a lost create may have made
                    found = await self.writer.find_all(
                        client, int(payload["entry_id"]), int(user_id), payload.get("project_id")
                    )
                    ids = [sheet.id for sheet in found]
                for found_id in ids:
                    if await self.writer.delete(client, found_id):
                        deleted.append(found_id)
        except BexioError as exc:
            if _retriable(exc):
                raise
            raise WriteRefused(_reason(exc)) from None
        return {"entry_id": payload.get("entry_id"), "deleted": deleted}

    async def write_entry(
        self, tenant_id: int, entry_id: int, client: BexioClient, *, search: bool, last_attempt: bool = False
    ) -> str:
        """Write one entry as it is now; returns what happened (written, not_in_bexio, gone, off,
        imported). Raises what the queue retries, or ``WriteRefused``."""
        async with self._entry_lock(entry_id):
            try:
                return await self._write(tenant_id, entry_id, client, search=search)
            except BexioError as exc:
                if _retriable(exc) and not last_attempt:
                    raise
                reason = _reason(exc)
                await self._mark(tenant_id, entry_id, FAILED, reason)
                if _retriable(exc):
                    raise
                raise WriteRefused(reason) from None

    @asynccontextmanager
    async def _entry_lock(self, entry_id: int) -> AsyncIterator[None]:
        """One write per entry at a time: in this process (a job and a back-fill may meet), and on
        PostgreSQL across worker processes too (an advisory lock, held on its own connection while
        bexio is called — no transaction stays open). Without it, an edit queued while the entry's
        create is running could create a second timesheet."""
        if len(self._locks) > 10_000:  # bounded: forget the locks nobody holds
            self._locks = {key: held for key, held in self._locks.items() if held.locked()}
        async with self._locks.setdefault(entry_id, asyncio.Lock()):
            if not self.db.is_postgres:
                yield  # SQLite: one worker process (``storage.worker_lock``)
                return
            key = ADVISORY_LOCK_BASE - entry_id
            async with self.db.engine.connect() as connection:
                await connection.execute(select(func.pg_advisory_lock(key)))
                await connection.commit()
                try:
                    yield
                finally:
                    await connection.execute(select(func.pg_advisory_unlock(key)))
                    await connection.commit()

    async def _write(self, tenant_id: int, entry_id: int, client: BexioClient, *, search: bool) -> str:
        async with self.db.session(tenant_id) as session:
            entry = await session.get(TimeEntry, entry_id)
            if entry is None:
                return "gone"  # deleted: its own job removes the timesheet
            if entry.source == IMPORTED:
                return "imported"
            if not (await self.settings.load(tenant_id, session)).get(SETTING):
                if entry.writeback_state == PENDING:
                    entry.writeback_state = None
                return "off"
            user = await session.get(User, entry.user_id) if entry.user_id else None
            project = await session.get(Project, entry.project_id) if entry.project_id else None
            activity = await session.get(Activity, entry.activity_id) if entry.activity_id else None
            user_bexio = user.bexio_id if user else None
            project_bexio = project.bexio_id if project else None
            activity_bexio = activity.bexio_id if activity else None
            reason = why_not(
                user_bexio_id=user_bexio,
                has_project=project is not None,
                project_bexio_id=project_bexio,
                activity_bexio_id=activity_bexio,
            )
            timesheet_id = entry.bexio_timesheet_id
            target = None
            if reason is None:
                assert user_bexio is not None and project_bexio is not None and activity_bexio is not None
                target = Target(
                    entry_id=entry.id,
                    user_id=user_bexio,
                    client_service_id=activity_bexio,
                    pr_project_id=project_bexio,
                    contact_id=project.bexio_contact_id if project else None,
                    note=entry.note,
                    day=entry.day,
                    minutes=entry.minutes,
                )
        if target is None:
            assert reason is not None
            if timesheet_id is not None:  # moved to someone or something bexio does not know
                await self.writer.delete(client, timesheet_id)
            await self._mark(tenant_id, entry_id, NOT_IN_BEXIO, reason, timesheet_id=None)
            return NOT_IN_BEXIO
        status_id = await self.writer.status_id(tenant_id, client)
        written = await self.writer.write(client, target, status_id, timesheet_id, search=search)
        if not await self._mark(tenant_id, entry_id, WRITTEN, None, timesheet_id=written):
            await self.writer.delete(client, written)  # deleted while it was being written
            return "gone"
        return WRITTEN

    async def _mark(
        self, tenant_id: int, entry_id: int, state: str, reason: str | None, **timesheet: int | None
    ) -> bool:
        """Store how the write went; False if the entry is gone. A write clears what bexio changed
        (the next bxhours edit wins)."""
        values: dict[str, Any] = {"writeback_state": state, "writeback_reason": reason}
        if "timesheet_id" in timesheet:
            values["bexio_timesheet_id"] = timesheet["timesheet_id"]
        if state in (WRITTEN, NOT_IN_BEXIO):
            values["bexio_changed_minutes"] = None
        async with self.db.session(tenant_id) as session:
            result = await session.execute(
                update(TimeEntry)
                .where(TimeEntry.id == entry_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- back-fill ------------------------------------------------------------------------------

    async def request_backfill(self, tenant_id: int, slack_user_id: str, start: date, end: date) -> int:
        """Queue the back-fill of ``start``..``end``: one job, whatever the period. Two back-fills
        that overlap write each entry once (one write per entry at a time; a written entry is
        edited, not created again)."""
        payload = {"start": start.isoformat(), "end": end.isoformat(), "admin": slack_user_id}
        return await self.queue.enqueue(tenant_id, BACKFILL_JOB, payload)

    async def run_backfill_job(self, job: ClaimedJob) -> dict[str, Any]:
        tenant_id = job.tenant_id
        start, end = date.fromisoformat(job.payload["start"]), date.fromisoformat(job.payload["end"])
        admin = job.payload.get("admin")
        async with self.db.session(tenant_id) as session:
            if not (await self.settings.load(tenant_id, session)).get(SETTING):
                return {"skipped": "write_back_hours is off"}
            ids = list(
                await session.scalars(
                    select(TimeEntry.id)
                    .where(
                        TimeEntry.day.between(start, end),
                        TimeEntry.source != IMPORTED,
                        (TimeEntry.writeback_state.is_(None)) | (TimeEntry.writeback_state != WRITTEN),
                    )
                    .order_by(TimeEntry.day, TimeEntry.id)
                )
            )
            if ids:
                await session.execute(
                    update(TimeEntry)
                    .where(TimeEntry.id.in_(ids), TimeEntry.writeback_state.is_(None))
                    .values(writeback_state=PENDING)
                    .execution_options(synchronize_session=False)
                )
        counts = {WRITTEN: 0, NOT_IN_BEXIO: 0, FAILED: 0}
        ref = await self._tell(tenant_id, admin, None, "progress", _progress(start, end, len(ids), 0, counts))
        async with self.clients(tenant_id) as client:
            for done, entry_id in enumerate(ids, start=1):
                try:
                    outcome = await self.write_entry(tenant_id, entry_id, client, search=job.attempts > 1)
                except WriteRefused:
                    outcome = FAILED
                if outcome in counts:
                    counts[outcome] += 1
                if done % PROGRESS_EVERY == 0 and done < len(ids):
                    progress = _progress(start, end, len(ids), done, counts)
                    await self._tell(tenant_id, admin, ref, "progress", progress)
        final = _progress(start, end, len(ids), len(ids), counts)
        await self._tell(tenant_id, admin, ref, "finished", final)
        return {"entries": len(ids), **counts}

    async def _tell(
        self, tenant_id: int, admin: str | None, ref: MessageRef | None, kind: str, progress: BackfillProgress
    ) -> MessageRef | None:
        """Post or update the admin's progress DM; best effort (the work is what counts)."""
        if admin is None or self.messages is None:
            return ref
        try:
            with language_scope(await self._language(tenant_id, admin)):
                text, blocks = getattr(self.messages, kind)(progress)
            if ref is None or not ref.ts:
                return await self.notifier.direct_message(admin, text, blocks)
            await self.notifier.update(ref, text, blocks)
        except Exception:
            log.warning("could not tell %s how the back-fill goes", admin, exc_info=True)
        return ref

    async def _language(self, tenant_id: int, slack_user_id: str) -> str | None:
        if self.languages is None:
            return None
        return await self.languages.for_person(tenant_id, slack_user_id)

    # -- the setting ------------------------------------------------------------------------------

    async def setting_changed(
        self, tenant_id: int, key: str, old: str | None, new: str | None, actor: str
    ) -> None:
        """Turned on: offer every admin a back-fill. Turned off: entries waiting to be written stop
        waiting (their jobs find the setting off and do nothing); nothing in bexio is deleted."""
        if key != SETTING:
            return
        was, now_on = _flag(old), _flag(new)
        if now_on and not was:
            await self._offer(tenant_id)
        elif was and not now_on:
            async with self.db.session(tenant_id) as session:
                await session.execute(
                    update(TimeEntry)
                    .where(TimeEntry.writeback_state == PENDING)
                    .values(writeback_state=None)
                    .execution_options(synchronize_session=False)
                )

    async def _offer(self, tenant_id: int) -> None:
        if self.messages is None:
            return
        for admin in await self.people.admins(tenant_id):
            try:
                with language_scope(await self._language(tenant_id, admin)):
                    text, blocks = self.messages.offer()
                await self.notifier.direct_message(admin, text, blocks)
            except Exception:  # one admin we cannot reach must not keep the others from hearing
                log.warning("could not offer admin %s the back-fill", admin, exc_info=True)

    # -- status ------------------------------------------------------------------------------------

    async def enabled(self, tenant_id: int) -> bool:
        return bool((await self.settings.load(tenant_id)).get(SETTING))

    async def counts(self, tenant_id: int) -> WriteBackCounts:
        async with self.db.session(tenant_id) as session:
            enabled = bool((await self.settings.load(tenant_id, session)).get(SETTING))
            rows = await session.execute(
                select(TimeEntry.writeback_state, func.count())
                .where(TimeEntry.writeback_state.is_not(None))
                .group_by(TimeEntry.writeback_state)
            )
            by_state = {state: count for state, count in rows.all()}
        return WriteBackCounts(
            enabled=enabled,
            written=by_state.get(WRITTEN, 0),
            pending=by_state.get(PENDING, 0),
            failed=by_state.get(FAILED, 0),
            not_in_bexio=by_state.get(NOT_IN_BEXIO, 0),
        )


def _progress(start: date, end: date, total: int, done: int, counts: dict[str, int]) -> BackfillProgress:
    return BackfillProgress(start, end, total, done, counts[WRITTEN], counts[NOT_IN_BEXIO], counts[FAILED])


def _flag(value: str | None) -> bool:
    try:
        return bool(parse_bool(value)) if value is not None else False
    except ValueError:
        return False


def _retriable(exc: BexioError) -> bool:
    """429 and 5xx (and an unreachable bexio) come back; a 4xx is bexio's answer."""
    if isinstance(exc, BexioRateLimited | BexioUnavailable):
        return True
    return exc.status is None or exc.status >= 500 or exc.status in (401, 408, 429)


def _reason(exc: BexioError) -> str:
    """bexio's own words for a refusal (its field messages, else its message)."""
    if isinstance(exc, BexioValidationError) and exc.errors:
        return "; ".join(exc.errors)[:500]
    return (exc.message or str(exc))[:500]
