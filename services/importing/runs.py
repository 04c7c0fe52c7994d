"""Import runs: one at a time per tenant, on the durable queue, with a progress message.

`/bx-sync` records a run and enqueues an ``import.full`` job in one transaction; a partial unique
index lets the database refuse a second active run, so two `/bx-sync` at the same moment (or one
beside `bxhours sync`) cannot both start. The worker posts the progress message to the
requester's DM, updates it per phase and ends it with the summary or a clear error.

A running import holds a lease (``lease_expires_at``) that it renews every ``RUN_LEASE / 3``
while it works. A process killed mid-import (kill -9) cannot mark its run failed, but its lease
lapses: whoever looks next — a new `/bx-sync`, `bxhours sync`, `/bx-sync status`, the App Home —
marks it failed within ``RUN_LEASE`` (``status.expire_lapsed_runs``), so a killed `bxhours sync`
blocks imports for 30 seconds, not an hour. A queued run whose job is gone no longer blocks either.

Every import ends in one ``import finished`` log line — the run, its outcome, what changed
(``added``, ``updated``, ``deactivated``; per resource in ``changes``), records skipped, people
unmatched, bexio calls and ``seconds`` from start until the run is recorded and the message updated
(finishing included; ``import_seconds`` is the import alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _, current_language, language_scope
from services.importing.errors import ImportFailed
from services.importing.service import ImportService, ProgressCallback
from services.importing.status import INTERRUPTED, RunView, expire_lapsed_runs, run_view
from services.importing.summary import ImportProgress, ImportSummary
from services.languages import LanguageService
from services.notifier import MessageRef, Notifier
from storage.db import Database
from storage.jobs import QUEUED, RUNNING, ClaimedJob, JobQueue
from storage.models import Job, SyncRun

log = logging.getLogger(__name__)

IMPORT_JOB = "import.full"
ACTIVE = ("queued", "running")
DONE, FAILED = "done", "failed"
CLI = "cli"
#: A run without a lease (recorded before leases existed) that has not finished after this long is dead.
STALE_UNATTENDED_RUN = timedelta(hours=1)
RUN_LEASE = timedelta(seconds=30)
"""How long a running import's lease lasts; it is renewed three times within it."""

Message = tuple[str, list[dict[str, Any]]]


class ImportMessages(Protocol):
    """How import messages look in Slack (``bot.views.bx_sync``); services only choose when."""

    def started(self) -> Message: ...

    def progress(self, progress: ImportProgress) -> Message: ...

    def finished(self, summary: ImportSummary) -> Message: ...

    def failed(self, reason: str) -> Message: ...


@dataclass(frozen=True)
class Started:
    run_id: int
    job_id: int | None


@dataclass(frozen=True)
class AlreadyRunning:
    run: RunView


class ImportBusy(Exception):
    """An import is already running; ``run`` says who started it and when."""

    def __init__(self, run: RunView) -> None:
        super().__init__(f"an import is already running (started by {run.started_by})")
        self.run = run


