"""The bexio connection as people see it: `/bx-sync status` and the App Home footer.

The connection is "connected" once an import got through, "broken" (with the reason) once bexio
refused the token or a scope — recorded on the tenant's ``bexio_connections`` row by the import —
and a personal access token's expiry is read from the token itself, so the warning comes seven
days ahead (bexio's tokens die after 60 days).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.scopes import BXHOURS_SCOPES
from core.dates import format_date
from core.i18n import N_, _
from services.bexio_access import BexioAccess
from services.importing.summary import ImportSummary
from storage.db import Database
from storage.jobs import JobCounts, JobQueue
from storage.models import BexioConnection, SyncRun
from storage.tenants import TenantRepository

EXPIRY_WARNING = timedelta(days=7)
INTERRUPTED = N_("The import was interrupted before it finished (its process stopped). Run `/bx-sync` again.")
"""Stored in English on the run; translated where it is shown (``_(run.error)``)."""
OK, BROKEN = "ok", "broken"

ConnectionState = Literal["connected", "broken", "not_connected", "unchecked"]
AUTH_KIND_NAMES = {"pat": N_("personal access token"), "oauth": "OAuth"}


async def expire_lapsed_runs(session: AsyncSession, now: datetime) -> int:
    """Mark failed every running import whose lease lapsed: its process was killed (kill -9, a
    lost machine) and can no longer say so. Called wherever a run is looked at, so a dead run is
    shown as failed — and stops blocking new imports — within its lease (issue 12 §11)."""
    result = await session.execute(
        update(SyncRun)
        .where(
            SyncRun.status == "running", SyncRun.lease_expires_at.is_not(None), SyncRun.lease_expires_at < now
        )
        .values(status="failed", error=INTERRUPTED, phase=None, finished_at=now, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RunView:
    id: int
    status: str
    started_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    phase: str | None
    error: str | None
    summary: ImportSummary | None


@dataclass(frozen=True)
class ConnectionView:
    state: ConnectionState
    reason: str | None
    company_name: str | None
    auth_kind: str | None
    token_expires_at: datetime | None
    expires_soon: bool
    last_run: RunView | None
    """The newest import, finished or not."""
    timezone: str
    """The company's, for showing times."""
    company_address: str | None = None
    vat_number: str | None = None
    missing_scopes: tuple[str, ...] = ()
    """OAuth scopes this version of bxhours needs that the connection was not granted (reconnect)."""

    @property
    def auth_name(self) -> str | None:
        return AUTH_KIND_NAMES.get(self.auth_kind or "", self.auth_kind)


@dataclass(frozen=True)
class ParkedJob:
    id: int
    kind: str
    error: str | None
    attempts: int
    failed_at: datetime | None


@dataclass(frozen=True)
class SyncStatus:
    connection: ConnectionView
    jobs: JobCounts
    parked: list[ParkedJob]
    writeback: Any = None
    """``services.writeback.WriteBackCounts``: entries written, pending, failed (issue 16 §5)."""


class SyncStatusService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        bexio: BexioAccess,
        tenants: TenantRepository,
        now: Callable[[], datetime],
        timezone: str,
    ) -> None:
        self.db = db
        self.queue = queue
        self.bexio = bexio
        self.tenants = tenants
        self.now = now
        self.timezone = timezone
        self.writeback_counts: Callable[[int], Awaitable[Any]] | None = None
        """Set by the runtime: the write-back's counts for the status (``WriteBack.counts``)."""

    async def connection(self, tenant_id: int) -> ConnectionView:
        tenant = await self.tenants.get(tenant_id)
        async with self.db.session(tenant_id) as session:
            await expire_lapsed_runs(session, self.now())
            row = await session.scalar(select(BexioConnection))
            last = await session.scalar(
                select(SyncRun).order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
            )
            last_run = run_view(last) if last is not None else None
        auth_kind = self.bexio.auth_kind
        expires = self.bexio.token_expiry()
        now = self.now()
        state: ConnectionState
        reason: str | None = None
        if auth_kind == "oauth" and (row is None or row.access_token_enc is None):
            # The server can connect by OAuth, but nobody has signed in yet (or it was disconnected).
            auth_kind = None
            state, reason = (
                "not_connected",
                _("nobody has connected bexio yet: an admin clicks Connect bexio in the App Home"),
            )
        elif auth_kind is None:
            state, reason = (
                "not_connected",
                _(
                    "no bexio credentials are configured (BEXIO_ACCESS_TOKEN, or BEXIO_CLIENT_ID and "
                    "BEXIO_CLIENT_SECRET for Connect bexio)"
                ),
            )
        elif expires is not None and expires <= now:
            expired_on = format_date(expires.date())
            state, reason = "broken", _("the personal access token expired on {date}", date=expired_on)
        elif row is not None and row.status == BROKEN:
            state, reason = "broken", row.last_error
        elif row is not None and row.status == OK:
            state = "connected"
        else:
            state = "unchecked"
        return ConnectionView(
            state=state,
            reason=reason,
            company_name=tenant.bexio_company_name if tenant else None,
            missing_scopes=missing_scopes(row.scopes) if auth_kind == "oauth" and row is not None else (),
            company_address=tenant.bexio_company_address if tenant else None,
            vat_number=tenant.bexio_vat_number if tenant else None,
            auth_kind=auth_kind,
            token_expires_at=expires,
            expires_soon=expires is not None and expires - now <= EXPIRY_WARNING,
            last_run=last_run,
            timezone=self.timezone,
        )

    async def status(self, tenant_id: int) -> SyncStatus:
        jobs = await self.queue.counts(tenant_id)
        parked = [
            ParkedJob(job.id, job.kind, job.last_error, job.attempts, job.finished_at)
            for job in await self.queue.parked(tenant_id)
        ]
        writeback = await self.writeback_counts(tenant_id) if self.writeback_counts is not None else None
        return SyncStatus(await self.connection(tenant_id), jobs, parked, writeback)

    async def record(self, tenant_id: int, *, ok: bool, reason: str | None = None) -> None:
        """What the last contact with bexio showed: connected, or broken and why."""
        now = self.now()
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(BexioConnection))
            if row is None:
                row = BexioConnection(auth_kind=self.bexio.auth_kind or "pat", updated_at=now)
                session.add(row)
            row.status = OK if ok else BROKEN
            row.last_error = None if ok else reason
            row.checked_at = now
            row.updated_at = now


def missing_scopes(granted: str | None) -> tuple[str, ...]:
    """What bxhours asks for when connecting that the stored grant lacks (OpenID's own scopes aside:
    Keycloak does not always list them)."""
    if granted is None:
        return ()
    have = set(granted.split())
    return tuple(
        scope for scope in BXHOURS_SCOPES if scope not in have and scope not in ("openid", "profile", "email")
    )


def run_view(run: SyncRun) -> RunView:
    return RunView(
        id=run.id,
        status=run.status,
        started_by=run.started_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        phase=run.phase,
        error=run.error,
        summary=ImportSummary.from_record(run.summary) if run.summary else None,
    )
