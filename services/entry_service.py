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
from core.quick_entry import MAX_NOTE_LENGTH
from services.entry_lookup import Ambiguous, future_refusal, resolve_project
from services.entry_outcomes import ChooseOne, Refusal
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


@dataclass(frozen=True, slots=True)
class Started(Generic[Request]):
    """A request past the shared checks: the project is settled and written into the request."""

    person: User
    settings: TenantSettings
    project: Project
    request: Request


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
    logged_plural: str
    """Set by the subclass: “hours can be logged up to today”, “expenses …”."""

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

    def _future_refusal(self, day: date, settings: TenantSettings) -> Refusal | None:
        return future_refusal(day, self.today(), settings.get("allow_future_dates"), self.logged_plural)

    async def _start(
        self, session: AsyncSession, tenant_id: int, slack_user_id: str, request: Request
    ) -> Started[Request] | Refusal | ChooseOne[Request]:
        """A typed or clicked request: linked person, allowed day, one active project (or the
        choice between several, carrying the request along)."""
        person = await self.owned.person(session, slack_user_id)
        if isinstance(person, Refusal):
            return person
        settings = await self.settings.load(tenant_id, session)
        refused = self._future_refusal(request.day, settings)
        if refused is not None:
            return refused
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
        *,
        day: date | None,
        missing_day: str,
        note: str,
        project_id: int | None,
    ) -> FormCheck | Refusal:
        """Day, note and project of a form, field by field, so every problem is shown at once."""
        person = await self.owned.person(session, slack_user_id)
        if isinstance(person, Refusal):
            return person
        settings = await self.settings.load(tenant_id, session)
        check = FormCheck(person, settings, project=None)
        if day is None:
            check.errors["day"] = missing_day
        elif refused := self._future_refusal(day, settings):
            check.errors["day"] = refused.message
        if len(note) > MAX_NOTE_LENGTH:
            check.errors["note"] = f"The note has {len(note)} characters; at most {MAX_NOTE_LENGTH} fit."
        if project_id is None:
            check.errors["project"] = "Pick a project."
        else:
            project = await resolve_project(session, project_id=project_id, query=None)
            assert not isinstance(project, Ambiguous)
            if isinstance(project, Refusal):
                check.errors["project"] = project.message
            else:
                check.project = project
        return check
