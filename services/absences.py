"""Absences (issue 16 §6-7): kept in bxhours, sent to bexio payroll when it takes them.

Logging an absence stores it and queues a job in one transaction (acknowledged means stored); the
job (``ABSENCE_SYNC``) finds the person's payroll employee by e-mail (``GET /4.0/payroll/employees``,
which also refreshes what the day's norm needs), then creates the absence (``POST``), or replaces
it after an edit (``PUT`` with every field bexio requires; the figures bxhours does not know —
``continued_pay``, ``disability``, ``paid_hours`` — are sent back as bexio has them). A delete
queues ``ABSENCE_DELETE`` with bexio's ids. Jobs are idempotent: a create whose answer was lost is
found again among the employee's absences of that year (same reason, days and half-day flag, not
claimed by another absence) before it is sent twice; an absence deleted while its create was in
flight is deleted in bexio again.

Without bexio's payroll module — or without the scopes ``payroll_employee_show``,
``payroll_absence_show``, ``payroll_absence_edit`` — bexio answers 403 and says neither. The
absence then stays in bxhours (``not_sent``), and the workspace is told exactly that **once**
(``PayrollAccess.told_at``): in the reply to the command when bxhours learns it there, else by DM
from the job to whoever logged the absence. A later success clears the flag.

For other helpers: ``is_full_day_absent``, ``absence_days`` (per day, which kinds and halves) and
``AbsenceService.is_full_day_absent`` by Slack user; the day's norm is ``services.norm``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.client import BexioClient
from bexio.errors import BexioError, BexioNotFound, BexioPermissionError, BexioRateLimited, BexioUnavailable
from bexio.models import PayrollAbsence, PayrollEmployee
from bexio.resources.payroll import absence_body
from core.absences import (
    BEXIO_REASONS,
    AbsenceDay,
    AbsenceInput,
    AbsenceKind,
    Half,
    is_full_day,
    kind_label,
    parse_absence,
    range_problem,
)
from core.clock import to_local
from core.dates import format_day
from core.i18n import N_, _, current_language, language_scope
from core.quick_entry import ParseError
from services.bexio_access import BexioAccess
from services.entry_lookup import linked_person
from services.entry_outcomes import Refusal, Removed
from services.notifier import Notifier
from services.people import PeopleService
from storage.db import Database
from storage.jobs import ClaimedJob, JobQueue
from storage.models import Absence, AuditLog, PayrollAccess, PayrollEmployeeLink, User

log = logging.getLogger(__name__)

ABSENCE_SYNC = "absence_sync"
"""Job: send one absence (``{"absence_id": …}``) to bexio payroll — create or replace."""
ABSENCE_DELETE = "absence_delete"
"""Job: delete an absence in bexio payroll (``{"employee_id": …, "bexio_absence_id": …}``)."""

PENDING, SENT, NOT_SENT, FAILED = "pending", "sent", "not_sent", "failed"
SUBJECT = "absence"
LISTED_DAYS_BACK = 31
"""`/log-absence list` shows what ended in the last month and everything ahead."""

PAYROLL_REFUSED = N_(
    "bexio payroll does not take absences from bxhours: the payroll module is not active in bexio, "
    "or the bexio connection lacks the scopes payroll_employee_show, payroll_absence_show and "
    "payroll_absence_edit. Absences stay in bxhours (this is said once)."
)
NO_EMPLOYEE, NO_EMAIL, NOT_CONNECTED, NO_PAYROLL = "no_employee", "no_email", "not_connected", "no_payroll"
"""``sync_error`` of a ``not_sent`` absence: why bexio payroll has not got it (shown translated by
``sync_reason``); a ``failed`` absence keeps bexio's own message instead."""
_SYNC_REASONS = {
    NO_EMPLOYEE: N_("bexio payroll has no employee with the e-mail {email}"),
    NO_EMAIL: N_("the person has no e-mail address in bxhours"),
    NOT_CONNECTED: N_("bexio is not connected"),
    NO_PAYROLL: N_("bexio payroll is not available"),
}
_GONE = N_("That absence no longer exists — it may have been deleted already.")
_OTHERS_ONLY_ADMINS = N_("Only admins can log or change an absence for someone else.")
_NOT_LINKED_SELF = N_(
    "You are not linked to a bexio user yet, so no absence could be logged — nothing was stored. "
    "An admin can link you with `/bx-sync link @you your-bexio-email`."
)
_NOT_LINKED_OTHER = N_("{person} is not linked to a bexio user yet, so no absence could be logged for them.")
_OVERLAP = N_(
    "{person} already has an absence on these days ({kind}, {days}); change or delete that one instead."
)


