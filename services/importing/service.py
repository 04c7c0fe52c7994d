"""The import from bexio: every resource in the order of issue 4 §1, or one resource, or one record.

Each resource is read page by page into a stage and applied in its own short transaction (see
``staging``), so an import that fails half-way leaves every resource either fully updated or
untouched, and a second import with nothing changed in bexio reports zero changes. Change
processing (issue 7) re-uses the same paths: ``import_resource`` for a whole list,
``import_contact`` / ``import_project`` / ``import_timesheet`` for one record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bexio.client import BexioClient
from bexio.errors import BexioAuthError, BexioError, BexioUnexpectedResponse
from bexio.models import (
    Account,
    AccountGroup,
    BusinessActivity,
    ContactGroup,
    Currency,
    DocumentSetting,
    Tax,
    Unit,
)
from bexio.models import Language as BexioLanguage
from bexio.reading import Problem
from core.i18n import N_, _
from services.bexio_access import BexioAccess
from services.importing.collector import older_objects_set_aside
from services.importing.context import ImportContext, ListRead
from services.importing.customers import CONTACTS_READER, import_contact, import_customers
from services.importing.errors import explain
from services.importing.people import USERS_READER, SlackDirectory, import_users
from services.importing.projects import (
    PROJECTS_READER,
    STATES_READER,
    TYPES_READER,
    import_project,
    import_projects,
)
from services.importing.reference_data import (
    import_account_groups,
    import_accounts,
    import_activities,
    import_contact_groups,
    import_currencies,
    import_document_settings,
    import_languages,
    import_taxes,
    import_units,
    reader_of,
)
from services.importing.staging import open_workspace
from services.importing.status import SyncStatusService
from services.importing.summary import RESOURCE_LABELS, RESOURCE_READING, ImportProgress, ImportSummary
from services.importing.timesheets import (
    NewTimesheets,
    import_new_timesheets,
    import_timesheet,
    import_timesheets,
    prime_timesheets,
)
from services.settings import SettingsService
from storage.db import Database
from storage.tenants import TenantRepository

log = logging.getLogger(__name__)

ProgressCallback = Callable[[ImportProgress], None]
PhaseRun = Callable[["ImportService", ImportContext, ImportSummary], Awaitable[None]]


@dataclass(frozen=True)
class Phase:
    key: str
    label: str
    run: PhaseRun


class UnknownResource(ValueError):
    """Asked to import a resource the importer does not know."""


class ImportService:
    def __init__(
        self,
        db: Database,
        bexio: BexioAccess,
        settings: SettingsService,
        tenants: TenantRepository,
        connection: SyncStatusService,
        now: Callable[[], datetime],
        directory: SlackDirectory | None = None,
    ) -> None:
        self.db = db
        self.bexio = bexio
        self.settings = settings
        self.tenants = tenants
        self.connection = connection
        self.now = now
        self.directory = directory

    async def run(self, tenant_id: int, progress: ProgressCallback | None = None) -> ImportSummary:
        """Import everything; raises ImportFailed with a message for people when it cannot finish."""
        return await self._run(tenant_id, PHASES, progress, prefetch=True)

    async def import_resource(
        self, tenant_id: int, resource: str, progress: ProgressCallback | None = None
    ) -> ImportSummary:
        """Re-read one resource (``"customers"``, or bexio's name for it, ``"contact"``)."""
        key = BEXIO_RESOURCES.get(resource, resource)
        phases = [phase for phase in PHASES if phase.key == key]
        if not phases:
            known = ", ".join(sorted({*BEXIO_RESOURCES, *(phase.key for phase in PHASES)}))
            raise UnknownResource(f"unknown resource {resource!r}; known: {known}")
        return await self._run(tenant_id, phases, progress)

    async def import_contact(self, tenant_id: int, contact_id: int) -> ImportSummary:
        """Re-read one contact; all contacts when its change flips the customers rule."""

        async def one(service: ImportService, ctx: ImportContext, summary: ImportSummary) -> None:
            result = await import_contact(ctx, contact_id)
            if result is None:
                log.info("contact %s moved the customers rule: re-reading every contact", contact_id)
                await service._customers(ctx, summary)
                return
            summary.resources["customers"] = result.changes
            summary.customer_rule, summary.customer_rule_reason = result.rule.mode, result.rule.reason

        return await self._run(tenant_id, [Phase("customers", RESOURCE_LABELS["customers"], one)], None)

    async def import_project(self, tenant_id: int, project_id: int) -> ImportSummary:
        async def one(service: ImportService, ctx: ImportContext, summary: ImportSummary) -> None:
            summary.resources["projects"] = await import_project(ctx, project_id)

        return await self._run(tenant_id, [Phase("projects", RESOURCE_LABELS["projects"], one)], None)

    async def import_timesheet(self, tenant_id: int, timesheet_id: int) -> ImportSummary:
        """Re-read one timesheet; gone from bexio → its imported, unbilled entry is removed."""

        async def one(service: ImportService, ctx: ImportContext, summary: ImportSummary) -> None:
            summary.resources["timesheets"] = await import_timesheet(ctx, timesheet_id)

        return await self._run(tenant_id, [Phase("timesheets", RESOURCE_LABELS["timesheets"], one)], None)

    async def import_resources(self, tenant_id: int, resources: list[str]) -> ImportSummary:
        """Re-read several resources in one go (the poller's periodic full re-read), in import order."""
        keys = {BEXIO_RESOURCES.get(resource, resource) for resource in resources}
        unknown = keys - {phase.key for phase in PHASES}
        if unknown:
            raise UnknownResource(f"unknown resource(s): {', '.join(sorted(unknown))}")
        return await self._run(
            tenant_id, [phase for phase in PHASES if phase.key in keys], None, prefetch=True
        )

    async def import_new_timesheets(
        self, tenant_id: int, known_id: int, *, page_size: int | None = None
    ) -> NewTimesheets:
        """Store the timesheets bexio created after ``known_id`` (found newest first)."""
        found: list[NewTimesheets] = []

        async def new(service: ImportService, ctx: ImportContext, summary: ImportSummary) -> None:
            options = {"page_size": page_size} if page_size else {}
            found.append(await import_new_timesheets(ctx, known_id, **options))
            summary.resources["timesheets"] = found[0].changes

        await self._run(tenant_id, [Phase("timesheets", RESOURCE_LABELS["timesheets"], new)], None)
        return found[0]

    # -- running phases -------------------------------------------------------------------------

    async def _run(
        self,
        tenant_id: int,
        phases: list[Phase],
        progress: ProgressCallback | None,
        *,
        prefetch: bool = False,
    ) -> ImportSummary:
        """Run the phases in order. With ``prefetch`` (whole resources, not one record), every
        list the phases read but the timesheets is requested at once up front: each phase then
        finds its list waiting, and bexio's latency is paid about once instead of once per list."""
        started = time.monotonic()
        summary = ImportSummary()
        tracker = _Tracker(progress, started, len(phases))
        try:
            with older_objects_set_aside():
                async with self._context(tenant_id, tracker) as ctx:
                    if prefetch:
                        ctx.prefetch(
                            [read for phase in phases for read in _list_reads(ctx.client, phase.key)]
                        )
                        if any(phase.key == "timesheets" for phase in phases):
                            prime_timesheets(ctx)
                    for phase in phases:
                        tracker.enter(phase)
                        await phase.run(self, ctx, summary)
                    summary.bexio_calls = ctx.client.stats.total_calls
                    summary.skipped = list(ctx.skipped)
        except Exception as exc:
            failure = explain(exc, reading=tracker.reading, auth_kind=self.bexio.auth_kind)
            if failure is None:
                raise
            if failure.connection_broken:
                await self.connection.record(tenant_id, ok=False, reason=failure.message)
            log.info("import for tenant %s stopped while reading %s: %s", tenant_id, tracker.reading, exc)
            raise failure from exc
        await self.connection.record(tenant_id, ok=True)
        summary.seconds = time.monotonic() - started
        return summary

    @contextlib.asynccontextmanager
    async def _context(self, tenant_id: int, tracker: _Tracker) -> AsyncIterator[ImportContext]:
        settings = await self.settings.load(tenant_id)
        async with (
            self.bexio.client(tenant_id) as client,
            open_workspace(self.db, tenant_id) as workspace,
        ):
            ctx = ImportContext(tenant_id, client, workspace, settings, self.now(), tracker.read)
            try:
                yield ctx
            finally:
                await ctx.close()

    # -- the phases -----------------------------------------------------------------------------

    async def _company(self, ctx: ImportContext, summary: ImportSummary) -> None:
        """The company's name and id. A profile bxhours cannot read is skipped like any record
        (issue 11): the name stays what it was, and the import goes on."""
        name: str | None = None
        company_id: str | None = None
        userinfo = asyncio.ensure_future(ctx.client.userinfo())  # both at once: one round trip
        try:
            try:
                name = (await ctx.client.company_profile.current()).name
            except BexioUnexpectedResponse as exc:
                ctx.skip("company", None, str(exc), problem=Problem("", "shape"))
            try:
                company_id = (await userinfo).company_id
            except BexioAuthError:
                log.info("bexio userinfo refused this token; the company is kept without its id")
            except BexioError as exc:
                log.info("bexio userinfo unavailable (%s); the company is kept without its id", exc)
        finally:
            if not userinfo.done():
                userinfo.cancel()
                await asyncio.gather(userinfo, return_exceptions=True)
        await self.tenants.record_company(ctx.tenant_id, company_id, name)
        summary.company_name, summary.company_id = name, company_id

    async def _users(self, ctx: ImportContext, summary: ImportSummary) -> None:
        result = await import_users(ctx, self.directory)
        summary.resources["users"] = result.changes
        summary.unmatched = result.unmatched
        summary.notes.extend(result.notes)

    async def _contact_groups(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["contact_groups"] = await import_contact_groups(ctx)

    async def _customers(self, ctx: ImportContext, summary: ImportSummary) -> None:
        result = await import_customers(ctx)
        summary.resources["customers"] = result.changes
        summary.customer_rule, summary.customer_rule_reason = result.rule.mode, result.rule.reason

    async def _projects(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["projects"] = await import_projects(ctx)

    async def _activities(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["activities"] = await import_activities(ctx)

    async def _accounts(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["account_groups"] = await import_account_groups(ctx)
        summary.resources["accounts"] = await import_accounts(ctx)

    async def _taxes(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["taxes"] = await import_taxes(ctx)

    async def _units(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["units"] = await import_units(ctx)

    async def _languages(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["languages"] = await import_languages(ctx)

    async def _currencies(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["currencies"] = await import_currencies(ctx)

    async def _document_settings(self, ctx: ImportContext, summary: ImportSummary) -> None:
        summary.resources["document_settings"] = await import_document_settings(ctx)

    async def _timesheets(self, ctx: ImportContext, summary: ImportSummary) -> None:
        changes, undated = await import_timesheets(ctx)
        summary.resources["timesheets"] = changes
        if undated:
            summary.notes.append(
                _("{count} bexio timesheet(s) without a date were not imported.", count=undated)
            )


PHASES: list[Phase] = [
    Phase("company", N_("Company profile"), ImportService._company),
    Phase("users", RESOURCE_LABELS["users"], ImportService._users),
    Phase("contact_groups", RESOURCE_LABELS["contact_groups"], ImportService._contact_groups),
    Phase("customers", RESOURCE_LABELS["customers"], ImportService._customers),
    Phase("projects", RESOURCE_LABELS["projects"], ImportService._projects),
    Phase("activities", RESOURCE_LABELS["activities"], ImportService._activities),
    Phase("accounts", RESOURCE_LABELS["accounts"], ImportService._accounts),
    Phase("taxes", RESOURCE_LABELS["taxes"], ImportService._taxes),
    Phase("units", RESOURCE_LABELS["units"], ImportService._units),
    Phase("currencies", RESOURCE_LABELS["currencies"], ImportService._currencies),
    Phase("languages", RESOURCE_LABELS["languages"], ImportService._languages),
    Phase("document_settings", RESOURCE_LABELS["document_settings"], ImportService._document_settings),
    Phase("timesheets", RESOURCE_LABELS["timesheets"], ImportService._timesheets),
]

#: bexio's names (as change notifications use them, issue 7) → the import's.
BEXIO_RESOURCES = {
    "user": "users",
    "contact": "customers",
    "contact_group": "contact_groups",
    "project": "projects",
    "business_activity": "activities",
    "account": "accounts",
    "tax": "taxes",
    "unit": "units",
    "currency": "currencies",
    "timesheet": "timesheets",
}


def _list_reads(client: BexioClient, phase: str) -> list[ListRead]:
    """The lists a phase reads, as it reads them (path, reader, ordered by id): what ``prefetch``
    asks for. Timesheets are not here: 100 000 of them stream, they are never held at once."""
    match phase:
        case "users":
            return [(client.users.path, USERS_READER, False)]
        case "contact_groups":
            return [(client.contact_groups.path, reader_of(ContactGroup), False)]
        case "customers":
            return [(client.contacts.path, CONTACTS_READER, True)]
        case "projects":
            return [
                (client.projects.path, PROJECTS_READER, True),
                (client.project_states.path, STATES_READER, False),
                (client.project_types.path, TYPES_READER, False),
            ]
        case "activities":
            return [(client.business_activities.path, reader_of(BusinessActivity), False)]
        case "accounts":
            return [
                (client.account_groups.path, reader_of(AccountGroup), False),
                (client.accounts.path, reader_of(Account), False),
            ]
        case "taxes":
            return [(client.taxes.path, reader_of(Tax), False)]
        case "units":
            return [(client.units.path, reader_of(Unit), False)]
        case "languages":
            return [(client.languages.path, reader_of(BexioLanguage), False)]
        case "currencies":
            return [(client.currencies.path, reader_of(Currency), False)]
        case "document_settings":
            return [(client.document_settings.path, reader_of(DocumentSetting), False)]
    return []


class _Tracker:
    """Counts what was read and tells the progress callback after each phase change and page."""

    def __init__(self, callback: ProgressCallback | None, started: float, steps: int) -> None:
        self.callback = callback
        self.started = started
        self.steps = steps
        self.step = 0
        self.phase = ""
        self.reading = _(RESOURCE_READING["company"])
        self.counts: dict[str, int] = {}

    def enter(self, phase: Phase) -> None:
        self.step += 1
        self.phase = phase.label
        reading = RESOURCE_READING.get(phase.key)
        self.reading = _(reading) if reading else phase.label.lower()
        self._tell()

    def read(self, resource: str, count: int) -> None:
        self.counts[resource] = self.counts.get(resource, 0) + count
        self._tell()

    def _tell(self) -> None:
        if self.callback is None:
            return
        snapshot = ImportProgress(
            phase=self.phase,
            step=self.step,
            steps=self.steps,
            read=dict(self.counts),
            elapsed=time.monotonic() - self.started,
        )
        try:
            self.callback(snapshot)
        except Exception:  # progress is a courtesy: it must never stop an import
            log.exception("import progress callback failed")
