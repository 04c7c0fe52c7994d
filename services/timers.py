"""Timers (issue 17 §4): start, stop, the 10-hour warning and the question after midnight.

One running timer per person, enforced by the database (``storage.models.Timer``). Stopping logs
the real minutes through ``TimeEntryService.log`` — every rule a typed line meets applies, and the
rate is taken as for any entry; rounding to the invoice's step stays what ``time_rounding`` does
when invoicing. The warning and the midnight question are jobs of the durable queue, queued with
the timer (same transaction) to run at start + 10 h and at the end of its day, so they survive a
restart and run once whichever worker takes them; each looks at the timer again and does nothing
when it was stopped (or answered) meanwhile.

Stopping never deletes the timer before its entry is stored: the entry is logged first, then the
timer is removed only if it is still the one that was stopped — a second, concurrent stop finds it
gone and takes its own entry back, so a double click logs once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import timers as rules
from core.clock import to_local
from core.durations import DurationError, parse_duration
from core.i18n import _, current_language, language_scope
from services.entry_lookup import Ambiguous, resolve_project
from services.entry_outcomes import ChooseOne, FieldErrors, Refusal
from services.languages import LanguageService
from services.notifier import MessageRef, Notifier
from services.time_entries import HoursOutcome, HoursRequest, StoredEntry, TimeEntryService
from storage.db import Database
from storage.jobs import ClaimedJob, JobQueue
from storage.models import Activity, Project, Timer

log = logging.getLogger(__name__)

TIMER_WARNING = "timer_warning"
"""Job: the timer has run 10 hours — one DM (payload ``{"timer": id}``)."""
TIMER_MIDNIGHT = "timer_midnight"
"""Job: the timer's day ended — it stops and asks how long the work really was."""


@dataclass(frozen=True, slots=True)
class TimerView:
    """A timer as people see it."""

    timer_id: int
    project: str
    activity: str
    note: str
    started_at: datetime
    """UTC; shown in the company's zone (``local_start``)."""
    local_start: datetime
    day: date
    running: bool
    project_id: int
    activity_id: int

    @property
    def label(self) -> str:
        return f"{self.project} / {self.activity}"


@dataclass(frozen=True, slots=True)
class Started:
    timer: TimerView


@dataclass(frozen=True, slots=True)
class AlreadyRunning:
    """A second start while one runs: the running one is named, nothing changes."""

    timer: TimerView


@dataclass(frozen=True, slots=True)
class NoTimer:
    question_waiting: bool = False
    """A timer stopped at midnight still waits for its answer (in the person's DMs)."""


@dataclass(frozen=True, slots=True)
class Stopped:
    timer: TimerView
    outcome: HoursOutcome
    """What logging its minutes came to (a stored entry, or why not — with the request to offer
    in the form, so nothing is lost)."""
    request: HoursRequest


@dataclass(frozen=True, slots=True)
class TooShort:
    timer: TimerView


@dataclass(frozen=True, slots=True)
class Asked:
    """It ran past midnight: it stopped and the question went to the person's DMs."""

    timer: TimerView


StartOutcome = Started | AlreadyRunning | Refusal | ChooseOne[HoursRequest]
StopOutcome = Stopped | TooShort | Asked | NoTimer | Refusal


@dataclass(frozen=True, slots=True)
class Answered:
    timer: TimerView
    stored: StoredEntry


class TimerMessages(Protocol):
    """The DMs of timers, in the current language (``bot.views.timers`` renders them)."""

    def warning(self, timer: TimerView) -> tuple[str, list[dict[str, Any]]]: ...

    def question(self, timer: TimerView) -> tuple[str, list[dict[str, Any]]]: ...

    def answered(self, timer: TimerView, stored: StoredEntry) -> tuple[str, list[dict[str, Any]]]: ...