class AbsenceSyncRefused(Exception):
    """bexio refused the absence for good (400): retrying cannot help; the job is parked."""


@dataclass(frozen=True, slots=True)
class AbsenceRequest:
    """An absence as typed or picked in the form; ``person`` is a Slack user id (None: oneself)."""

    kind: AbsenceKind
    first_day: date
    last_day: date
    half: Half | None = None
    person: str | None = None

    @classmethod
    def from_input(cls, parsed: AbsenceInput) -> AbsenceRequest:
        return cls(parsed.kind, parsed.first_day, parsed.last_day, parsed.half, parsed.person)


@dataclass(frozen=True, slots=True)
class StoredAbsence:
    """An absence as people see it."""

    id: int
    kind: AbsenceKind
    first_day: date
    last_day: date
    half: Half | None
    person: str
    """The person's name."""
    slack_user_id: str | None
    for_someone_else: bool
    sync_state: str
    sync_error: str | None
    notice: str | None = None
    """Said once per workspace: bexio payroll does not take absences (issue 16 §7)."""


def _days_touched(absence: Absence, first: date, last: date) -> list[date]:
    start, end = max(absence.first_day, first), min(absence.last_day, last)
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


async def absence_days(
    session: AsyncSession, user_id: int, first: date, last: date
) -> dict[date, list[AbsenceDay]]:
    """Each day from ``first`` to ``last`` on which the person (``users.id``) is absent, with the
    absences' kinds and halves (None: the whole day). Runs in the caller's tenant session."""
    rows = await session.scalars(
        select(Absence).where(
            Absence.user_id == user_id, Absence.first_day <= last, Absence.last_day >= first
        )
    )
    days: dict[date, list[AbsenceDay]] = {}
    for row in rows:
        for day in _days_touched(row, first, last):
            days.setdefault(day, []).append(
                AbsenceDay(AbsenceKind(row.kind), Half(row.half) if row.half else None)
            )
    return days


async def is_full_day_absent(session: AsyncSession, user_id: int, day: date) -> bool:
    """Whether the person (``users.id``) is away the whole of ``day`` — then it is no working day:
    no reminder, no expected hours. Runs in the caller's tenant session (``db.session(tenant_id)``)."""
    return is_full_day((await absence_days(session, user_id, day, day)).get(day, []))


