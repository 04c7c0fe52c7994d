"""A person's recent project/activity combinations (issue 17 §3): what they worked on lately.

The `/log-hours` form, the App Home (log again, start a timer) and the missing-hours reminder's
buttons offer these first, so the usual work is one click away. Only combinations whose project
and activity are still active in bexio are offered; imported hours count as much as logged ones,
because they are the person's work too.

A combination comes back from Slack as ``"<project id>:<activity id>"`` (``value``); that text is
untrusted, so ``chosen`` reads it and ``check`` looks both records up again before anything uses
them — a forged pair can only name a project and activity anyone in the workspace may log on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from services.entry_lookup import project_label
from services.entry_outcomes import Choice, Refusal
from services.time_entries import IMPORTED, HoursOutcome, HoursRequest, TimeEntryService
from storage.db import Database
from storage.models import Activity, Project, TimeEntry, User

RECENT_DAYS = 7
RECENT_LIMIT = 5
"""Five fit as buttons in one row of a message and keep the App Home short."""
_MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class RecentCombination:
    """One project/activity pair the person logged on lately, with the names people read."""

    project_id: int
    project: str
    project_nr: str | None
    activity_id: int
    activity: str
    last_day: date
    """The latest day the person has hours on it (within the window asked for)."""

    @property
    def label(self) -> str:
        """`Website Relaunch / Umsetzung`."""
        return f"{self.project} / {self.activity}"

    @property
    def value(self) -> str:
        """What a button or option carries; read back with ``chosen`` and ``check``."""
        return f"{self.project_id}:{self.activity_id}"


async def recent_combinations(
    db: Database,
    tenant_id: int,
    user_id: str,
    today: date,
    days: int = RECENT_DAYS,
    limit: int = RECENT_LIMIT,
    *,
    session: AsyncSession | None = None,
) -> list[RecentCombination]:
    """The project/activity pairs the person (``user_id``: their Slack user id) has hours on from
    ``today - days + 1`` to ``today``, most recent first: by the latest day, then by when that was
    logged. At most ``limit``; inactive projects and activities are left out; a person who is not
    linked has none. Pass ``session`` to read inside the caller's unit of work."""
    if session is None:
        async with db.session(tenant_id) as own:
            return await _recent(own, user_id, today, days, limit)
    return await _recent(session, user_id, today, days, limit)


async def _recent(
    session: AsyncSession, slack_user_id: str, today: date, days: int, limit: int
) -> list[RecentCombination]:
    since = today - timedelta(days=max(1, days) - 1)
    last_day = func.max(TimeEntry.day)
    rows = await session.execute(
        select(
            TimeEntry.project_id,
            Project.name,
            Project.nr,
            TimeEntry.activity_id,
            Activity.name,
            last_day,
        )
        .join(User, User.id == TimeEntry.user_id)
        .join(Project, Project.id == TimeEntry.project_id)
        .join(Activity, Activity.id == TimeEntry.activity_id)
        .where(
            User.slack_user_id == slack_user_id,
            TimeEntry.day >= since,
            TimeEntry.day <= today,
            Project.active.is_(True),
            Activity.active.is_(True),
        )
        .group_by(TimeEntry.project_id, Project.name, Project.nr, TimeEntry.activity_id, Activity.name)
        .order_by(last_day.desc(), func.max(TimeEntry.created_at).desc(), func.max(TimeEntry.id).desc())
        .limit(max(0, limit))
    )
    return [
        RecentCombination(project_id, project, nr, activity_id, activity, day)
        for project_id, project, nr, activity_id, activity, day in rows.all()
        if project_id is not None and activity_id is not None  # the joins exclude NULLs already
    ]


def chosen(value: object) -> tuple[int, int] | None:
    """``"<project id>:<activity id>"`` as two ids, or None for anything else."""
    if not isinstance(value, str) or len(value) > 41:
        return None
    project, sep, activity = value.partition(":")
    if not sep or not project.isascii() or not activity.isascii():
        return None
    if not (project.isdigit() and activity.isdigit()):
        return None
    ids = int(project), int(activity)
    return ids if all(0 < i <= _MAX_ID for i in ids) else None


async def check(
    session: AsyncSession, project_id: int, activity_id: int
) -> tuple[Project, Activity] | Refusal:
    """Both records of a clicked combination, looked up again: they exist in this workspace and are
    still active in bexio."""
    project = await session.get(Project, project_id)
    activity = await session.get(Activity, activity_id)
    if project is None or activity is None:
        return Refusal(
            _("That project or activity no longer exists in bxhours — run `/bx-sync` and try again.")
        )
    if not project.active:
        return Refusal(_("{project} is no longer active in bexio.", project=project.name))
    if not activity.active:
        return Refusal(_("{activity} is no longer active in bexio.", activity=activity.name))
    return project, activity


class RecentsService:
    """Recents for one process: the person's combinations as of the company's today, and
    `/log-hours again`."""

    def __init__(self, db: Database, entries: TimeEntryService) -> None:
        self.db = db
        self.entries = entries

    async def of(
        self, tenant_id: int, slack_user_id: str, limit: int = RECENT_LIMIT
    ) -> list[RecentCombination]:
        return await recent_combinations(self.db, tenant_id, slack_user_id, self.entries.today(), limit=limit)

    async def combination(
        self, tenant_id: int, project_id: int, activity_id: int
    ) -> tuple[Choice, int] | Refusal:
        """A clicked combination, looked up again (``check``): the project as the form's choice and
        the activity's id."""
        async with self.db.session(tenant_id) as session:
            found = await check(session, project_id, activity_id)
            if isinstance(found, Refusal):
                return found
            project, activity = found
            return Choice(project.id, project_label(project)), activity.id

    async def again(self, tenant_id: int, slack_user_id: str) -> HoursOutcome:
        """`/log-hours again`: the person's last entry logged in bxhours (not an imported one) once
        more, for today — same duration, project, activity, note and billable flag, through every
        rule a typed line meets (the day's 24 hours, an activity no longer active …)."""
        async with self.db.session(tenant_id) as session:
            last = await session.scalar(
                select(TimeEntry)
                .join(User, User.id == TimeEntry.user_id)
                .where(
                    User.slack_user_id == slack_user_id,
                    TimeEntry.source != IMPORTED,
                    TimeEntry.project_id.is_not(None),
                    TimeEntry.activity_id.is_not(None),
                )
                .order_by(TimeEntry.created_at.desc(), TimeEntry.id.desc())
                .limit(1)
            )
            if last is None:
                return Refusal(
                    _(
                        "There is nothing to repeat yet — log hours once, e.g. "
                        "`/log-hours 2h Website Relaunch / Umsetzung`, then `/log-hours again` repeats it."
                    )
                )
            request = HoursRequest(
                minutes=last.minutes,
                day=self.entries.today(),
                billable=last.billable,
                note=last.note,
                project_id=last.project_id,
                activity_id=last.activity_id,
            )
        return await self.entries.log(tenant_id, slack_user_id, request)