class TimerService:
    def __init__(
        self,
        db: Database,
        entries: TimeEntryService,
        queue: JobQueue,
        notifier: Notifier,
        messages: TimerMessages,
        now: Callable[[], datetime],
        timezone: str,
        languages: LanguageService | None = None,
    ) -> None:
        self.db = db
        self.entries = entries
        self.queue = queue
        self.notifier = notifier
        self.messages = messages
        self.now = now
        self.timezone = timezone
        self.languages = languages

    # -- reading ----------------------------------------------------------------------------------

    async def running(self, tenant_id: int, slack_user_id: str) -> TimerView | None:
        """The person's running timer (the App Home shows it with its start time)."""
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(
                select(Timer).where(Timer.slack_user_id == slack_user_id, Timer.running.is_(True))
            )
            return await self._view(session, row) if row is not None else None

    async def waiting(self, tenant_id: int, slack_user_id: str) -> list[TimerView]:
        """Timers stopped at midnight whose question is not answered yet, oldest first."""
        async with self.db.session(tenant_id) as session:
            rows = await session.scalars(
                select(Timer)
                .where(Timer.slack_user_id == slack_user_id, Timer.running.is_(None))
                .order_by(Timer.started_at, Timer.id)
            )
            return [await self._view(session, row) for row in rows]

    async def _view(self, session: AsyncSession, row: Timer) -> TimerView:
        project = await session.get(Project, row.project_id)
        activity = await session.get(Activity, row.activity_id)
        return TimerView(
            timer_id=row.id,
            project=project.name if project else "?",
            activity=activity.name if activity else "?",
            note=row.note,
            started_at=row.started_at,
            local_start=to_local(row.started_at, self.timezone),
            day=row.day,
            running=bool(row.running),
            project_id=row.project_id,
            activity_id=row.activity_id,
        )

    # -- start ----------------------------------------------------------------------------------

    async def start(self, tenant_id: int, slack_user_id: str, request: HoursRequest) -> StartOutcome:
        """Start a timer on the project and activity a request names (typed or clicked), resolved
        as a typed line is: one active project (or the choice), the named activity, else the one
        the person last logged there, else `default_activity`, else the choice."""
        try:
            return await self._start(tenant_id, slack_user_id, request)
        except IntegrityError:  # a concurrent start won: answer as a second start does
            return await self._already_running(tenant_id, slack_user_id)

    async def _start(self, tenant_id: int, slack_user_id: str, request: HoursRequest) -> StartOutcome:
        async with self.db.session(tenant_id) as session:
            person = await self.entries.owned.person(session, slack_user_id)
            if isinstance(person, Refusal):
                return person
            running = await self._running_row(session, person.id)
            if running is not None:
                return AlreadyRunning(await self._view(session, running))
            project = await resolve_project(
                session, project_id=request.project_id, query=request.project_query
            )
            if isinstance(project, Refusal):
                return project
            if isinstance(project, Ambiguous):
                return ChooseOne("project", project.query, project.choices, project.more, request)
            request = dataclasses.replace(request, project_id=project.id, project_query=None)
            settings = await self.entries.settings.load(tenant_id, session)
            # The activity is found exactly as for a typed line (one rule for both ways in).
            activity = await self.entries._resolve_activity(session, person, project, request, settings)
            if not isinstance(activity, Activity):
                return activity
            now = self.now()
            timer = Timer(
                user_id=person.id,
                slack_user_id=slack_user_id,
                project_id=project.id,
                activity_id=activity.id,
                note=request.note,
                running=True,
                started_at=now,
                day=rules.local_day(now, self.timezone),
            )
            session.add(timer)
            await session.flush()  # the unique constraint: one running timer per person
            await self._schedule(session, tenant_id, timer)
            return Started(await self._view(session, timer))

    async def _already_running(self, tenant_id: int, slack_user_id: str) -> StartOutcome:
        async with self.db.session(tenant_id) as session:
            running = await session.scalar(
                select(Timer).where(Timer.slack_user_id == slack_user_id, Timer.running.is_(True))
            )
            if running is None:
                return Refusal(_("Another timer was just started or stopped — try again."))
            return AlreadyRunning(await self._view(session, running))

    async def _schedule(self, session: AsyncSession, tenant_id: int, timer: Timer) -> None:
        """The warning at start + 10 h and the question at the end of its day, in the same unit of
        work as the timer (both exist, or neither)."""
        now = self.now()
        end = rules.day_end(timer.day, self.timezone)
        payload = {"timer": timer.id}
        await self.queue.enqueue(
            tenant_id,
            TIMER_WARNING,
            payload,
            delay=rules.WARN_AFTER.total_seconds(),
            session=session,
        )
        await self.queue.enqueue(
            tenant_id, TIMER_MIDNIGHT, payload, delay=max(0.0, (end - now).total_seconds()), session=session
        )

    async def _running_row(self, session: AsyncSession, person_id: int) -> Timer | None:
        """Locked until the unit of work ends (PostgreSQL): a stop and the midnight job that meet
        take turns, and the second finds it no longer running."""
        return await session.scalar(
            select(Timer).where(Timer.user_id == person_id, Timer.running.is_(True)).with_for_update()
        )

    # -- stop -------------------------------------------------------------------------------------

    async def stop(self, tenant_id: int, slack_user_id: str, timer_id: int | None = None) -> StopOutcome:
        """Log the running timer's real minutes on its day; past its day's end, ask instead. A
        button names the timer it was shown for (``timer_id``): an older one's Stop stops nothing."""
        async with self.db.session(tenant_id) as session:
            person = await self.entries.owned.person(session, slack_user_id)
            if isinstance(person, Refusal):
                return person
            row = await self._running_row(session, person.id)
            if row is not None and timer_id is not None and row.id != timer_id:
                row = None
            if row is None:
                waiting = await session.scalar(
                    select(Timer.id).where(Timer.user_id == person.id, Timer.running.is_(None)).limit(1)
                )
                return NoTimer(question_waiting=waiting is not None)
            view = await self._view(session, row)
            decision = rules.on_stop(row.started_at, self.now(), self.timezone)
            if isinstance(decision, rules.AskHowLong):
                await self._ask(session, row)
                return Asked(dataclasses.replace(view, running=False))
            if isinstance(decision, rules.TooShort):
                await session.delete(row)
                return TooShort(view)
        request = HoursRequest(
            minutes=decision.minutes,
            day=view.day,
            billable=None,
            note=view.note,
            project_id=view.project_id,
            activity_id=view.activity_id,
        )
        outcome = await self.entries.log(tenant_id, slack_user_id, request)
        if not await self._remove(tenant_id, view.timer_id, running=True):
            # Stopped twice at once: the other stop logged it; this entry goes again.
            if isinstance(outcome, StoredEntry):
                await self.entries.delete(tenant_id, slack_user_id, outcome.entry_id)
            return NoTimer()
        return Stopped(view, outcome, request)

    async def _remove(self, tenant_id: int, timer_id: int, *, running: bool) -> bool:
        """Remove the timer if it is still running (or still asking); whether this call did."""
        state = Timer.running.is_(True) if running else Timer.running.is_(None)
        async with self.db.session(tenant_id) as session:
            result = await session.execute(
                delete(Timer).where(Timer.id == timer_id, state).execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    # -- after midnight -----------------------------------------------------------------------------

    async def _ask(self, session: AsyncSession, row: Timer, language: str | None = None) -> None:
        """Stop the timer at its day's end and ask in a DM how long the work really was. The DM is
        sent inside the unit of work: if Slack fails, the timer stays running and the job retries."""
        row.running = None
        row.asked_at = self.now()
        await session.flush()
        view = await self._view(session, row)
        with language_scope(language or current_language.get()):
            text, blocks = self.messages.question(view)
        ref = await self.notifier.direct_message(row.slack_user_id, text, blocks)
        row.question_channel, row.question_ts = ref.channel or None, ref.ts or None

    async def answer(
        self, tenant_id: int, slack_user_id: str, timer_id: int, duration: str
    ) -> Answered | FieldErrors | Refusal:
        """The answer to the midnight question: that duration is logged on the timer's day, the
        question in the DM turns into what was logged."""
        async with self.db.session(tenant_id) as session:
            person = await self.entries.owned.person(session, slack_user_id)
            if isinstance(person, Refusal):
                return person
            row = await session.get(Timer, timer_id)
            if row is None or row.user_id != person.id or row.running:
                return Refusal(_("That timer was answered already (or is not yours) — nothing was logged."))
            view = await self._view(session, row)
            ref = (
                MessageRef(row.question_channel, row.question_ts)
                if row.question_channel and row.question_ts
                else None
            )
        try:
            minutes = parse_duration(duration)
        except DurationError as exc:
            return FieldErrors({"duration": exc.message})
        problem = rules.answer_problem(minutes, view.started_at, self.timezone)
        if problem:
            return FieldErrors({"duration": problem})
        request = HoursRequest(
            minutes=minutes,
            day=view.day,
            billable=None,
            note=view.note,
            project_id=view.project_id,
            activity_id=view.activity_id,
        )
        outcome = await self.entries.log(tenant_id, slack_user_id, request)
        if not isinstance(outcome, StoredEntry):
            message = outcome.message if isinstance(outcome, Refusal) else _("Pick the activity in the form.")
            return FieldErrors({"duration": message})
        if not await self._remove(tenant_id, timer_id, running=False):
            await self.entries.delete(tenant_id, slack_user_id, outcome.entry_id)
            return Refusal(_("That timer was answered already (or is not yours) — nothing was logged."))
        if ref is not None:
            text, blocks = self.messages.answered(view, outcome)
            try:
                await self.notifier.update(ref, text, blocks)
            except Exception:  # the entry is stored; the old question only looks out of date
                log.warning("could not update the midnight question of timer %s", timer_id, exc_info=True)
        return Answered(view, outcome)

    async def question(self, tenant_id: int, slack_user_id: str, timer_id: int) -> TimerView | Refusal:
        """A timer of this person that waits for the answer to the midnight question."""
        async with self.db.session(tenant_id) as session:
            person = await self.entries.owned.person(session, slack_user_id)
            if isinstance(person, Refusal):
                return person
            row = await session.get(Timer, timer_id)
            if row is None or row.user_id != person.id or row.running:
                return Refusal(_("That timer was answered already (or is not yours) — nothing was logged."))
            return await self._view(session, row)

    async def discard(self, tenant_id: int, slack_user_id: str, timer_id: int) -> TimerView | Refusal:
        """ "I didn't work that night": the question goes, nothing is logged."""
        async with self.db.session(tenant_id) as session:
            person = await self.entries.owned.person(session, slack_user_id)
            if isinstance(person, Refusal):
                return person
            row = await session.get(Timer, timer_id)
            if row is None or row.user_id != person.id or row.running:
                return Refusal(_("That timer was answered already (or is not yours) — nothing was logged."))
            view = await self._view(session, row)
        if not await self._remove(tenant_id, timer_id, running=False):
            return Refusal(_("That timer was answered already (or is not yours) — nothing was logged."))
        return view

    # -- jobs --------------------------------------------------------------------------------------

    async def run_warning_job(self, job: ClaimedJob) -> dict[str, Any]:
        """Start + 10 h: one DM if the same timer still runs (stopped or answered: nothing)."""
        language = await self._job_language(job)
        async with self.db.session(job.tenant_id) as session:
            row = await _job_timer(session, job)
            if row is None or not row.running or row.warned_at is not None:
                return {"skipped": "no such running timer"}
            if rules.past_midnight(row.started_at, self.now(), self.timezone):
                return {"skipped": "its day ended: the midnight question asks instead"}
            row.warned_at = self.now()
            view = await self._view(session, row)
            with language_scope(language or current_language.get()):
                text, blocks = self.messages.warning(view)
            # Inside the unit of work: a failed DM leaves warned_at unset, and the job retries.
            await self.notifier.direct_message(row.slack_user_id, text, blocks)
            return {"warned": row.slack_user_id}

    async def run_midnight_job(self, job: ClaimedJob) -> dict[str, Any]:
        """The end of the timer's day: if it still runs, it stops and asks how long it really was."""
        language = await self._job_language(job)
        async with self.db.session(job.tenant_id) as session:
            row = await _job_timer(session, job)
            if row is None or not row.running:
                return {"skipped": "no such running timer"}
            if not rules.past_midnight(row.started_at, self.now(), self.timezone):
                return {"skipped": "its day has not ended"}
            await self._ask(session, row, language)
            return {"asked": row.slack_user_id}

    async def _job_language(self, job: ClaimedJob) -> str | None:
        async with self.db.session(job.tenant_id) as session:
            row = await _job_timer(session, job, lock=False)
            user = row.slack_user_id if row is not None else None
        return await self._language_of(job.tenant_id, user) if user else None

    async def _language_of(self, tenant_id: int, slack_user_id: str) -> str | None:
        """The person's language, for DMs a job sends (a request speaks it already); read before a
        unit of work starts, so no second session opens while one writes."""
        if self.languages is None:
            return None
        return await self.languages.for_person(tenant_id, slack_user_id)


async def _job_timer(session: AsyncSession, job: ClaimedJob, *, lock: bool = True) -> Timer | None:
    """The timer a job names, locked (PostgreSQL) so that a stop at the same moment takes turns."""
    value = job.payload.get("timer") if isinstance(job.payload, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return await session.get(Timer, value, with_for_update=lock)
