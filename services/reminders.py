"""Missing-hours reminders (issue 17 §1, §2): one DM per person and working day, updated in place.

Who is reminded is decided by ``core.reminder_rules`` from what this module reads: the hours of the
day, absences, the person's preferences and what was sent already. At most one reminder per person
and day, also with several workers: a ``nudges`` row is inserted *before* the DM is posted, and its
unique key (tenant, person, kind, day) lets exactly one of two racing workers insert it — the other
sees ``already_reminded``. A DM that could not be posted gives its row back, so a later run retries.

The DM names the message it was posted as; whenever the person's hours of that day change — by
`/log-hours`, the form, a reminder button or an import from bexio — a ``reminders.refresh`` job
re-renders it ("✓ 6:30 h logged" once the day is covered). The buttons carry only the reminder's
id and the index of a combination; the combinations themselves are kept in the row.
"""

from __future__ import annotations

import logging
import time as monotonic
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.absences import AbsenceKind
from core.clock import to_local, zone
from core.i18n import _, language_scope
from core.reminder_rules import (
    DEFAULT_REMINDER_TIME,
    PersonDay,
    Skip,
    is_short,
    parse_reminder_time,
    previous_working_day,
    reminder_due,
    skip_reason,
)
from services.absences import AbsenceRequest, AbsenceService, is_full_day_absent
from services.entry_outcomes import Refusal
from services.notifier import MessageRef, Notifier
from services.recents import recent_combinations
from services.settings import SettingsService, TenantSettings
from services.time_entries import HoursRequest, StoredEntry, TimeEntryService
from storage.db import TENANT_KEY, Database
from storage.jobs import JobQueue
from storage.models import Activity, Nudge, PersonPreference, Project, TimeEntry, User
from storage.tenant_context import working_for

log = logging.getLogger(__name__)

REMINDER = "reminder"
REMINDER_REFRESH = "reminders.refresh"
"""Job: re-render open reminders after hours changed (payload: ``user``/``day`` or all of them)."""
REMINDER_WAKE = "reminders.wake"
"""Job: a snoozed reminder comes back (payload: ``nudge``)."""
NUDGES_TICK = "nudges.tick"
"""Job, per tenant, every ``TICK_SECONDS``: the reminders and summaries whose time has come."""
TICK_SECONDS = 300.0
SNOOZE_SECONDS = 3600
MAX_OFFERS = 3
"""Combinations offered as buttons (each a row of 1 h / 2 h / Other…)."""
ZONE_TTL = 3600.0

OPEN, SNOOZED, COVERED, DAY_OFF, SENDING = "open", "snoozed", "covered", "day_off", "sending"


SlackZones = Callable[[int, str], Awaitable[str | None]]
"""(tenant, Slack user id) → the person's time zone as their Slack profile says (``users.info``
``tz``); implemented in the composition root."""


class Absences(Protocol):
    """Full-day absences (services.absences): asked before reminding, written by "Day off"."""

    async def is_full_day_absent(self, tenant_id: int, user_id: int, day: date) -> bool: ...

    async def log_day_off(self, tenant_id: int, slack_user_id: str, day: date) -> str | None:
        """Log the day as absent; an error sentence when it cannot be, else None."""
        ...


class NoAbsences:
    """Until absences are known: nobody is absent, and "Day off" says it cannot be logged."""

    async def is_full_day_absent(self, tenant_id: int, user_id: int, day: date) -> bool:
        return False

    async def log_day_off(self, tenant_id: int, slack_user_id: str, day: date) -> str | None:
        return _("Absences cannot be logged in this workspace yet, so nothing was changed.")


class BookedAbsences:
    """``Absences`` as ``services.absences`` keeps them: "Day off" logs a whole-day absence of
    kind "other" for the reminder's day (sent on to bexio payroll like any other absence)."""

    def __init__(self, db: Database, service: Callable[[], AbsenceService | None]) -> None:
        self.db = db
        self.service = service

    async def is_full_day_absent(self, tenant_id: int, user_id: int, day: date) -> bool:
        async with self.db.session(tenant_id) as session:
            return await is_full_day_absent(session, user_id, day)

    async def log_day_off(self, tenant_id: int, slack_user_id: str, day: date) -> str | None:
        service = self.service()
        if service is None:
            return await NoAbsences().log_day_off(tenant_id, slack_user_id, day)
        outcome = await service.log(tenant_id, slack_user_id, AbsenceRequest(AbsenceKind.OTHER, day, day))
        return outcome.message if isinstance(outcome, Refusal) else None


