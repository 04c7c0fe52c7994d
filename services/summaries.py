"""Weekly summaries (issue 17 §5): a DM per person on Monday 08:00 in their time zone — hours per day
and per project, billable share, days below the norm — with a PNG chart, and for admins a team
summary (who is below the norm, unbilled amount per customer).

The person's figures are read through ``services.week`` — the same loading the App Home's week view
and `/log-hours week` use — so the summary can never disagree with what the person sees there. The
norm of each day is ``services.norm``'s (weekends, holidays of ``holidays_canton`` and full-day
absences expect nothing). One summary per person and week: a ``nudges`` row (kind "summary", day =
the week's Monday) is written before it is sent, and its unique key keeps a second worker out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import to_local
from core.dates import format_day
from core.i18n import _, language_scope
from core.reminder_rules import is_holiday, last_week_monday, summary_due
from services import norm
from services.charts import ChartTexts, week_chart
from services.notifier import MessageRef, Notifier
from services.people import PeopleService
from services.reminders import SlackZones
from services.settings import SettingsService
from services.week import WeekService, WeekView
from storage.db import Database
from storage.models import Customer, Nudge, User
from storage.tenant_context import working_for

log = logging.getLogger(__name__)

SUMMARY = "summary"
TEAM = "team"


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    minutes: int
    expected: int
    """The day's norm in minutes (0 on weekends, holidays, full-day absences)."""
    by_project: dict[str, int]

    @property
    def below_norm(self) -> bool:
        return self.expected > 0 and self.minutes < self.expected


@dataclass(frozen=True, slots=True)
class WeekSummary:
    """One person's week as the summary shows it."""

    slack_user_id: str
    name: str
    monday: date
    days: tuple[DayFigures, ...]
    total_minutes: int
    billable_minutes: int
    projects: tuple[tuple[str, int], ...]
    """Project → minutes, most first."""

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def expected_minutes(self) -> int:
        return sum(d.expected for d in self.days)

    @property
    def billable_percent(self) -> int | None:
        """The billable share, in whole percent (None without hours)."""
        if not self.total_minutes:
            return None
        return int((Decimal(self.billable_minutes * 100) / self.total_minutes).to_integral_value())

    @property
    def below_norm(self) -> tuple[DayFigures, ...]:
        return tuple(d for d in self.days if d.below_norm)


@dataclass(frozen=True, slots=True)
class TeamSummary:
    monday: date
    below: tuple[tuple[str, int, int], ...]
    """Name, logged minutes, expected minutes — of those below the week's norm."""
    unbilled: tuple[tuple[str, Decimal], ...]
    """Customer → net amount of their billable, unbilled work up to the week's Sunday."""


class SummaryMessages(Protocol):
    def person(self, summary: WeekSummary) -> tuple[str, list[dict[str, Any]]]: ...

    def team(self, team: TeamSummary) -> tuple[str, list[dict[str, Any]]]: ...


@dataclass
class SummaryRun:
    """``bxhours summary run --json``."""

    sent: list[str] = field(default_factory=list)
    charts: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "charts": self.charts}


async def expected_minutes(session: AsyncSession, user_id: int, day: date, holiday: bool) -> int:
    """The day's norm from ``services.norm`` (absences, payroll contract, ``daily_norm_hours``)."""
    return int(await norm.expected_minutes(session, user_id, day, holiday=holiday))