class AbsenceService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        bexio: BexioAccess | None,
        people: PeopleService,
        notifier: Notifier,
        now: Callable[[], datetime],
        timezone: str,
        admin_ids: Collection[str] = (),
        language_of: Callable[[int, str], Awaitable[str]] | None = None,
    ) -> None:
        self.language_of = language_of
        """The language a person reads (``LanguageService.for_person``), for the job's DM."""
        self.db = db
        self.queue = queue
        self.bexio = bexio
        self.people = people
        self.notifier = notifier
        self.now = now
        self.timezone = timezone
        self.admin_ids = admin_ids

    def today(self) -> date:
        return to_local(self.now(), self.timezone).date()

    def parse_line(self, text: str) -> AbsenceInput | ParseError:
        return parse_absence(text, self.today(), current_language.get())

    # -- for other helpers ---------------------------------------------------------------------

    async def is_full_day_absent(self, tenant_id: int, slack_user_id: str, day: date) -> bool:
        """``is_full_day_absent`` for a Slack user (False for someone not linked)."""
        async with self.db.session(tenant_id) as session:
            person = await linked_person(session, slack_user_id)
            return person is not None and await is_full_day_absent(session, person.id, day)

    # -- logging, changing, deleting -----------------------------------------------------------

    async def _target(
        self, session: AsyncSession, tenant_id: int, slack_user_id: str, person: str | None
    ) -> User | Refusal:
        """Whose absence it is: oneself, or — for admins — the person named."""
        if person is not None and person != slack_user_id:
            if not await self.people.is_admin(tenant_id, slack_user_id):
                return Refusal(_(_OTHERS_ONLY_ADMINS))
            target = await linked_person(session, person)
            if target is None:
                return Refusal(_(_NOT_LINKED_OTHER, person="<@" + person + ">"))
            return target
        own = await linked_person(session, slack_user_id)
        return own if own is not None else Refusal(_(_NOT_LINKED_SELF))

    async def _overlap(
        self, session: AsyncSession, person: User, request: AbsenceRequest, excluding: int | None
    ) -> Refusal | None:
        query = select(Absence).where(
            Absence.user_id == person.id,
            Absence.first_day <= request.last_day,
            Absence.last_day >= request.first_day,
        )
        if excluding is not None:
            query = query.where(Absence.id != excluding)
        for other in await session.scalars(query):
            halves = {other.half, request.half.value if request.half else None}
            if None not in halves and len(halves) == 2:
                continue  # morning and afternoon of the same day
            return Refusal(
                _(
                    _OVERLAP,
                    person=person.display_name,
                    kind=_kind_text(other.kind),
                    days=_days_text(other.first_day, other.last_day),
                )
            )
        return None

    async def log(
        self, tenant_id: int, slack_user_id: str, request: AbsenceRequest
    ) -> StoredAbsence | Refusal:
        """Store the absence and queue its trip to bexio payroll; or say why not."""
        problem = range_problem(request.first_day, request.last_day, request.half)
        if problem is not None:
            return Refusal(problem)
        notice = await self._first_notice(tenant_id)
        async with self.db.session(tenant_id) as session:
            person = await self._target(session, tenant_id, slack_user_id, request.person)
            if isinstance(person, Refusal):
                return person
            overlap = await self._overlap(session, person, request, None)
            if overlap is not None:
                return overlap
            stamp = self.now()
            row = Absence(
                user_id=person.id,
                kind=request.kind.value,
                first_day=request.first_day,
                last_day=request.last_day,
                half=request.half.value if request.half else None,
                created_by=slack_user_id,
                sync_state=PENDING,
                created_at=stamp,
                updated_at=stamp,
            )
            session.add(row)
            await session.flush()
            self._audit(session, slack_user_id, "created", row)
            await self._queue_sync(session, tenant_id, row)
            stored = self._stored(row, person, slack_user_id)
        if notice is not None:
            stored = _with_notice(stored, notice)
        return stored

    async def change(
        self, tenant_id: int, slack_user_id: str, absence_id: int, request: AbsenceRequest
    ) -> StoredAbsence | Refusal:
        """Change an absence (its owner, or an admin); bexio gets the change by ``PUT``."""
        problem = range_problem(request.first_day, request.last_day, request.half)
        if problem is not None:
            return Refusal(problem)
        async with self.db.session(tenant_id) as session:
            row = await self._changeable(session, tenant_id, slack_user_id, absence_id)
            if isinstance(row, Refusal):
                return row
            person = await self._target(session, tenant_id, slack_user_id, request.person)
            if isinstance(person, Refusal):
                return person
            if person.id != row.user_id:
                return Refusal(_("An absence cannot move to another person; delete it and log a new one."))
            overlap = await self._overlap(session, person, request, row.id)
            if overlap is not None:
                return overlap
            self._audit(session, slack_user_id, "changed", row)
            row.kind = request.kind.value
            row.first_day, row.last_day = request.first_day, request.last_day
            row.half = request.half.value if request.half else None
            row.sync_state, row.sync_error = PENDING, None
            row.updated_at = self.now()
            await session.flush()
            await self._queue_sync(session, tenant_id, row)
            return self._stored(row, person, slack_user_id)

    async def delete(self, tenant_id: int, slack_user_id: str, absence_id: int) -> Removed | Refusal:
        """Delete in bxhours now, in bexio payroll through a job."""
        async with self.db.session(tenant_id) as session:
            row = await self._changeable(session, tenant_id, slack_user_id, absence_id)
            if isinstance(row, Refusal):
                return row
            person = await session.get(User, row.user_id)
            summary = _summary(row, person)
            self._audit(session, slack_user_id, "deleted", row)
            if row.bexio_absence_id and row.bexio_employee_id:
                await self.queue.enqueue(
                    tenant_id,
                    ABSENCE_DELETE,
                    {"employee_id": row.bexio_employee_id, "bexio_absence_id": row.bexio_absence_id},
                    session=session,
                )
            await session.delete(row)
        return Removed(summary)

    async def get(self, tenant_id: int, slack_user_id: str, absence_id: int) -> StoredAbsence | Refusal:
        """One absence for its edit form (its owner, or an admin)."""
        async with self.db.session(tenant_id) as session:
            row = await self._changeable(session, tenant_id, slack_user_id, absence_id)
            if isinstance(row, Refusal):
                return row
            person = await session.get(User, row.user_id)
            assert person is not None
            return self._stored(row, person, slack_user_id)

    async def listing(self, tenant_id: int, slack_user_id: str) -> list[StoredAbsence] | Refusal:
        """The person's absences of the last month and ahead."""
        async with self.db.session(tenant_id) as session:
            person = await linked_person(session, slack_user_id)
            if person is None:
                return Refusal(_(_NOT_LINKED_SELF))
            since = self.today() - timedelta(days=LISTED_DAYS_BACK)
            rows = await session.scalars(
                select(Absence)
                .where(Absence.user_id == person.id, Absence.last_day >= since)
                .order_by(Absence.first_day, Absence.id)
            )
            return [self._stored(row, person, slack_user_id) for row in rows]

    async def _changeable(
        self, session: AsyncSession, tenant_id: int, slack_user_id: str, absence_id: int
    ) -> Absence | Refusal:
        row = await session.get(Absence, absence_id)
        if row is None:
            return Refusal(_(_GONE))
        own = await linked_person(session, slack_user_id)
        if own is not None and own.id == row.user_id:
            return row
        if await self.people.is_admin(tenant_id, slack_user_id):
            return row
        return Refusal(_(_OTHERS_ONLY_ADMINS))

    def _stored(self, row: Absence, person: User, slack_user_id: str) -> StoredAbsence:
        return StoredAbsence(
            id=row.id,
            kind=AbsenceKind(row.kind),
            first_day=row.first_day,
            last_day=row.last_day,
            half=Half(row.half) if row.half else None,
            person=person.display_name,
            slack_user_id=person.slack_user_id,
            for_someone_else=person.slack_user_id != slack_user_id,
            sync_state=row.sync_state,
            sync_error=row.sync_error,
        )

    def _audit(self, session: AsyncSession, actor: str, change: str, row: Absence) -> None:
        session.add(
            AuditLog(
                actor=actor,
                action=f"{SUBJECT}.{change}",
                subject_type=SUBJECT,
                subject_id=str(row.id),
                details={
                    "user_id": row.user_id,
                    "kind": row.kind,
                    "first_day": row.first_day.isoformat(),
                    "last_day": row.last_day.isoformat(),
                    "half": row.half,
                    "bexio_absence_id": row.bexio_absence_id,
                },
                created_at=self.now(),
            )
        )

    async def _queue_sync(self, session: AsyncSession, tenant_id: int, row: Absence) -> None:
        await self.queue.enqueue(
            tenant_id, ABSENCE_SYNC, {"absence_id": row.id}, dedup_key=f"absence:{row.id}", session=session
        )

    # -- whether bexio payroll takes absences (said once) --------------------------------------

    async def _first_notice(self, tenant_id: int) -> str | None:
        """Before storing: when bxhours does not know yet whether bexio payroll takes absences (or
        knows it does not and nobody was told), ask bexio once — a read, nothing is written. On a
        403 the reply says so (once per workspace); any other trouble is the job's to handle."""
        if self.bexio is None or not await self.bexio.connected(tenant_id):
            return None
        async with self.db.session(tenant_id) as session:
            access = await session.scalar(select(PayrollAccess))
        if access is not None and (access.state == "ok" or access.told_at is not None):
            return None
        try:
            async with self.bexio.client(tenant_id) as client:
                await client.payroll.employees()
        except BexioPermissionError as exc:
            return _(PAYROLL_REFUSED) if await self._refused(tenant_id, str(exc)) else None
        except BexioError:
            return None
        await self._accessible(tenant_id)
        return None

    async def _access_row(self, session: AsyncSession) -> PayrollAccess:
        access = await session.scalar(select(PayrollAccess))
        if access is None:
            access = PayrollAccess(state="unknown", updated_at=self.now())
            session.add(access)
            await session.flush()
        return access

    async def _refused(self, tenant_id: int, detail: str) -> bool:
        """Record that bexio payroll refused; True for the one caller that gets to tell people."""
        async with self.db.session(tenant_id) as session:
            access = await self._access_row(session)
            access.state, access.detail, access.updated_at = "refused", detail[:2000], self.now()
            claimed = await session.execute(
                update(PayrollAccess)
                .where(PayrollAccess.id == access.id, PayrollAccess.told_at.is_(None))
                .values(told_at=self.now())
            )
            return bool(getattr(claimed, "rowcount", 0))

    async def _accessible(self, tenant_id: int) -> None:
        async with self.db.session(tenant_id) as session:
            access = await self._access_row(session)
            access.state, access.detail, access.told_at, access.updated_at = "ok", None, None, self.now()

    # -- the jobs ------------------------------------------------------------------------------

    async def run_sync_job(self, job: ClaimedJob) -> dict[str, Any] | None:
        tenant_id = job.tenant_id
        absence_id = int(job.payload["absence_id"])
        async with self.db.session(tenant_id) as session:
            row = await session.get(Absence, absence_id)
            if row is None:
                return {"skipped": "the absence was deleted"}
            person = await session.get(User, row.user_id)
            assert person is not None
            version = row.updated_at
            snapshot = (
                AbsenceKind(row.kind),
                row.first_day,
                row.last_day,
                row.half,
                row.bexio_employee_id,
                row.bexio_absence_id,
            )
            created_by, email = row.created_by, person.email
        kind, first, last, half, employee_id, bexio_id = snapshot
        if self.bexio is None or not await self.bexio.connected(tenant_id):
            await self._settle(tenant_id, absence_id, version, NOT_SENT, NOT_CONNECTED)
            return {"not_sent": "bexio is not connected"}
        body = absence_body(
            reason=BEXIO_REASONS[kind], start_date=first, end_date=last, half_day=half is not None
        )
        try:
            async with self.bexio.client(tenant_id) as client:
                if employee_id is None:
                    employee_id = await self._employee_for(
                        client, tenant_id, row_user_id=person.id, email=email
                    )
                    if employee_id is None:
                        reason = NO_EMPLOYEE if email else NO_EMAIL
                        await self._settle(tenant_id, absence_id, version, NOT_SENT, reason)
                        return {"not_sent": reason}
                if bexio_id is not None:
                    try:
                        current = await client.payroll.absence(employee_id, bexio_id)
                    except BexioNotFound:  # deleted in bexio meanwhile: bxhours leads, create it again
                        bexio_id = None
                    else:
                        await client.payroll.replace_absence(
                            employee_id, bexio_id, _replacement(body, current)
                        )
                if bexio_id is None:
                    bexio_id = await self._find_sent(client, tenant_id, employee_id, body)
                    if bexio_id is None:
                        bexio_id = (await client.payroll.create_absence(employee_id, body)).id
        except BexioPermissionError as exc:
            await self._settle(tenant_id, absence_id, version, NOT_SENT, NO_PAYROLL)
            if await self._refused(tenant_id, str(exc)) and created_by:
                await self._tell(tenant_id, created_by, PAYROLL_REFUSED)
            return {"not_sent": "bexio payroll refused (403)"}
        except (BexioRateLimited, BexioUnavailable):
            raise  # retried with a backoff; a lost create is found again next time
        except BexioError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                await self._settle(tenant_id, absence_id, version, FAILED, exc.message)
                raise AbsenceSyncRefused(f"bexio refused the absence: {exc.message}") from None
            raise
        await self._accessible(tenant_id)
        kept = await self._sent(tenant_id, absence_id, version, employee_id, bexio_id)
        if not kept:  # deleted while it was being sent: it goes in bexio too
            async with self.bexio.client(tenant_id) as client:
                with contextlib.suppress(BexioNotFound):
                    await client.payroll.delete_absence(employee_id, bexio_id)
            return {"deleted_again": bexio_id}
        return {"sent": bexio_id}

    async def run_delete_job(self, job: ClaimedJob) -> dict[str, Any] | None:
        employee_id = str(job.payload["employee_id"])
        bexio_id = str(job.payload["bexio_absence_id"])
        if self.bexio is None or not await self.bexio.connected(job.tenant_id):
            return {"skipped": "bexio is not connected"}
        try:
            async with self.bexio.client(job.tenant_id) as client:
                await client.payroll.delete_absence(employee_id, bexio_id)
        except BexioNotFound:
            return {"gone": bexio_id}
        except BexioPermissionError:
            return {"skipped": "bexio payroll refused (403)"}
        return {"deleted": bexio_id}

    async def _employee_for(
        self, client: BexioClient, tenant_id: int, *, row_user_id: int, email: str | None
    ) -> str | None:
        """Read the employees once: this person's employee id is returned, and every linked
        person's employee and norm figures are kept (the day's norm reads them)."""
        employees: list[PayrollEmployee] = await client.payroll.employees()
        by_email = {e.email.strip().casefold(): e for e in employees if e.email}
        found = by_email.get((email or "").strip().casefold()) if email else None
        try:
            await self._keep_links(tenant_id, by_email)
        except IntegrityError:  # another job kept the same links at the same moment: theirs stand
            log.info("payroll employee links were refreshed concurrently; keeping the other refresh")
        return found.id if found is not None else None

    async def _keep_links(self, tenant_id: int, by_email: dict[str, PayrollEmployee]) -> None:
        async with self.db.session(tenant_id) as session:
            people = await session.scalars(select(User).where(User.email.is_not(None)))
            links = {link.user_id: link for link in await session.scalars(select(PayrollEmployeeLink))}
            for user in people:
                employee = by_email.get((user.email or "").strip().casefold())
                link = links.get(user.id)
                if employee is None:
                    if link is not None:
                        await session.delete(link)
                    continue
                if link is None:
                    link = PayrollEmployeeLink(
                        user_id=user.id, employee_id=employee.id, fetched_at=self.now()
                    )
                    session.add(link)
                link.employee_id = employee.id
                link.hours_per_week = _decimal(employee.hours_per_week)
                link.employment_level = _decimal(employee.employment_level)
                link.fetched_at = self.now()

    async def _find_sent(
        self, client: BexioClient, tenant_id: int, employee_id: str, body: dict[str, Any]
    ) -> str | None:
        """A create whose answer was lost: an absence of the same reason, days and half-day flag
        that no absence in bxhours claims yet."""
        year = int(body["start_date"][:4])
        existing: list[PayrollAbsence] = await client.payroll.absences(employee_id, business_year=year)
        async with self.db.session(tenant_id) as session:
            claimed = set(
                await session.scalars(
                    select(Absence.bexio_absence_id).where(Absence.bexio_absence_id.is_not(None))
                )
            )
        for candidate in existing:
            same = (
                candidate.reason == body["reason"]
                and candidate.start_date is not None
                and candidate.start_date.isoformat() == body["start_date"]
                and candidate.end_date is not None
                and candidate.end_date.isoformat() == body["end_date"]
                and bool(candidate.half_day) == body["half_day"]
            )
            if same and candidate.id not in claimed:
                return candidate.id
        return None

    async def _settle(
        self, tenant_id: int, absence_id: int, version: datetime, state: str, error: str | None
    ) -> None:
        async with self.db.session(tenant_id) as session:
            await session.execute(
                update(Absence)
                .where(Absence.id == absence_id, Absence.updated_at == version)
                .values(sync_state=state, sync_error=error)
            )

    async def _sent(
        self, tenant_id: int, absence_id: int, version: datetime, employee_id: str, bexio_id: str
    ) -> bool:
        """Keep bexio's ids; the state says sent only if nobody changed the absence meanwhile (a
        change queued another job that sends it). False when the absence is gone."""
        async with self.db.session(tenant_id) as session:
            row = await session.get(Absence, absence_id)
            if row is None:
                return False
            row.bexio_employee_id, row.bexio_absence_id = employee_id, bexio_id
            if row.updated_at == version:
                row.sync_state, row.sync_error = SENT, None
            return True

    async def _tell(self, tenant_id: int, slack_user_id: str, message: str) -> None:
        """A DM in the recipient's own language (the job runs in the workspace's)."""
        try:
            language = await self.language_of(tenant_id, slack_user_id) if self.language_of else None
            with language_scope(language or current_language.get()):
                text = _(message)
            await self.notifier.direct_message(slack_user_id, text)
        except Exception:  # the absence is stored and its state says why; a DM is best effort
            log.warning("could not tell %s that bexio payroll refused absences", slack_user_id, exc_info=True)