@dataclass(frozen=True, slots=True)
class Offer:
    project_id: int
    activity_id: int
    label: str
    """``Website Relaunch / Umsetzung``"""


@dataclass(frozen=True, slots=True)
class ReminderView:
    """What one reminder DM shows; rendered by ``bot.views.reminder``."""

    nudge_id: int
    day: date
    state: str
    logged_minutes: int
    min_minutes: int
    offers: tuple[Offer, ...] = ()
    extra_day: date | None = None
    extra_minutes: int = 0
    snoozed_until: str | None = None
    """``18:05`` on the person's clock, while snoozed."""


class ReminderMessages(Protocol):
    def reminder(self, view: ReminderView) -> tuple[str, list[dict[str, Any]]]: ...


@dataclass
class RunResult:
    """``bxhours reminders run --json``: who got one (or would, with ``--dry-run``), who not and why."""

    sent: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    """Slack user id → why the DM could not be posted (retried at the next run)."""

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "skipped": self.skipped}


class ReminderRefused(Exception):
    """A click on a reminder that is not the clicker's, not open, or names no offered choice."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def min_minutes_of(settings: TenantSettings) -> int:
    hours = settings.get("reminder_min_hours")
    return int((Decimal(hours) * 60).to_integral_value()) if isinstance(hours, Decimal) else 60


class RemindersService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        settings: SettingsService,
        notifier: Notifier,
        time_entries: TimeEntryService,
        now: Callable[[], datetime],
        timezone: str,
        *,
        messages: ReminderMessages,
        zones: SlackZones | None = None,
        absences: Absences | None = None,
        language_of: Callable[[int, str], Any] | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.settings = settings
        self.notifier = notifier
        self.time_entries = time_entries
        self.now = now
        self.timezone = timezone
        self.messages = messages
        self.zones = zones
        self.absences: Absences = absences or NoAbsences()
        self.language_of = language_of
        self._zones: dict[tuple[int, str], tuple[str, float]] = {}

    # -- who is reminded --------------------------------------------------------------------

    async def run(
        self, tenant_id: int, day: date | None = None, *, dry_run: bool = False, due_only: bool = False
    ) -> RunResult:
        """Check ``day`` (default: each person's today in their time zone) and send the reminders
        it calls for now. ``due_only`` (the scheduler): only people whose reminder time has come
        today; the others are not mentioned."""
        settings = await self.settings.load(tenant_id)
        enabled = settings.get("reminders_enabled") is not False
        canton = settings.get("holidays_canton")
        canton = canton if isinstance(canton, str) else None
        min_minutes = min_minutes_of(settings)
        result = RunResult()
        async with self.db.session(tenant_id) as session:
            people = list(await session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
            prefs = {p.slack_user_id: p for p in await session.scalars(select(PersonPreference))}
        for person in people:
            key = person.slack_user_id or person.email or f"user {person.id}"
            if not enabled or person.slack_user_id is None:
                result.skipped[key] = (Skip.DISABLED if not enabled else Skip.UNLINKED).value
                continue
            slack_id = person.slack_user_id
            pref = prefs.get(slack_id)
            local_now = to_local(self.now(), await self.zone_of(tenant_id, slack_id))
            the_day = day or local_now.date()
            if due_only:
                wanted = parse_reminder_time(pref.reminder_time if pref else None) or DEFAULT_REMINDER_TIME
                if the_day != local_now.date() or not reminder_due(local_now, wanted):
                    continue
            facts = PersonDay(
                enabled=True,
                linked=True,
                opted_out=bool(pref and pref.reminders_opt_out),
                day=the_day,
                canton=canton,
                absent=await self.absences.is_full_day_absent(tenant_id, person.id, the_day),
                logged_minutes=await self.logged_minutes(tenant_id, person.id, the_day),
                min_minutes=min_minutes,
                already_reminded=await self._reminded(tenant_id, slack_id, the_day),
            )
            reason = skip_reason(facts)
            if reason is not None:
                result.skipped[key] = reason.value
                continue
            if dry_run:
                result.sent.append(slack_id)
                continue
            try:
                sent = await self._send(tenant_id, person, the_day, canton, min_minutes)
            except Exception as exc:  # Slack refused or is down: the row was given back, a later run retries
                log.warning("the reminder for %s could not be sent", slack_id, exc_info=True)
                result.failed[slack_id] = f"{type(exc).__name__}: {exc}"[:200]
                continue
            if sent:
                result.sent.append(slack_id)
            else:
                result.skipped[key] = Skip.ALREADY_REMINDED.value
        return result

    async def zone_of(self, tenant_id: int, slack_user_id: str) -> str:
        """The person's Slack time zone (remembered for an hour), else the deployment's."""
        key = (tenant_id, slack_user_id)
        cached = self._zones.get(key)
        if cached is not None and monotonic.monotonic() - cached[1] < ZONE_TTL:
            return cached[0]
        found: str | None = None
        if self.zones is not None:
            try:
                found = await self.zones(tenant_id, slack_user_id)
                if found:
                    zone(found)
            except Exception:  # unknown zone name, Slack unreachable: the company's zone
                log.info("the time zone of %s could not be read", slack_user_id, exc_info=True)
                found = None
        value = found or self.timezone
        self._zones[key] = (value, monotonic.monotonic())
        return value

    async def logged_minutes(self, tenant_id: int, user_id: int, day: date) -> int:
        async with self.db.session(tenant_id) as session:
            return await _minutes(session, user_id, day)

    async def _reminded(self, tenant_id: int, slack_user_id: str, day: date) -> bool:
        async with self.db.session(tenant_id) as session:
            found = await session.scalar(
                select(Nudge.id).where(
                    Nudge.slack_user_id == slack_user_id, Nudge.kind == REMINDER, Nudge.day == day
                )
            )
        return found is not None

    async def _send(
        self, tenant_id: int, person: User, day: date, canton: str | None, min_minutes: int
    ) -> bool:
        assert person.slack_user_id is not None
        slack_id = person.slack_user_id
        extra = previous_working_day(day, canton)
        if extra is not None and (
            not is_short(await self.logged_minutes(tenant_id, person.id, extra), min_minutes)
            or await self.absences.is_full_day_absent(tenant_id, person.id, extra)
        ):
            extra = None
        stamp = self.now()
        try:
            async with self.db.session(tenant_id) as session:
                recent = await recent_combinations(
                    self.db, tenant_id, slack_id, day, limit=MAX_OFFERS, session=session
                )
                offers = [Offer(c.project_id, c.activity_id, c.label) for c in recent]
                nudge = Nudge(
                    slack_user_id=slack_id,
                    kind=REMINDER,
                    day=day,
                    state=SENDING,
                    extra_day=extra,
                    offers=[[o.project_id, o.activity_id] for o in offers],
                    created_at=stamp,
                    updated_at=stamp,
                )
                session.add(nudge)
                await session.flush()
                nudge_id = nudge.id
        except IntegrityError:  # another worker inserted it first: that one sends
            return False
        try:
            view = await self._view(tenant_id, nudge_id)
            assert view is not None
            text, blocks = await self._render(tenant_id, slack_id, view)
            with working_for(tenant_id):
                ref = await self.notifier.direct_message(slack_id, text, blocks)
        except BaseException:
            async with self.db.session(tenant_id) as session:
                await session.execute(delete(Nudge).where(Nudge.id == nudge_id))
            raise
        async with self.db.session(tenant_id) as session:
            row = await session.get(Nudge, nudge_id)
            assert row is not None
            row.channel, row.ts, row.state, row.updated_at = ref.channel, ref.ts, OPEN, self.now()
        return True

    # -- what the DM shows ------------------------------------------------------------------

    async def _view(self, tenant_id: int, nudge_id: int) -> ReminderView | None:
        settings = await self.settings.load(tenant_id)
        min_minutes = min_minutes_of(settings)
        async with self.db.session(tenant_id) as session:
            nudge = await session.get(Nudge, nudge_id)
            if nudge is None or nudge.kind != REMINDER:
                return None
            person = await session.scalar(select(User).where(User.slack_user_id == nudge.slack_user_id))
            if person is None:
                return None
            logged = await _minutes(session, person.id, nudge.day)
            extra_minutes = await _minutes(session, person.id, nudge.extra_day) if nudge.extra_day else 0
            offers = await _offers_of(session, nudge.offers or [])
        extra = nudge.extra_day if nudge.extra_day and is_short(extra_minutes, min_minutes) else None
        snoozed = None
        if nudge.state == SNOOZED and nudge.snoozed_until is not None:
            local = to_local(nudge.snoozed_until, await self.zone_of(tenant_id, nudge.slack_user_id))
            snoozed = f"{local:%H:%M}"
        return ReminderView(
            nudge_id=nudge.id,
            day=nudge.day,
            state=nudge.state,
            logged_minutes=logged,
            min_minutes=min_minutes,
            offers=offers,
            extra_day=extra,
            extra_minutes=extra_minutes,
            snoozed_until=snoozed,
        )

    async def _render(
        self, tenant_id: int, slack_user_id: str, view: ReminderView
    ) -> tuple[str, list[dict[str, Any]]]:
        language = await self.language_of(tenant_id, slack_user_id) if self.language_of is not None else None
        with language_scope(language):
            return self.messages.reminder(view)

    async def view_of(self, tenant_id: int, nudge_id: int) -> ReminderView | None:
        """The reminder as it would be rendered now (tests and the closing note read it)."""
        return await self._view(tenant_id, nudge_id)

    # -- updating in place --------------------------------------------------------------------

    async def hours_stored(self, session: AsyncSession, user_id: int | None, day: date) -> None:
        """Called where hours are stored, inside that unit of work: queue a refresh of the person's
        open reminder of ``day`` (or one listing it), committed with the hours or not at all."""
        if user_id is None:
            return
        tenant_id = session.info.get(TENANT_KEY)
        if tenant_id is None:
            return
        rows = await session.execute(  # one query: the hook runs on every save
            select(Nudge.slack_user_id, Nudge.day)
            .join(User, User.slack_user_id == Nudge.slack_user_id)
            .where(
                User.id == user_id,
                Nudge.kind == REMINDER,
                Nudge.state.in_((OPEN, SNOOZED)),
                or_(Nudge.day == day, Nudge.extra_day == day),
            )
        )
        for slack_id, reminded in rows.all():
            await self.queue.enqueue(
                tenant_id,
                REMINDER_REFRESH,
                {"user": slack_id, "day": reminded.isoformat()},
                dedup_key=f"reminder-refresh:{slack_id}:{reminded.isoformat()}",
                session=session,
            )

    async def refresh_all_soon(self, tenant_id: int) -> None:
        """After an import: re-check every open reminder (imported hours may cover their day)."""
        async with self.db.session(tenant_id) as session:
            found = await session.scalar(select(Nudge.id).where(Nudge.kind == REMINDER, Nudge.state == OPEN))
        if found is not None:
            await self.queue.enqueue(tenant_id, REMINDER_REFRESH, {}, dedup_key="reminder-refresh:all")

    async def refresh(self, tenant_id: int, slack_user_id: str | None = None, day: date | None = None) -> int:
        """Re-render the open reminders (of one person and day, or all); returns how many were
        updated. A reminder whose day is covered now reads "✓ 6:30 h logged" and has no buttons."""
        async with self.db.session(tenant_id) as session:
            query = select(Nudge.id).where(Nudge.kind == REMINDER, Nudge.state.in_((OPEN, SNOOZED)))
            if slack_user_id is not None:
                query = query.where(Nudge.slack_user_id == slack_user_id)
            if day is not None:
                query = query.where(Nudge.day == day)
            ids = list(await session.scalars(query.order_by(Nudge.id)))
        updated = 0
        for nudge_id in ids:
            if await self._refresh_one(tenant_id, nudge_id, only_when_covered=slack_user_id is None):
                updated += 1
        return updated

    async def _refresh_one(self, tenant_id: int, nudge_id: int, *, only_when_covered: bool = False) -> bool:
        view = await self._view(tenant_id, nudge_id)
        if view is None or view.state not in (OPEN, SNOOZED):
            return False
        covered = not is_short(view.logged_minutes, view.min_minutes)
        if only_when_covered and not covered:
            return False
        if covered:
            async with self.db.session(tenant_id) as session:
                row = await session.get(Nudge, nudge_id)
                assert row is not None
                row.state, row.updated_at = COVERED, self.now()
            view = ReminderView(view.nudge_id, view.day, COVERED, view.logged_minutes, view.min_minutes)
        return await self._update_message(tenant_id, nudge_id, view)

    async def _update_message(self, tenant_id: int, nudge_id: int, view: ReminderView) -> bool:
        async with self.db.session(tenant_id) as session:
            row = await session.get(Nudge, nudge_id)
            if row is None or not row.channel or not row.ts:
                return False
            ref, slack_id = MessageRef(row.channel, row.ts), row.slack_user_id
        text, blocks = await self._render(tenant_id, slack_id, view)
        with working_for(tenant_id):
            await self.notifier.update(ref, text, blocks)
        return True

    async def run_refresh_job(self, tenant_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        user = payload.get("user")
        day = payload.get("day")
        wanted = date.fromisoformat(day) if isinstance(day, str) else None
        updated = await self.refresh(tenant_id, user if isinstance(user, str) else None, wanted)
        return {"updated": updated}

    # -- the buttons ----------------------------------------------------------------------------

    async def _own_open(self, tenant_id: int, slack_user_id: str, nudge_id: int) -> Nudge:
        async with self.db.session(tenant_id) as session:
            nudge = await session.get(Nudge, nudge_id)
        if nudge is None or nudge.kind != REMINDER or nudge.slack_user_id != slack_user_id:
            raise ReminderRefused(_("That reminder was not sent to you, so nothing was changed."))
        if nudge.state == DAY_OFF:
            raise ReminderRefused(_("That day is logged as a day off already, so nothing was changed."))
        return nudge

    async def offered(self, tenant_id: int, slack_user_id: str, nudge_id: int, index: int) -> HoursRequest:
        """The request behind an offered button: its day and combination, as kept in the row."""
        nudge = await self._own_open(tenant_id, slack_user_id, nudge_id)
        offers = nudge.offers or []
        if not 0 <= index < len(offers):
            raise ReminderRefused(_("That button is out of date, so nothing was logged. Use `/log-hours`."))
        project_id, activity_id = offers[index]
        return HoursRequest(
            minutes=60,
            day=nudge.day,
            billable=None,
            note="",
            project_id=int(project_id),
            activity_id=int(activity_id),
        )

    async def form_request(
        self, tenant_id: int, slack_user_id: str, nudge_id: int, index: int | None
    ) -> tuple[HoursRequest, tuple[int, int] | None]:
        """What "Other…" opens the log form with: the day and the hours still missing, and the
        offered combination (project id, activity id) when one was clicked."""
        nudge = await self._own_open(tenant_id, slack_user_id, nudge_id)
        view = await self._view(tenant_id, nudge_id)
        missing = max((view.min_minutes - view.logged_minutes) if view else 60, 15)
        request = HoursRequest(minutes=missing, day=nudge.day, billable=None, note="")
        if index is None:
            return request, None
        offered = await self.offered(tenant_id, slack_user_id, nudge_id, index)
        assert offered.project_id is not None and offered.activity_id is not None
        return request, (offered.project_id, offered.activity_id)

    async def log_offer(
        self, tenant_id: int, slack_user_id: str, nudge_id: int, index: int, minutes: int
    ) -> StoredEntry | Refusal:
        """1 h / 2 h: log the offered combination on the reminder's day, then update the DM."""
        request = await self.offered(tenant_id, slack_user_id, nudge_id, index)
        outcome = await self.time_entries.log(
            tenant_id,
            slack_user_id,
            HoursRequest(
                minutes, request.day, None, "", project_id=request.project_id, activity_id=request.activity_id
            ),
        )
        if isinstance(outcome, StoredEntry):
            await self._refresh_one(tenant_id, nudge_id)
            return outcome
        if isinstance(outcome, Refusal):
            return outcome
        return Refusal(_("That combination cannot be logged any more. Use `/log-hours`."))

    async def snooze(self, tenant_id: int, slack_user_id: str, nudge_id: int) -> str:
        """Hide the buttons for an hour; the reminder comes back as a new DM unless the day is
        covered by then. Returns the time it comes back, on the person's clock."""
        nudge = await self._own_open(tenant_id, slack_user_id, nudge_id)
        if nudge.state not in (OPEN, SNOOZED):
            raise ReminderRefused(_("Your hours of that day are logged already — no need to snooze."))
        until = self.now() + timedelta(seconds=SNOOZE_SECONDS)
        async with self.db.session(tenant_id) as session:
            row = await session.get(Nudge, nudge_id)
            assert row is not None
            row.state, row.snoozed_until, row.updated_at = SNOOZED, until, self.now()
            await self.queue.enqueue(
                tenant_id,
                REMINDER_WAKE,
                {"nudge": nudge_id},
                dedup_key=f"reminder-wake:{nudge_id}",
                delay=SNOOZE_SECONDS,
                session=session,
            )
        view = await self._view(tenant_id, nudge_id)
        assert view is not None
        await self._update_message(tenant_id, nudge_id, view)
        return view.snoozed_until or ""

    async def wake(self, tenant_id: int, nudge_id: int) -> dict[str, Any]:
        """A snoozed reminder's hour is over: covered by now, it says so; else it comes back as a
        new DM (the snoozed one keeps saying when)."""
        view = await self._view(tenant_id, nudge_id)
        if view is None or view.state != SNOOZED:
            return {"woke": False}
        if not is_short(view.logged_minutes, view.min_minutes):
            await self._refresh_one(tenant_id, nudge_id)
            return {"woke": False, "covered": True}
        async with self.db.session(tenant_id) as session:
            row = await session.get(Nudge, nudge_id)
            assert row is not None
            row.state, row.snoozed_until, row.updated_at = OPEN, None, self.now()
            slack_id = row.slack_user_id
        view = await self._view(tenant_id, nudge_id)
        assert view is not None
        text, blocks = await self._render(tenant_id, slack_id, view)
        with working_for(tenant_id):
            ref = await self.notifier.direct_message(slack_id, text, blocks)
        async with self.db.session(tenant_id) as session:
            row = await session.get(Nudge, nudge_id)
            assert row is not None
            row.channel, row.ts = ref.channel, ref.ts
        return {"woke": True}

    async def day_off(self, tenant_id: int, slack_user_id: str, nudge_id: int) -> str | None:
        """Log the reminder's day as a day off (an absence); the DM says so. An error sentence
        when the absence could not be logged."""
        nudge = await self._own_open(tenant_id, slack_user_id, nudge_id)
        problem = await self.absences.log_day_off(tenant_id, slack_user_id, nudge.day)
        if problem:
            return problem
        async with self.db.session(tenant_id) as session:
            row = await session.get(Nudge, nudge_id)
            assert row is not None
            row.state, row.updated_at = DAY_OFF, self.now()
        view = await self._view(tenant_id, nudge_id)
        if view is not None:
            await self._update_message(tenant_id, nudge_id, view)
        return None

    # -- preferences ------------------------------------------------------------------------------

    async def preference(self, tenant_id: int, slack_user_id: str) -> tuple[time, bool]:
        """The person's reminder time and whether they opted out."""
        async with self.db.session(tenant_id) as session:
            pref = await session.scalar(
                select(PersonPreference).where(PersonPreference.slack_user_id == slack_user_id)
            )
        if pref is None:
            return DEFAULT_REMINDER_TIME, False
        return parse_reminder_time(pref.reminder_time) or DEFAULT_REMINDER_TIME, pref.reminders_opt_out

    async def choose(self, tenant_id: int, slack_user_id: str, when: time | None) -> None:
        """A time (reminders on at that time) or None (opted out)."""
        async with self.db.session(tenant_id) as session:
            pref = await session.scalar(
                select(PersonPreference).where(PersonPreference.slack_user_id == slack_user_id)
            )
            if pref is None:
                pref = PersonPreference(slack_user_id=slack_user_id, updated_at=self.now())
                session.add(pref)
            if when is None:
                pref.reminders_opt_out = True
            else:
                pref.reminders_opt_out = False
                pref.reminder_time = f"{when:%H:%M}"
            pref.updated_at = self.now()


async def _minutes(session: AsyncSession, user_id: int, day: date) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.user_id == user_id, TimeEntry.day == day
        )
    )
    return int(total or 0)


async def _offers_of(session: AsyncSession, pairs: list[Any]) -> tuple[Offer, ...]:
    offers: list[Offer] = []
    for pair in pairs:
        project = await session.get(Project, int(pair[0]))
        activity = await session.get(Activity, int(pair[1]))
        label = f"{project.name if project else '?'} / {activity.name if activity else '?'}"
        offers.append(Offer(int(pair[0]), int(pair[1]), label))
    return tuple(offers)


async def schedule_nudges(queue: JobQueue, tenant_id: int, *, delay: float = TICK_SECONDS) -> int:
    """Queue the tenant's next tick in ``delay`` seconds (``serve``/``worker`` at start, and each
    tick at its end); a tick queued already absorbs it, so there is one per tenant. The first tick
    after a start also waits a full interval: a process that only lives for a moment (a one-shot
    command, a test) never sends anything by the clock."""
    return await queue.enqueue(tenant_id, NUDGES_TICK, {}, dedup_key="nudges:tick", delay=delay)
