"""Logging hours: from a typed line, a click or the form to a stored time entry with its rate snapshot.

The path of `/log-hours` never calls bexio: people, projects and activities come from what the
import stored, and the rate is decided by ``services.rates.rate_for`` on the day the entry is
stored — later rate changes in bexio never re-price it. Each call is one unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.dates import format_day
from core.durations import DurationError, format_duration, hours_decimal, parse_duration
from core.entry_rules import entry_problems
from core.i18n import _, current_language
from core.matching import Candidate, MatchKind, match, normalise_name
from core.money import quantize_money
from core.quick_entry import LogHoursInput, ParseError, parse_log_hours
from core.rates import RateSource
from services.entry_lookup import label_of, no_such, project_label
from services.entry_outcomes import (
    MAX_DETAIL_CHOICES,
    Choice,
    ChooseOne,
    FieldErrors,
    Refusal,
    Removed,
)
from services.entry_service import EntryService, Started
from services.norm import absence_warning
from services.owned_records import RecordKind
from services.rates import rate_for
from services.settings import TenantSettings
from storage.db import TENANT_KEY
from storage.models import Activity, Project, TimeEntry, User

if TYPE_CHECKING:
    from services.writeback import WriteBack

IMPORTED = "bexio"
MAX_PROJECT_OPTIONS = 100
"""Slack shows at most 100 options in an external select."""


@dataclass(frozen=True, slots=True)
class HoursRequest:
    """What a person asked to log; travels in buttons while a choice is pending."""

    minutes: int
    day: date
    billable: bool | None
    """None: as the activity's bexio default."""
    note: str
    project_query: str | None = None
    project_id: int | None = None
    activity_query: str | None = None
    activity_id: int | None = None

    @classmethod
    def from_input(cls, parsed: LogHoursInput) -> HoursRequest:
        return cls(
            minutes=parsed.minutes,
            day=parsed.day,
            billable=parsed.billable,
            note=parsed.note,
            project_query=parsed.project_query,
            activity_query=parsed.activity_query,
        )


@dataclass(frozen=True, slots=True)
class StoredEntry:
    entry_id: int
    minutes: int
    day: date
    project: str
    activity: str
    billable: bool
    rate: Decimal | None
    amount: Decimal | None
    """Hours × rate, when a rate applies."""
    fixed_price: bool
    missing_rate: str | None
    """For a billable entry without a rate: which rate is missing and where to set it."""
    absence_warning: str | None = None
    """The person is absent that day and now has more hours than the day's norm leaves (issue 16 §8)."""

    @property
    def summary(self) -> str:
        return (
            f"{format_duration(self.minutes)} h · {self.project} / {self.activity} · {format_day(self.day)}"
        )


HoursOutcome = StoredEntry | Refusal | ChooseOne[HoursRequest]


@dataclass(frozen=True, slots=True)
class HoursForm:
    """The log form as submitted, before validation."""

    day: date | None
    project_id: int | None
    activity_id: int | None
    duration: str
    note: str
    billable: bool


