"""What logging hours and logging expenses do alike, written once: the company's day, who is
logging, whether the day may be logged, which project is meant — for a typed line and for the form.

``TimeEntryService`` and ``ExpenseService`` add only what is theirs (duration and rate, amount and
category). Keeping the shared steps here means a rule such as “no future dates unless allowed”
cannot drift apart between the two commands.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import to_local
from core.i18n import _
from services.entry_lookup import Ambiguous, project_label, resolve_project
from services.entry_outcomes import Choice, ChooseOne, Invalid, Refusal, Removed
from services.owned_records import OwnedRecords, Record, RecordKind
from services.settings import SettingsService, TenantSettings
from storage.db import Database
from storage.models import Project, User


class ProjectRequest(Protocol):
    """A logging request (a dataclass) names its day and its project, clicked (id) or typed (query)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def day(self) -> date: ...
    @property
    def project_id(self) -> int | None: ...
    @property
    def project_query(self) -> str | None: ...


Request = TypeVar("Request", bound=ProjectRequest)


class SubmittedForm(Protocol):
    """A submitted form (hours or expense) names its day, project and note."""

    @property
    def day(self) -> date | None: ...
    @property
    def project_id(self) -> int | None: ...
    @property
    def note(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Started(Generic[Request]):
    """A request past the shared checks: the project is settled and written into the request."""

    person: User
    settings: TenantSettings
    project: Project
    request: Request


@dataclass(frozen=True, slots=True)
class Opened(Generic[Record]):
    """A record its owner may still change, with what every edit form shows of it."""

    record: Record
    project: Choice
    summary: str


@dataclass(slots=True)
class FormCheck:
    """The shared fields of a submitted form, checked; the caller adds its own field errors."""

    person: User
    settings: TenantSettings
    project: Project | None
    errors: dict[str, str] = field(default_factory=dict)


class EntryService(Generic[Record]):
    """Base of the hours and expense services: same dependencies, same first steps."""

    kind: RecordKind[Record]
    """Set by the subclass: the ownership rules of its records."""

    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        admin_ids: Collection[str],
        now: Callable[[], datetime],
        timezone: str,
    ) -> None:
        self.db = db
        self.settings = settings
        self.admin_ids = admin_ids
        self.now = now
        self.timezone = timezone
        self.owned: OwnedRecords[Record] = OwnedRecords(self.kind, admin_ids, now)

    def today(self) -> date:
        """The company's calendar day (BXHOURS_TIMEZONE), from the injected clock."""
        return to_local(self.now(), self.timezone).date()

    def allows_future(self, settings: TenantSettings) -> bool:
        return bool(settings.get("allow_future_dates"))

    async def _request_problems(
        self, session: AsyncSession, person: User, settings: TenantSettings, request: Any
    ) -> dict[str, str]:
        """Set by the subclass: what ``core.entry_rules`` finds wrong with a typed or clicked request."""
        raise NotImplementedError

    async def _start(
        self, session: AsyncSession, tenant_id: int, slack_user_id: str, request: Request
    ) -> Started[Request] | Refusal | ChooseOne[Request]:
        """A typed or clicked request: linked person, the rules of ``core.entry_rules`` (checked
        before any question is asked, and again when a click answers it), one active project (or
        the choice between several, carrying the request along)."""
        person = await self.owned.person(session, slack_user_id)
        if isinstance(person, Refusal):
            return person
        settings = await self.settings.load(tenant_id, session)
        problems = await self._request_problems(session, person, settings, request)
        if problems:
            return Invalid("\n".join(problems.values()), problems, request)
        project = await resolve_project(session, project_id=request.project_id, query=request.project_query)
        if isinstance(project, Refusal):
            return project
        if isinstance(project, Ambiguous):
            return ChooseOne("project", project.query, project.choices, project.more, request)
        settled = replace(request, project_id=project.id, project_query=None)
        return Started(person, settings, project, settled)

    async def _check_form(
        self,
        session: AsyncSession,
        tenant_id: int,
        slack_user_id: str,
        form: SubmittedForm,
        *,
        missing_day: str,
    ) -> FormCheck | Refusal:
        """The person, a day and the project of a form, field by field, so every problem is shown
        at once; the subclass adds the rules of ``core.entry_rules`` for what it stores."""
        day, project_id = form.day, form.project_id
        person = await self.owned.person(session, slack_user_id)
        if isinstance(person, Refusal):
            return person
        settings = await self.settings.load(tenant_id, session)
        check = FormCheck(person, settings, project=None)
        if day is None:
            check.errors["day"] = missing_day
        if project_id is None:
            check.errors["project"] = _("Pick a project.")
        else:
            project = await resolve_project(session, project_id=project_id, query=None)
            assert not isinstance(project, Ambiguous)
            if isinstance(project, Refusal):
                check.errors["project"] = project.message
            else:
                check.project = project
        return check

    async def _editable(
        self, session: AsyncSession, person: User, slack_user_id: str, record_id: int
    ) -> Record | Refusal:
        """The record a form edits, audited as it was before the change; or why it cannot be."""
        record = await self.owned.own(session, person, record_id)
        if not isinstance(record, Refusal):
            self.owned.audit(session, slack_user_id, "changed", record)
        return record

    async def _open_for_edit(
        self, session: AsyncSession, slack_user_id: str, record_id: int
    ) -> Opened[Record] | Refusal:
        """A record for its edit form: the project as the form's choice, the one-line summary."""
        record = await self.owned.open(session, slack_user_id, record_id)
        if isinstance(record, Refusal):
            return record
        project = await session.get(Project, record.project_id) if record.project_id else None
        choice = Choice(project.id, project_label(project)) if project else Choice(0, "?")
        return Opened(record, choice, await self.kind.summary(session, record))

    async def delete(self, tenant_id: int, slack_user_id: str, record_id: int) -> Removed | Refusal:
        """Undo and delete are the same act: the record goes, unless an invoice already owns it."""
        async with self.db.session(tenant_id) as session:
            return await self.owned.delete(session, slack_user_id, record_id)