class SyncRunService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        importer: ImportService,
        notifier: Notifier,
        messages: ImportMessages,
        now: Callable[[], datetime],
        *,
        progress_interval: float = 2.0,
        run_lease: timedelta = RUN_LEASE,
        languages: LanguageService | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.importer = importer
        self.notifier = notifier
        self.messages = messages
        self.now = now
        self.progress_interval = progress_interval
        self.run_lease = run_lease
        self.languages = languages
        """An import speaks the language of the person who started it: its progress, summary and
        failure reasons are written for them (the CLI's, and without a LanguageService: the job's)."""

    # -- starting -------------------------------------------------------------------------------

    async def request(self, tenant_id: int, started_by: str) -> Started | AlreadyRunning:
        """Queue an import for the worker, unless one is queued or running already."""
        async with self.db.session(tenant_id) as session:
            run = await self._claim_slot(session, started_by, status="queued")
            if isinstance(run, AlreadyRunning):
                return run
            job_id = await self.queue.enqueue(
                tenant_id,
                IMPORT_JOB,
                {"run_id": run.id},
                dedup_key=IMPORT_JOB,
                max_attempts=3,
                session=session,
            )
            run.job_id = job_id
            return Started(run.id, job_id)

    async def run_here(
        self, tenant_id: int, *, started_by: str = CLI, progress: ProgressCallback | None = None
    ) -> ImportSummary:
        """Import in this process (`bxhours sync`); ImportBusy if one is already running."""
        async with self.db.session(tenant_id) as session:
            claimed = await self._claim_slot(session, started_by, status="running")
            if isinstance(claimed, AlreadyRunning):
                raise ImportBusy(claimed.run)
            run_id = claimed.id
        started = time.perf_counter()
        try:
            async with self._holding_lease(tenant_id, run_id):
                summary = await self.importer.run(tenant_id, progress)
        except ImportFailed as exc:
            await self._finish(tenant_id, run_id, FAILED, error=exc.message)
            log_import(tenant_id, run_id, started, error=exc.message)
            raise
        except BaseException:
            await self._finish(tenant_id, run_id, FAILED, error=INTERRUPTED)
            log_import(tenant_id, run_id, started, error=INTERRUPTED)
            raise
        await self._finish(tenant_id, run_id, DONE, summary=summary)
        log_import(tenant_id, run_id, started, summary=summary)
        return summary

    @contextlib.asynccontextmanager
    async def _holding_lease(self, tenant_id: int, run_id: int) -> AsyncIterator[None]:
        """Renew the run's lease while the body runs; a renewal that fails is retried at the next
        beat (the lease outlasts two missed beats)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.run_lease.total_seconds() / 3)
                try:
                    await self._renew_lease(tenant_id, run_id)
                except Exception:
                    log.warning("could not renew the lease of import run %s", run_id, exc_info=True)

        await self._renew_lease(tenant_id, run_id)
        beat = asyncio.create_task(renew())
        try:
            yield
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)

    async def _renew_lease(self, tenant_id: int, run_id: int) -> None:
        async with self.db.session(tenant_id) as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.status == "running")
                .values(lease_expires_at=self.now() + self.run_lease)
                .execution_options(synchronize_session=False)
            )

    async def _claim_slot(
        self, session: AsyncSession, started_by: str, *, status: str
    ) -> SyncRun | AlreadyRunning:
        """Insert the run first — a write, so SQLite's lock is ours before anything is read — and
        let the unique index say whether another run is active."""
        now = self.now()
        await expire_lapsed_runs(session, now)
        for _attempt in range(3):
            run = SyncRun(
                started_by=started_by,
                status=status,
                created_at=now,
                started_at=now if status == "running" else None,
                lease_expires_at=now + self.run_lease if status == "running" else None,
            )
            try:
                async with session.begin_nested():
                    session.add(run)
            except IntegrityError:
                active = await session.scalar(select(SyncRun).where(SyncRun.status.in_(ACTIVE)))
                if active is None:
                    continue  # it finished in the meantime
                if not await self._is_stale(session, active, now):
                    return AlreadyRunning(run_view(active))
                active.status, active.error, active.finished_at = FAILED, INTERRUPTED, now
                await session.flush()
                continue
            return run
        raise RuntimeError("could not record the import run")  # three races in a row: give up loudly

    async def _is_stale(self, session: AsyncSession, run: SyncRun, now: datetime) -> bool:
        if run.lease_expires_at is not None:
            return run.lease_expires_at < now
        if run.job_id is not None:
            job = await session.get(Job, run.job_id)
            return job is None or job.status not in (QUEUED, RUNNING)
        return now - (run.started_at or run.created_at) > STALE_UNATTENDED_RUN

    # -- the job --------------------------------------------------------------------------------

    async def run_job(self, job: ClaimedJob) -> dict[str, Any]:
        """The worker's work for ``import.full``: runs the import of the job's run.

        Every failure ends as ImportFailed after the run and the message say so; retrying on its
        own would not help (bexio retries happen inside the client), an admin can retry the job.
        """
        try:
            run_id = int(job.payload["run_id"])
        except (KeyError, TypeError, ValueError):
            raise ImportFailed(f"import job without a run id: {job.payload!r}") from None
        started = time.perf_counter()
        run = await self._start(job.tenant_id, run_id, job.id)
        if run is None:
            return {"run_id": run_id, "skipped": "already done or superseded"}
        with language_scope(await self._language_of(job.tenant_id, run.started_by)):
            return await self._run(job, run, started)

    async def _run(self, job: ClaimedJob, run: SyncRun, started: float) -> dict[str, Any]:
        run_id = run.id
        message = ProgressMessage(
            self.notifier,
            self.messages,
            self.progress_interval,
            on_phase=lambda phase: self._record_phase(job.tenant_id, run_id, phase),
        )
        await message.open(run, on_posted=lambda ref: self._remember_message(job.tenant_id, run_id, ref))
        try:
            async with self._holding_lease(job.tenant_id, run_id):
                summary = await self.importer.run(job.tenant_id, message.update)
        except ImportFailed as exc:
            await self._finish(job.tenant_id, run_id, FAILED, error=exc.message)
            await message.close(self.messages.failed(exc.message))
            log_import(job.tenant_id, run_id, started, error=exc.message)
            raise
        except Exception as exc:
            log.exception("import run %s failed unexpectedly", run_id)
            reason = _("bxhours failed unexpectedly ({error}); the logs say more.", error=type(exc).__name__)
            await self._finish(job.tenant_id, run_id, FAILED, error=reason)
            await message.close(self.messages.failed(reason))
            log_import(job.tenant_id, run_id, started, error=reason)
            raise ImportFailed(reason) from exc
        await self._finish(job.tenant_id, run_id, DONE, summary=summary)
        await message.close(self.messages.finished(summary))
        if run.started_by and run.started_by != CLI:
            await self._refresh_home(job.tenant_id, run.started_by)
        seconds = log_import(job.tenant_id, run_id, started, summary=summary)
        return {"run_id": run_id, "changed": summary.changed, "seconds": round(seconds, 3)}

    async def _language_of(self, tenant_id: int, started_by: str | None) -> str:
        if self.languages is None or not started_by or started_by == CLI:
            return current_language.get()
        try:
            return await self.languages.for_person(tenant_id, started_by)
        except Exception:  # a language lookup must never stop an import
            log.warning("could not tell the language of %s", started_by, exc_info=True)
            return current_language.get()

    async def _start(self, tenant_id: int, run_id: int, job_id: int) -> SyncRun | None:
        """Mark the run running (again, after a crash or an admin's retry); None if there is
        nothing to do: it finished already, or another run took its place."""
        now = self.now()
        try:
            async with self.db.session(tenant_id) as session:
                result = await session.execute(
                    update(SyncRun)
                    .where(SyncRun.id == run_id, SyncRun.status != DONE)
                    .values(
                        status="running",
                        job_id=job_id,
                        error=None,
                        finished_at=None,
                        lease_expires_at=now + self.run_lease,
                    )
                    .execution_options(synchronize_session=False)
                )
                if not result.rowcount:  # type: ignore[attr-defined]
                    return None
                run = await session.get(SyncRun, run_id)
                assert run is not None
                run.started_at = run.started_at or now
                return run
        except IntegrityError:
            log.info("import run %s superseded by another active run", run_id)
            return None

    async def _record_phase(self, tenant_id: int, run_id: int, phase: str) -> None:
        async with self.db.session(tenant_id) as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.status == "running")
                .values(phase=phase)
                .execution_options(synchronize_session=False)
            )

    async def _remember_message(self, tenant_id: int, run_id: int, ref: MessageRef) -> None:
        async with self.db.session(tenant_id) as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(slack_channel=ref.channel, slack_ts=ref.ts)
                .execution_options(synchronize_session=False)
            )

    async def _finish(
        self,
        tenant_id: int,
        run_id: int,
        status: str,
        *,
        summary: ImportSummary | None = None,
        error: str | None = None,
    ) -> None:
        async with self.db.session(tenant_id) as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(
                    status=status,
                    summary=summary.to_record() if summary is not None else None,
                    error=error,
                    phase=None,
                    finished_at=self.now(),
                    lease_expires_at=None,
                )
                .execution_options(synchronize_session=False)
            )

    async def _refresh_home(self, tenant_id: int, user_id: str) -> None:
        await self.notifier.refresh_home(tenant_id, user_id)  # best effort, never raises


def log_import(
    tenant_id: int,
    run_id: int,
    started: float,
    *,
    summary: ImportSummary | None = None,
    error: str | None = None,
) -> float:
    """The one line an import ends in; returns its seconds, finishing included."""
    seconds = time.perf_counter() - started
    fields: dict[str, Any] = {
        "tenant": tenant_id,
        "run": run_id,
        "outcome": DONE if summary is not None else FAILED,
    }
    if summary is not None:
        resources = summary.resources.values()
        fields.update(
            changed=summary.changed,
            added=sum(r.created for r in resources),
            updated=sum(r.updated for r in resources),
            deactivated=sum(r.deactivated for r in resources),
            changes=",".join(
                f"{name}:+{r.created}~{r.updated}-{r.deactivated}" for name, r in summary.resources.items()
            ),
            skipped=len(summary.skipped),
            unmatched=len(summary.unmatched),
            bexio_calls=summary.bexio_calls,
            import_seconds=round(summary.seconds, 3),
        )
    if error is not None:
        fields["error"] = error[:300]
    fields["seconds"] = round(seconds, 3)
    log.log(logging.INFO if summary is not None else logging.WARNING, "import finished", extra=fields)
    return seconds


class ProgressMessage:
    """The requester's DM about one import: posted at the start, updated as the import goes.

    Updates go out on every phase change and within a long phase at most every ``interval``
    seconds; while one is on its way, newer snapshots wait and only the latest is sent. Each new
    phase is also recorded on the run (`/bx-sync status` shows it). Slack being slow or down never
    slows or stops the import.
    """

    def __init__(
        self,
        notifier: Notifier,
        messages: ImportMessages,
        interval: float,
        on_phase: Callable[[str], Awaitable[None]],
    ) -> None:
        self.notifier = notifier
        self.messages = messages
        self.interval = interval
        self.on_phase = on_phase
        self.ref: MessageRef | None = None
        self._latest: ImportProgress | None = None
        self._sent: ImportProgress | None = None
        self._sent_at = 0.0
        self._sending: asyncio.Task[None] | None = None

    async def open(self, run: SyncRun, on_posted: Callable[[MessageRef], Any]) -> None:
        if run.slack_channel and run.slack_ts:
            self.ref = MessageRef(run.slack_channel, run.slack_ts)
            return
        if not run.started_by or run.started_by == CLI:
            return
        try:
            self.ref = await self.notifier.direct_message(run.started_by, *self.messages.started())
            await on_posted(self.ref)
        except Exception:
            log.warning("could not post the import progress message to %s", run.started_by, exc_info=True)

    def update(self, progress: ImportProgress) -> None:
        self._latest = progress
        if self._sending is None and self._worth_sending(progress):
            self._sending = asyncio.create_task(self._send())

    def _worth_sending(self, progress: ImportProgress) -> bool:
        if self._sent is None or progress.phase != self._sent.phase:
            return True
        return progress is not self._sent and time.monotonic() - self._sent_at >= self.interval

    async def _send(self) -> None:
        try:
            while self._latest is not None and self._worth_sending(self._latest):
                snapshot = self._latest
                if self._sent is None or snapshot.phase != self._sent.phase:
                    await self._record_phase(snapshot.phase)
                await self._post(*self.messages.progress(snapshot))
                self._sent, self._sent_at = snapshot, time.monotonic()
        finally:
            self._sending = None

    async def _record_phase(self, phase: str) -> None:
        try:
            await self.on_phase(phase)
        except Exception:
            log.warning("could not record the import's phase", exc_info=True)

    async def close(self, final: Message) -> None:
        """Wait for an update on its way, then replace the message with the summary or error."""
        if self._sending is not None:
            await asyncio.gather(self._sending, return_exceptions=True)
        await self._post(*final)

    async def _post(self, text: str, blocks: list[dict[str, Any]]) -> None:
        if self.ref is None:
            return
        try:
            await self.notifier.update(self.ref, text, blocks)
        except Exception:
            log.warning("could not update the import progress message", exc_info=True)
