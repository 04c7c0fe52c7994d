"""Historic hours: bexio timesheets become time entries with source "bexio".

An entry is unique by its bexio timesheet id, so hours bxhours wrote back to bexio (their entries
carry that id) are recognised and never imported twice — nor changed or removed by the import:
bexio may only change entries it is the source of, and only while they are not on an invoice. A
timesheet whose text ends with bxhours' marker is never imported either, even when its entry lost
the id (issue 16 §3); the full re-read only notes on the entry what was changed in bexio.
Each new entry gets the rate ``services.rates.rate_for`` gives (the same as for a new entry logged
in Slack), stored once: later rate changes never re-price stored work. Whether imported hours are
offered for invoicing is decided by ``services.importing.invoicing``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Required

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typing_extensions import TypedDict

from bexio.errors import BexioNotFound, BexioUnexpectedResponse
from bexio.fields import as_flag, as_id, as_text, parse_minutes
from bexio.reading import PageReader, Problem, Unreadable, problem_of_row
from services.importing.context import ImportContext
from services.importing.staging import AfterApply, Mirror, Stage, memoized
from services.importing.summary import ResourceChanges
from services.rates import rate_depends_on, rate_for, rate_key
from services.settings import TenantSettings
from services.writeback.marker import marked_entry, without_marker
from services.writeback.remarks import WRITTEN
from storage.models import Activity, Project, TimeEntry, User

BEXIO_SOURCE = "bexio"
OPEN = "open"

TIME_ENTRIES = Mirror(
    "timesheets",
    TimeEntry,
    key="bexio_timesheet_id",
    fields=("user_id", "project_id", "activity_id", "day", "minutes", "note", "billable", "bexio_status_id"),
    live=None,  # an imported entry bexio deleted is removed (only while open: invoiced work stays)
    snapshot=("rate", "rate_source"),
    refresh_snapshot_on=("user_id", "project_id", "activity_id"),
    constants={"source": BEXIO_SOURCE, "status": OPEN},
    guard=lambda entry: and_(entry.source == BEXIO_SOURCE, entry.status == OPEN),
    touched=("updated_at",),
    created_stamp="created_at",
)


class TimesheetFields(TypedDict, total=False):
    """The fields of a bexio timesheet the import reads — checked here only for the id (an int or
    a digit string).

    ``bexio.models.Timesheet`` reads everything (tracking variants, travel, charges) with a
    validator per field, at ~20 µs a record; an import reads 100 000 timesheets, and JSON decoding
    alone costs 3.5 µs of them. ``_entry_builder`` turns these raw values into typed ones with the
    same tolerance as ``bexio.fields`` (issue 11 §1): ids as ints or digit strings (``"17"`` finds
    user 17), ``allowable_bill`` as ``true``/``1``/``"1"``/``"true"``, dates with a time of day,
    ``""`` for empty, ``"1:15"`` for 75 minutes, a number as the text — and a field left out
    reads as empty.
    """

    id: Required[int]
    user_id: Any
    status_id: Any
    client_service_id: Any
    text: Any
    allowable_bill: Any
    pr_project_id: Any
    date: Any
    duration: Any


class StagedEntry(NamedTuple):
    """One staged time entry, in ``TIME_ENTRIES.staged`` order (checked below)."""

    bexio_timesheet_id: int
    user_id: int | None
    project_id: int | None
    activity_id: int | None
    day: date
    minutes: int
    note: str
    billable: bool
    bexio_status_id: int | None
    rate: Decimal | None
    rate_source: str | None
    live: bool


if StagedEntry._fields != TIME_ENTRIES.staged:
    raise RuntimeError("StagedEntry must list TIME_ENTRIES.staged in order")


_TIMESHEETS: PageReader[TimesheetFields] = PageReader(TimesheetFields)
_TIMESHEET = _TIMESHEETS.one
EntryBuilder = Callable[[TimesheetFields, Stage | None], StagedEntry | None]
Rate = tuple[Decimal | None, str]
#: (project, activity, person) combinations whose rate is remembered; the rates themselves, per
#: ``rate_key``, are a few hundred at most.
_COMBINATIONS_KEPT = 65_536  # a few MB at most


class EntryRates:
    """``rate_for`` asked once per ``rate_key`` and looked up once per (project, activity, person),
    not once per entry — keyed by only what the project's rate depends on (``rate_depends_on``),
    so 100 000 timesheets cost a few hundred rate resolutions and a few thousand ``rate_key``s."""

    def __init__(
        self,
        settings: TenantSettings,
        projects: Mapping[int, Project],
        activities: Mapping[int, Activity],
        users: Mapping[int, User],
    ) -> None:
        self.settings = settings
        self.projects, self.activities, self.users = projects, activities, users
        self._by_ids: dict[tuple[int, int, int | None], Rate] = {}
        self._by_narrowed: dict[tuple[int, int | None, int | None], Rate] = {}
        self._depends: dict[int, tuple[bool, bool]] = {}
        self._by_key: dict[tuple[object, ...], Rate] = {}

    def rate(self, project_id: int, activity_id: int, user_id: int | None) -> Rate:
        """The rate of an entry, by local ids."""
        ids = (project_id, activity_id, user_id)
        found = self._by_ids.get(ids)
        if found is None:
            if len(self._by_ids) >= _COMBINATIONS_KEPT:
                self._by_ids.clear()  # bounded: memory must not grow with the number of entries
                self._by_narrowed.clear()
            found = self._by_ids[ids] = self._narrowed(*ids)
        return found

    def _narrowed(self, project_id: int, activity_id: int, user_id: int | None) -> Rate:
        depends = self._depends.get(project_id)
        if depends is None:
            depends = self._depends[project_id] = rate_depends_on(self.projects[project_id])
        by_activity, by_person = depends
        narrowed = (project_id, activity_id if by_activity else None, user_id if by_person else None)
        found = self._by_narrowed.get(narrowed)
        if found is None:
            found = self._by_narrowed[narrowed] = self._resolve(project_id, activity_id, user_id)
        return found

    def _resolve(self, project_id: int, activity_id: int, user_id: int | None) -> Rate:
        project, activity = self.projects[project_id], self.activities[activity_id]
        user = self.users.get(user_id) if user_id is not None else None
        key = rate_key(project=project, activity=activity, user=user)
        found = self._by_key.get(key)
        if found is None:
            resolution = rate_for(self.settings, project=project, activity=activity, user=user)
            found = self._by_key[key] = (resolution.rate, resolution.source.value)
        return found


def prime_timesheets(ctx: ImportContext) -> None:
    """Ask for the first page of timesheets while the other lists are imported (issue 18 §3)."""
    ctx.prime(ctx.client.timesheets.path, _TIMESHEETS, by_id=True)


async def import_timesheets(ctx: ImportContext) -> tuple[ResourceChanges, int]:
    """Returns the changes and how many timesheets had no date (and could not be stored)."""
    to_entry, undated = await _entry_builder(ctx)
    resource = TIME_ENTRIES.resource
    async with ctx.workspace.stage(TIME_ENTRIES) as stage:
        pages = ctx.pages(ctx.client.timesheets.path, _TIMESHEETS, by_id=True, resource=resource, stage=stage)
        async for page in pages:
            await stage.add_values([entry for sheet in page if (entry := to_entry(sheet, stage)) is not None])
            ctx.on_read(resource, len(page))
        return await stage.apply(ctx.now, after=_notice_bexio_edits(stage)), undated[0]


async def import_timesheet(ctx: ImportContext, timesheet_id: int) -> ResourceChanges:
    """Re-read one timesheet (one bexio call) and apply it as the full import would.

    The entry is built by the same code as in ``import_timesheets``, so its rate and billable flag
    are resolved identically; a timesheet bexio no longer has (404), or one without a date, leaves
    the stage empty and its imported entry is removed — under the same guard: only entries bexio
    is the source of and that are not on an invoice.
    """
    path = f"{ctx.client.timesheets.path}/{timesheet_id}"
    to_entry, _undated = await _entry_builder(ctx)
    async with ctx.workspace.stage(TIME_ENTRIES) as stage:
        try:
            found: list[TimesheetFields] = [await ctx.client.get(path, _TIMESHEET)]
        except BexioNotFound:
            found = []
        except BexioUnexpectedResponse as exc:  # unreadable is not gone: keep the entry as it is
            ctx.skip(TIME_ENTRIES.resource, timesheet_id, str(exc), stage, problem=Problem("", "shape"))
            found = []
        entry = to_entry(found[0], stage) if found else None
        if entry is not None:
            await stage.add_values([entry])
        ctx.on_read(TIME_ENTRIES.resource, len(found))
        return await stage.apply(ctx.now, scope=[timesheet_id])


@dataclass(frozen=True)
class NewTimesheets:
    changes: ResourceChanges
    read: int
    """Timesheets listed that were newer than the known id."""
    newest_id: int | None
    """The highest timesheet id bexio listed (None: bexio lists none), the next known id."""
    undated: int


#: New timesheets per poll are few: a small first page usually ends the search in one call.
NEW_TIMESHEETS_PAGE = 200


async def import_new_timesheets(
    ctx: ImportContext, known_id: int, *, page_size: int = NEW_TIMESHEETS_PAGE
) -> NewTimesheets:
    """Store timesheets bexio created after ``known_id`` — and nothing else (issue 7 §5).

    bexio timesheets have no ``updated_at`` and cannot be searched by date, but their ids grow:
    listing ``order_by=id_desc`` page by page until the first id not above ``known_id`` finds the
    new ones in a call or two. Only those are staged and applied, retiring nothing: edits and
    deletions of older timesheets are the full re-read's (``import_timesheets``).
    """
    to_entry, undated = await _entry_builder(ctx)
    read, newest = 0, None
    async with ctx.workspace.stage(TIME_ENTRIES) as stage:

        def unreadable(records: list[Unreadable]) -> None:
            for record in records:
                ctx.skip(TIME_ENTRIES.resource, record.id, record.reason, stage, problem=record.problem)

        pages = ctx.client.pages(
            ctx.client.timesheets.path,
            _TIMESHEETS,
            params={"order_by": "id_desc"},
            page_size=page_size,
            on_unreadable=unreadable,
        )
        async with aclosing(pages):
            async for page in pages:
                if newest is None and page:
                    newest = page[0]["id"]
                newer = [sheet for sheet in page if sheet["id"] > known_id]
                await stage.add_values(
                    [entry for sheet in newer if (entry := to_entry(sheet, stage)) is not None]
                )
                read += len(newer)
                ctx.on_read(TIME_ENTRIES.resource, len(page))
                if len(newer) < len(page):
                    break  # reached a timesheet we know: everything below is known too
        # scope=(): none of these ids is stored yet, and nothing outside them may be retired.
        changes = await stage.apply(ctx.now, scope=())
    return NewTimesheets(changes, read, newest, undated[0])


async def _entry_builder(ctx: ImportContext) -> tuple[EntryBuilder, list[int]]:
    session = ctx.workspace.session
    async with session.begin():
        users = list(await session.scalars(select(User).where(User.bexio_id.is_not(None))))
        projects = list(await session.scalars(select(Project).where(Project.bexio_id.is_not(None))))
        activities = list(await session.scalars(select(Activity)))
    # Plain int maps for the per-record path: ORM attribute access costs more than the rest of it.
    user_ids = {u.bexio_id: u.id for u in users}
    project_ids = {p.bexio_id: p.id for p in projects}
    activity_ids: dict[int | None, int] = {a.bexio_id: a.id for a in activities}
    rates = EntryRates(
        ctx.settings,
        projects={p.id: p for p in projects},
        activities={a.id: a for a in activities},
        users={u.id: u for u in users},
    )
    day_of, minutes_of = memoized(_day), memoized(_minutes)  # ~700 days, ~30 durations
    undated = [0]

    def to_entry(timesheet: TimesheetFields, stage: Stage | None) -> StagedEntry | None:
        try:
            return entry(timesheet)
        except (ValueError, TypeError, KeyError) as exc:  # what pydantic would have refused: skip it
            reason = f"{type(exc).__name__}: {exc}"[:200]
            ctx.skip(TIME_ENTRIES.resource, timesheet["id"], reason, stage, problem=problem_of_row(exc))
            return None

    def entry(timesheet: TimesheetFields) -> StagedEntry | None:
        day = day_of(timesheet.get("date"))
        if day is None:
            undated[0] += 1
            return None
        # bexio ids are ints, sometimes digit strings; "" or null (or anything unknown) finds nothing.
        user_id = user_ids.get(_id(timesheet.get("user_id")))
        project_id = project_ids.get(_id(timesheet.get("pr_project_id")))
        activity_id = activity_ids.get(_id(timesheet.get("client_service_id")))
        if project_id is None or activity_id is None:
            rate, source = None, None
        else:
            rate, source = rates.rate(project_id, activity_id, user_id)
        text, bill = timesheet.get("text"), timesheet.get("allowable_bill")
        note = text if type(text) is str else (as_text(text) or "")
        # Written by bxhours (its marker ends the text): staged to be compared with its entry, never
        # inserted as a second one — even when the entry lost the timesheet's id (issue 16 §3).
        ours = marked_entry(note) is not None
        return StagedEntry(
            timesheet["id"],
            user_id,
            project_id,
            activity_id,
            day,
            minutes_of(timesheet.get("duration")),
            without_marker(note) if ours else note,
            bill is True or (bill is not False and as_flag(bill)),
            _id(timesheet.get("status_id")),
            rate,
            source,
            not ours,
        )

    return to_entry, undated


def _notice_bexio_edits(stage: Stage) -> AfterApply:
    """After a full re-read: an entry bxhours wrote whose timesheet someone changed in bexio shows
    bexio's duration ("changed in bexio: 2:15 h"); one that agrees again shows nothing. Only
    entries whose last write went through are compared — a pending one differs because bxhours
    changed it, and its write will overwrite bexio anyway (bxhours leads)."""
    sheet, entry = stage.table.c, TimeEntry.__table__.c
    same_sheet = sheet.bexio_timesheet_id == entry.bexio_timesheet_id
    differs = or_(
        *(
            sheet[name].is_distinct_from(entry[name])
            for name in ("user_id", "project_id", "activity_id", "day", "minutes", "note")
        )
    )
    written = and_(
        entry.tenant_id == stage.workspace.tenant_id,
        entry.source != BEXIO_SOURCE,
        entry.writeback_state == WRITTEN,
        entry.bexio_timesheet_id.is_not(None),
    )

    async def notice(session: AsyncSession) -> None:
        changed = select(sheet.minutes).where(same_sheet, differs).scalar_subquery()
        await session.execute(
            update(TimeEntry)
            .where(written, exists().where(same_sheet))
            .values(bexio_changed_minutes=changed)
            .execution_options(synchronize_session=False)
        )

    return notice


def _id(value: Any) -> int | None:
    """An id: bexio's int directly (the common case, no call), else ``as_id`` (``"17"`` → 17)."""
    return value if type(value) is int else as_id(value)


def _minutes(value: Any) -> int:
    """bexio's ``"1:15"`` → 75; that common shape directly, any other through ``bexio.fields``."""
    if isinstance(value, str):
        hours, colon, minutes = value.partition(":")
        if colon and hours.isdigit() and len(minutes) == 2 and minutes.isdigit():
            return int(hours) * 60 + int(minutes)
    return parse_minutes(value) or 0


def _day(value: Any) -> date | None:
    """bexio's ``YYYY-MM-DD``, also with a time of day; empty (or its legacy ``0000-00-00``) is no date."""
    if not value or not isinstance(value, str) or value.startswith("0000"):
        return None
    return date.fromisoformat(value[:10])