def _replacement(body: dict[str, Any], current: PayrollAbsence) -> dict[str, Any]:
    """``PUT`` needs every field: ours, and bexio's own figures (0 where bexio has none —
    UNCONFIRMED what bexio makes of that)."""
    figures = {
        "continued_pay": current.continued_pay if not isinstance(current.continued_pay, bool) else None,
        "disability": current.disability,
        "paid_hours": current.paid_hours,
    }
    replaced = dict(body)
    for name, value in figures.items():
        number = value if isinstance(value, Decimal) else Decimal(0)
        replaced[name] = int(number) if number == number.to_integral_value() else float(number)
    return replaced


def _decimal(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def sync_reason(stored: StoredAbsence, email: str | None = None) -> str | None:
    """Why an absence is not (yet) in bexio payroll, in the reader's language; None when it is."""
    if stored.sync_state == SENT or stored.sync_error is None:
        return None
    message = _SYNC_REASONS.get(stored.sync_error)
    if message is None:
        return stored.sync_error  # bexio's own words
    return _(message, email=email or "?")


def _kind_text(kind: str) -> str:
    return kind_label(kind)


def _days_text(first: date, last: date) -> str:
    return format_day(first) if first == last else f"{format_day(first)} – {format_day(last)}"


def _summary(row: Absence, person: User | None) -> str:
    name = person.display_name if person is not None else "?"
    return f"{_kind_text(row.kind)} · {name} · {_days_text(row.first_day, row.last_day)}"


def _with_notice(stored: StoredAbsence, notice: str) -> StoredAbsence:
    return replace(stored, notice=notice)


__all__ = [
    "ABSENCE_DELETE",
    "ABSENCE_SYNC",
    "AbsenceRequest",
    "AbsenceService",
    "AbsenceSyncRefused",
    "StoredAbsence",
    "absence_days",
    "is_full_day_absent",
]