class SummaryService:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        week: WeekService,
        people: PeopleService,
        notifier: Notifier,
        now: Callable[[], datetime],
        timezone: str,
        *,
        messages: SummaryMessages,
        charts: bool = True,
        zones: SlackZones | None = None,
        language_of: Callable[[int, str], Any] | None = None,
        unbilled: Callable[[AsyncSession, Any, date], Any] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.week = week
        self.people = people
        self.notifier = notifier
        self.now = now
        self.timezone = timezone
        self.messages = messages
        self.charts = charts
        self.zones = zones
        self.language_of = language_of
        self.unbilled = unbilled

    def last_week(self) -> date:
        return last_week_monday(to_local(self.now(), self.timezone).date())

    # -- figures -------------------------------------------------------------------------------

    async def person(self, tenant_id: int, slack_user_id: str, monday: date) -> WeekSummary | None:
        """The week of ``monday`` as the summary shows it; None for someone not linked."""
        view = await self.week.load(tenant_id, slack_user_id, monday)
        if view is None:
            return None
        canton = await self._canton(tenant_id)
        async with self.db.session(tenant_id) as session:
            person = await session.scalar(select(User).where(User.slack_user_id == slack_user_id))
            assert person is not None
            expected = [
                await expected_minutes(session, person.id, day.day, is_holiday(day.day, canton))
                for day in view.days
            ]
        return _summary(slack_user_id, person.display_name, view, expected)

    async def team(self, tenant_id: int, monday: date, people: list[WeekSummary]) -> TeamSummary:
        below = tuple(
            (p.name, p.total_minutes, p.expected_minutes)
            for p in people
            if p.total_minutes < p.expected_minutes
        )
        amounts: dict[int, Decimal] = {}
        names: dict[int, str] = {}
        if self.unbilled is not None:
            settings = await self.settings.load(tenant_id)
            async with self.db.session(tenant_id) as session:
                amounts = dict(await self.unbilled(session, settings, monday + timedelta(days=6)))
                rows = await session.execute(
                    select(Customer.id, Customer.name).where(Customer.id.in_(list(amounts)))
                )
                names = {row[0]: row[1] for row in rows}
        unbilled = tuple(
            sorted(
                ((names.get(cid, "?"), amount) for cid, amount in amounts.items() if amount),
                key=lambda item: (-item[1], item[0]),
            )
        )
        return TeamSummary(monday, below, unbilled)

    async def _canton(self, tenant_id: int) -> str | None:
        canton = (await self.settings.load(tenant_id)).get("holidays_canton")
        return canton if isinstance(canton, str) else None

    # -- sending -------------------------------------------------------------------------------

    async def run(self, tenant_id: int, monday: date | None = None, *, due_only: bool = False) -> SummaryRun:
        """Send the summaries of the week of ``monday`` (default: last week) now; ``due_only``
        (the scheduler): only to people whose Monday 08:00 has come and who have none yet."""
        result = SummaryRun()
        async with self.db.session(tenant_id) as session:
            linked = list(
                await session.scalars(
                    select(User.slack_user_id)
                    .where(User.active.is_(True), User.slack_user_id.is_not(None))
                    .order_by(User.id)
                )
            )
        for slack_id in linked:
            assert slack_id is not None
            week_of = monday
            if due_only:
                local = to_local(self.now(), await self._zone(tenant_id, slack_id))
                week_of = last_week_monday(local.date())
                if not summary_due(local) or not await self._claim(tenant_id, slack_id, week_of):
                    continue
            elif week_of is None:
                week_of = self.last_week()
            if not due_only:
                await self._claim(tenant_id, slack_id, week_of)
            summary = await self._in_language(tenant_id, slack_id, self.person(tenant_id, slack_id, week_of))
            if summary is None:
                continue
            try:
                result.charts += await self._send_person(tenant_id, summary)
            except Exception as exc:  # one person we cannot reach must not stop the others
                log.warning("the weekly summary for %s could not be sent", slack_id, exc_info=True)
                result.failed[slack_id] = f"{type(exc).__name__}: {exc}"[:200]
                if due_only:  # the next tick tries again
                    await self._unclaim(tenant_id, slack_id, week_of)
                continue
            result.sent.append(slack_id)
        for admin in await self.people.admins(tenant_id):
            team_week = monday or self.last_week()
            if due_only:
                local = to_local(self.now(), await self._zone(tenant_id, admin))
                team_week = last_week_monday(local.date())
                if not summary_due(local) or not await self._claim(tenant_id, admin, team_week, kind=TEAM):
                    continue
            try:
                await self._send_team(tenant_id, admin, team_week, linked)
            except Exception as exc:
                log.warning("the team summary for %s could not be sent", admin, exc_info=True)
                result.failed[admin] = f"{type(exc).__name__}: {exc}"[:200]
                if due_only:
                    await self._unclaim(tenant_id, admin, team_week, kind=TEAM)
                continue
            if admin not in result.sent:
                result.sent.append(admin)
        return result

    async def _in_language(self, tenant_id: int, slack_user_id: str, work: Any) -> Any:
        language = await self.language_of(tenant_id, slack_user_id) if self.language_of else None
        with language_scope(language):
            return await work

    async def _zone(self, tenant_id: int, slack_user_id: str) -> str:
        if self.zones is not None:
            try:
                found = await self.zones(tenant_id, slack_user_id)
                if found:
                    to_local(self.now(), found)
                    return found
            except Exception:
                log.info("the time zone of %s could not be read", slack_user_id, exc_info=True)
        return self.timezone

    async def _claim(self, tenant_id: int, slack_user_id: str, monday: date, *, kind: str = SUMMARY) -> bool:
        """Record the summary as sent (before sending): False when it was already."""
        async with self.db.session(tenant_id) as session:
            sent = await session.scalar(  # the cheap look-up first: every tick of a Monday asks
                select(Nudge.id).where(
                    Nudge.slack_user_id == slack_user_id, Nudge.kind == kind, Nudge.day == monday
                )
            )
        if sent is not None:
            return False
        stamp = self.now()
        try:
            async with self.db.session(tenant_id) as session:
                session.add(
                    Nudge(
                        slack_user_id=slack_user_id,
                        kind=kind,
                        day=monday,
                        state="sent",
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def _unclaim(
        self, tenant_id: int, slack_user_id: str, monday: date, *, kind: str = SUMMARY
    ) -> None:
        async with self.db.session(tenant_id) as session:
            await session.execute(
                delete(Nudge).where(
                    Nudge.slack_user_id == slack_user_id, Nudge.kind == kind, Nudge.day == monday
                )
            )

    async def _send_person(self, tenant_id: int, summary: WeekSummary) -> int:
        """The DM, then its chart into the same conversation; returns how many charts went up."""
        language = await self.language_of(tenant_id, summary.slack_user_id) if self.language_of else None
        with language_scope(language):
            text, blocks = self.messages.person(summary)
            # Drawing takes a few hundred milliseconds of CPU: off the event loop, which serves
            # Slack's requests in the same process (the thread gets this context: the language).
            png, title = await asyncio.to_thread(chart_of, summary)
            filename = f"week-{summary.monday:%G-W%V}.png"
        with working_for(tenant_id):
            ref: MessageRef = await self.notifier.direct_message(summary.slack_user_id, text, blocks)
            if not self.charts or not ref.channel:
                return 0
            try:  # Slack's three-step upload (files_upload_v2) into the same DM
                await self.notifier.upload_file(summary.slack_user_id, filename, png, title=title)
            except Exception:  # the summary reached them; a second DM next time would be worse
                log.warning("the chart for %s could not be uploaded", summary.slack_user_id, exc_info=True)
                return 0
        return 1

    async def _send_team(self, tenant_id: int, admin: str, monday: date, linked: list[str | None]) -> None:
        language = await self.language_of(tenant_id, admin) if self.language_of else None
        with language_scope(language):
            people = [
                p for slack_id in linked if slack_id and (p := await self.person(tenant_id, slack_id, monday))
            ]
            team = await self.team(tenant_id, monday, people)
            text, blocks = self.messages.team(team)
        with working_for(tenant_id):
            await self.notifier.direct_message(admin, text, blocks)


def _summary(slack_user_id: str, name: str, view: WeekView, expected: list[int]) -> WeekSummary:
    days = []
    projects: dict[str, int] = {}
    for week_day, day_norm in zip(view.days, expected, strict=True):
        by_project: dict[str, int] = {}
        for item in week_day.items:
            if item.kind == "time" and item.minutes:
                by_project[item.project] = by_project.get(item.project, 0) + item.minutes
                projects[item.project] = projects.get(item.project, 0) + item.minutes
        days.append(DayFigures(week_day.day, week_day.minutes, day_norm, by_project))
    return WeekSummary(
        slack_user_id=slack_user_id,
        name=name,
        monday=view.monday,
        days=tuple(days),
        total_minutes=view.total_minutes,
        billable_minutes=view.billable_minutes,
        projects=tuple(sorted(projects.items(), key=lambda item: (-item[1], item[0]))),
    )


def chart_of(summary: WeekSummary) -> tuple[bytes, str]:
    """The PNG (hours per day stacked by project, the norm marked) and its title, in the current
    language."""
    title = _(
        "Hours per day, {first} – {last}",
        first=format_day(summary.monday),
        last=format_day(summary.sunday),
    )
    hours = {
        project: [d.by_project.get(project, 0) / 60 for d in summary.days] for project, _m in summary.projects
    }
    png = week_chart(
        [format_day(d.day).replace(" ", "\n", 1) for d in summary.days],  # weekday above the date
        hours,
        ChartTexts(title=title, y_label=_("hours"), norm_label=_("norm")),
        [d.expected / 60 for d in summary.days],
    )
    return png, title