@dataclass(frozen=True, slots=True)
class FormDefaults:
    """What the form shows for a project: its activities (most used there first) and the defaults."""

    activities: tuple[Choice, ...]
    activity_id: int | None
    billable: bool


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A stored entry as the form shows it for editing."""

    entry_id: int
    day: date
    project: Choice
    activity_id: int | None
    minutes: int
    note: str
    billable: bool
    summary: str
    """`2:30 h · Website Relaunch / Umsetzung · Mon 23.11.`"""


async def _summary(session: AsyncSession, entry: TimeEntry) -> str:
    project = await session.get(Project, entry.project_id) if entry.project_id else None
    activity = await session.get(Activity, entry.activity_id) if entry.activity_id else None
    return (
        f"{format_duration(entry.minutes)} h · {project.name if project else '?'} / "
        f"{activity.name if activity else '?'} · {format_day(entry.day)}"
    )


def _imported_refusal(entry: TimeEntry) -> Refusal | None:
    """Imported hours belong to bexio: bxhours would only be overwritten by the next sync."""
    if entry.source == IMPORTED:
        return Refusal(_("That entry was imported from bexio — change it in bexio, then run `/bx-sync`."))
    return None


def _audit_details(entry: TimeEntry) -> dict[str, Any]:
    return {
        "day": entry.day.isoformat(),
        "minutes": entry.minutes,
        "project_id": entry.project_id,
        "activity_id": entry.activity_id,
        "billable": entry.billable,
    }


TIME_ENTRIES_KIND = RecordKind(
    model=TimeEntry,
    noun="entry",
    logged_what="hours",
    subject_type="time_entry",
    audit_details=_audit_details,
    summary=_summary,
    extra_refusal=_imported_refusal,
)
"""Whose entries they are, what their audit rows keep; imported hours belong to bexio."""


class TimeEntryService(EntryService[TimeEntry]):
    kind = TIME_ENTRIES_KIND
    hours_stored: Callable[[AsyncSession, int | None, date], Awaitable[None]] | None = None
    """Told (inside the unit of work) that a person's hours of a day changed: their open
    missing-hours reminder is updated in place (``services.reminders``, issue 17 §1)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._day_locks: dict[tuple[int, str], asyncio.Lock] = {}
        self.writeback: WriteBack | None = None
        """Queues the write of each change to bexio when ``write_back_hours`` is on (issue 16)."""

    async def _queue_write(self, session: AsyncSession, entry: TimeEntry, settings: TenantSettings) -> None:
        """In the entry's own unit of work: the change and its write-back job are stored together."""
        if self.writeback is not None:
            await self.writeback.entry_saved(session, session.info[TENANT_KEY], entry, settings)

    async def delete(self, tenant_id: int, slack_user_id: str, record_id: int) -> Removed | Refusal:
        """As for every record; a written entry's timesheet is deleted in bexio too (a job)."""
        async with self.db.session(tenant_id) as session:
            if self.writeback is not None:
                record = await self.owned.open(session, slack_user_id, record_id)
                if not isinstance(record, Refusal):
                    await self.writeback.entry_deleted(session, tenant_id, record)
            return await self.owned.delete(session, slack_user_id, record_id)

    @contextlib.asynccontextmanager
    async def _person_unit(self, tenant_id: int, slack_user_id: str) -> AsyncIterator[AsyncSession]:
        """A unit of work in which nobody else changes this person's hours: their day total is
        checked and the entry stored as one step. One at a time per person in this process (SQLite
        has no row locks; it runs one process), and ``_logged_minutes`` locks the person's row
        (PostgreSQL, across processes)."""
        lock = self._day_locks.setdefault((tenant_id, slack_user_id), asyncio.Lock())
        async with lock, self.db.session(tenant_id) as session:
            yield session

    def parse_line(self, text: str) -> LogHoursInput | ParseError:
        # Weekday words two languages read differently (Di, Do) follow the person's language.
        return parse_log_hours(text, self.today(), current_language.get())

    # -- the rules ----------------------------------------------------------------------------

    async def _logged_minutes(
        self, session: AsyncSession, user_id: int, day: date, *, excluding: int | None = None
    ) -> int:
        """What the person has on ``day`` already (imported hours included), without ``excluding``;
        the person's row stays locked until the unit of work ends (PostgreSQL)."""
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
        query = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.user_id == user_id, TimeEntry.day == day
        )
        if excluding is not None:
            query = query.where(TimeEntry.id != excluding)
        return int(await session.scalar(query) or 0)

    async def _request_problems(
        self, session: AsyncSession, person: User, settings: TenantSettings, request: HoursRequest
    ) -> dict[str, str]:
        return dict(
            entry_problems(
                minutes=request.minutes,
                day=request.day,
                note=request.note,
                today=self.today(),
                allow_future=self.allows_future(settings),
                logged_that_day=await self._logged_minutes(session, person.id, request.day),
            )
        )

    # -- logging ------------------------------------------------------------------------------

    async def log(self, tenant_id: int, slack_user_id: str, request: HoursRequest) -> HoursOutcome:
        """Store what the person asked for, or say what is missing or wrong."""
        async with self._person_unit(tenant_id, slack_user_id) as session:
            started = await self._start(session, tenant_id, slack_user_id, request)
            if not isinstance(started, Started):
                return started
            person, settings = started.person, started.settings
            project, request = started.project, started.request
            activity = await self._resolve_activity(session, person, project, request, settings)
            if not isinstance(activity, Activity):
                return activity
            billable = activity.default_is_billable if request.billable is None else request.billable
            stamp = self.now()
            entry = TimeEntry(
                user_id=person.id,
                project_id=project.id,
                activity_id=activity.id,
                day=request.day,
                minutes=request.minutes,
                note=request.note,
                billable=billable,
                source="slack",
                created_at=stamp,
                updated_at=stamp,
            )
            return await self._store(session, entry, settings, person, project, activity)

    async def submit_form(
        self, tenant_id: int, slack_user_id: str, form: HoursForm, *, entry_id: int | None = None
    ) -> StoredEntry | FieldErrors | Refusal:
        """Validate the form field by field; store a new entry, or change ``entry_id``."""
        async with self._person_unit(tenant_id, slack_user_id) as session:
            check = await self._check_form(
                session, tenant_id, slack_user_id, form, missing_day=_("Pick the day the work was done.")
            )
            if isinstance(check, Refusal):
                return check
            person, settings, project = check.person, check.settings, check.project
            errors: dict[str, str] = {}
            minutes = 0
            try:
                minutes = parse_duration(form.duration)
            except DurationError as exc:
                errors["duration"] = exc.message
            errors.update(check.errors)
            if form.day is not None:
                problems = entry_problems(
                    minutes=minutes,
                    day=form.day,
                    note=form.note,
                    today=self.today(),
                    allow_future=self.allows_future(settings),
                    logged_that_day=await self._logged_minutes(
                        session, person.id, form.day, excluding=entry_id
                    ),
                )
                for field_name, problem in problems.items():
                    errors.setdefault(field_name, problem)
            activity = await session.get(Activity, form.activity_id) if form.activity_id else None
            if activity is None:
                errors["activity"] = _("Pick an activity.")
            elif not activity.active:
                errors["activity"] = _(
                    "{activity} is no longer active in bexio — pick another one.", activity=activity.name
                )
            if errors:
                return FieldErrors(errors)
            assert project is not None and activity is not None and form.day is not None
            if entry_id is None:
                entry = TimeEntry(
                    user_id=person.id,
                    source="modal",
                    created_at=self.now(),
                )
            else:
                found = await self._editable(session, person, slack_user_id, entry_id)
                if isinstance(found, Refusal):
                    return found
                entry = found
                if (entry.project_id, entry.activity_id) == (project.id, activity.id):
                    # Same work, same price: the snapshot taken when it was logged stays.
                    entry.day, entry.minutes = form.day, minutes
                    entry.note, entry.billable = form.note, form.billable
                    entry.updated_at = self.now()
                    missing = rate_for(settings, project=project, activity=activity, user=person).missing
                    await self._queue_write(session, entry, settings)
                    if self.hours_stored is not None:
                        await self.hours_stored(session, entry.user_id, entry.day)
                    return self._stored(entry, project, activity, missing=missing)
            entry.project_id, entry.activity_id = project.id, activity.id
            entry.day, entry.minutes, entry.note, entry.billable = form.day, minutes, form.note, form.billable
            entry.updated_at = self.now()
            return await self._store(session, entry, settings, person, project, activity)

    async def _store(
        self,
        session: AsyncSession,
        entry: TimeEntry,
        settings: TenantSettings,
        person: User,
        project: Project,
        activity: Activity,
    ) -> StoredEntry:
        resolution = rate_for(settings, project=project, activity=activity, user=person)
        entry.rate = resolution.rate
        entry.rate_source = resolution.source.value
        if entry.id is None:
            session.add(entry)
        await session.flush()
        await self._queue_write(session, entry, settings)
        if self.hours_stored is not None:
            await self.hours_stored(session, entry.user_id, entry.day)
        stored = self._stored(entry, project, activity, missing=resolution.missing)
        warning = await absence_warning(session, person.id, entry.day)
        return replace(stored, absence_warning=warning) if warning else stored

    def _stored(
        self, entry: TimeEntry, project: Project, activity: Activity, *, missing: str | None
    ) -> StoredEntry:
        rate = entry.rate
        return StoredEntry(
            entry_id=entry.id,
            minutes=entry.minutes,
            day=entry.day,
            project=project.name,
            activity=activity.name,
            billable=entry.billable,
            rate=rate,
            amount=quantize_money(hours_decimal(entry.minutes) * rate) if rate is not None else None,
            fixed_price=entry.rate_source == RateSource.FIXED_PRICE.value,
            missing_rate=missing
            if entry.billable and entry.rate_source == RateSource.MISSING.value
            else None,
        )

    async def _resolve_activity(
        self,
        session: AsyncSession,
        person: User,
        project: Project,
        request: HoursRequest,
        settings: TenantSettings,
    ) -> Activity | Refusal | ChooseOne[HoursRequest]:
        """Named or clicked; else the one this person last logged on the project in bxhours;
        else the tenant's `default_activity`; else ask."""
        if request.activity_id is not None:
            chosen = await session.get(Activity, request.activity_id)
            if chosen is None:
                return Refusal(_("That activity no longer exists in bxhours — run `/bx-sync` and try again."))
            return chosen if chosen.active else _inactive_activity(chosen)
        activities = list(await session.scalars(select(Activity).order_by(Activity.name, Activity.id)))
        by_id = {a.id: a for a in activities}
        if request.activity_query:
            found = match(
                request.activity_query,
                [Candidate(key=a.id, name=a.name, active=a.active) for a in activities],
            )
            if found.kind is MatchKind.NONE:
                return Refusal(no_such("activity", request.activity_query, found.suggestions))
            if found.kind is MatchKind.AMBIGUOUS:
                choices = tuple(Choice(c.key, c.name) for c in found.found[:MAX_DETAIL_CHOICES])
                return ChooseOne(
                    "activity",
                    request.activity_query,
                    choices,
                    len(found.found) > len(choices),
                    replace(request, activity_query=None),
                    subject=project.name,
                )
            named = by_id[found.found[0].key]
            return named if named.active else _inactive_activity(named)
        last = await self._last_activity_id(session, person.id, project.id)
        if last is not None and last in by_id and by_id[last].active:
            return by_id[last]
        default = settings.get("default_activity")
        if default:
            wanted = normalise_name(default)
            for activity in activities:
                if activity.active and normalise_name(activity.name) == wanted:
                    return activity
        ranked = await self._ranked_activities(session, project.id, activities)
        choices = tuple(Choice(a.id, a.name) for a in ranked[:MAX_DETAIL_CHOICES])
        return ChooseOne("activity", None, choices, len(ranked) > len(choices), request, subject=project.name)

    async def _last_activity_id(self, session: AsyncSession, user_id: int, project_id: int) -> int | None:
        return await session.scalar(
            select(TimeEntry.activity_id)
            .where(
                TimeEntry.user_id == user_id,
                TimeEntry.project_id == project_id,
                TimeEntry.source != IMPORTED,
                TimeEntry.activity_id.is_not(None),
            )
            .order_by(TimeEntry.created_at.desc(), TimeEntry.id.desc())
            .limit(1)
        )

    async def _ranked_activities(
        self, session: AsyncSession, project_id: int, activities: list[Activity]
    ) -> list[Activity]:
        """Active activities, those most used on the project first (bexio has no per-project list)."""
        rows = await session.execute(
            select(TimeEntry.activity_id, func.count())
            .where(TimeEntry.project_id == project_id, TimeEntry.activity_id.is_not(None))
            .group_by(TimeEntry.activity_id)
        )
        uses: Counter[int | None] = Counter({activity_id: count for activity_id, count in rows.all()})
        active = [a for a in activities if a.active]
        return sorted(active, key=lambda a: (-uses[a.id], a.name.casefold()))

    # -- the form -------------------------------------------------------------------------------

    async def form_defaults(
        self, tenant_id: int, slack_user_id: str, project_id: int | None, activity_id: int | None = None
    ) -> FormDefaults | Refusal:
        """Activities for the chosen project and what to preselect: the person's last activity on
        it, else `default_activity`; billable as the activity says."""
        async with self.db.session(tenant_id) as session:
            person = await self.owned.person(session, slack_user_id)
            if isinstance(person, Refusal):
                return person
            activities = list(await session.scalars(select(Activity).order_by(Activity.name, Activity.id)))
            by_id = {a.id: a for a in activities}
            ranked = (
                await self._ranked_activities(session, project_id, activities)
                if project_id is not None
                else sorted((a for a in activities if a.active), key=lambda a: a.name.casefold())
            )
            chosen: Activity | None = by_id.get(activity_id) if activity_id is not None else None
            if chosen is None and project_id is not None:
                last = await self._last_activity_id(session, person.id, project_id)
                chosen = by_id.get(last) if last is not None else None
            if chosen is None or not chosen.active:
                settings = await self.settings.load(tenant_id, session)
                default = settings.get("default_activity")
                wanted = normalise_name(default) if default else None
                chosen = next((a for a in ranked if normalise_name(a.name) == wanted), None)
            return FormDefaults(
                activities=tuple(Choice(a.id, a.name) for a in ranked[:MAX_PROJECT_OPTIONS]),
                activity_id=chosen.id if chosen else None,
                billable=chosen.default_is_billable if chosen else True,
            )

    async def search_projects(self, tenant_id: int, query: str) -> list[Choice]:
        """Active projects for the form's type-ahead: number or name prefix first, then names
        containing the text."""
        wanted = normalise_name(query)
        number = wanted.lstrip("0") if wanted.isascii() and wanted.isdigit() else None
        async with self.db.session(tenant_id) as session:
            rows = (
                await session.execute(
                    select(Project.id, Project.nr, Project.name)
                    .where(Project.active.is_(True))
                    .order_by(Project.name, Project.id)
                )
            ).all()
        ranked: list[tuple[int, str, Choice]] = []
        for project_id, nr, name in rows:
            label = label_of(name, nr)
            folded = normalise_name(name)
            if not wanted or (number is not None and nr is not None and nr.lstrip("0").startswith(number)):
                rank = 0
            elif folded.startswith(wanted):
                rank = 1
            elif wanted in folded:
                rank = 2
            else:
                continue
            ranked.append((rank, folded, Choice(project_id, label)))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [choice for _rank, _name, choice in ranked[:MAX_PROJECT_OPTIONS]]

    async def project_choice(self, tenant_id: int, project_id: int) -> Choice | None:
        async with self.db.session(tenant_id) as session:
            project = await session.get(Project, project_id)
            return Choice(project.id, project_label(project)) if project else None

    # -- changing what was logged -----------------------------------------------------------------

    async def draft(self, tenant_id: int, slack_user_id: str, entry_id: int) -> EntryDraft | Refusal:
        async with self.db.session(tenant_id) as session:
            opened = await self._open_for_edit(session, slack_user_id, entry_id)
            if isinstance(opened, Refusal):
                return opened
            entry = opened.record
            return EntryDraft(
                entry_id=entry.id,
                day=entry.day,
                project=opened.project,
                activity_id=entry.activity_id,
                minutes=entry.minutes,
                note=entry.note,
                billable=entry.billable,
                summary=opened.summary,
            )


def _inactive_activity(activity: Activity) -> Refusal:
    return Refusal(
        _(
            "{activity} is no longer an active business activity in bexio — pick another one.",
            activity=activity.name,
        )
    )
