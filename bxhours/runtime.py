"""The composition root: builds the adapters and services of one process from its settings.

Everything that needs configuration is created here and handed down, so no module below reads the
environment itself and tests can assemble the same graph around a fake Slack and the bexio sandbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_bolt_app
from bot.connect_routes import ConnectRoutes
from bot.deps import BotDeps
from bot.front_door import SlackFrontDoor
from bot.in_flight import InFlightListeners
from bot.invoice_reporter import SlackInvoiceReporter
from bot.notifier import SlackNotifier
from bot.requests import SlackSignatures
from bot.slack_directory import SlackDirectory
from bot.slack_oauth import (
    REDIRECT_PATH,
    NoSlackAccess,
    SlackClients,
    SqlInstallationStore,
    SqlStateStore,
    TenantBoundClient,
    TenantResolver,
    bolt_authorize,
    install_flow,
)
from bot.views.bexio_connection import reconnect_message
from bot.views.bx_sync import SlackImportMessages
from bot.views.payload import envelope_problem
from bot.views.reminder import SlackReminderMessages
from bot.views.sealed import ChoiceSeal
from bot.views.summary import SlackSummaryMessages
from bot.views.timers import TimerMessages
from bot.views.write_back import SlackWriteBackMessages
from bot.workspace_setup import WorkspaceSetup
from bxhours.commands import CommandError
from bxhours.logs import register_secret
from bxhours.settings import ConfigError, Settings
from core.i18n import current_language, language_scope
from services.absences import ABSENCE_DELETE, ABSENCE_SYNC, AbsenceService, AbsenceSyncRefused
from services.bexio_access import BexioAccess, BexioConfig
from services.bexio_connect import RECONNECT_REASON, BexioConnectService, TicketSeal
from services.changes import ChangeProcessor, ChangeRefused, InvoiceChanges
from services.changes.poller import ChangePoller
from services.changes.schedule import POLL_CHANGES, POLL_FULL, schedule_polls
from services.container import Services
from services.diagnostics import PING, Diagnostics
from services.expense_categories import ExpenseCategoryService
from services.expenses import ExpenseService
from services.home import HomeService
from services.importing.errors import ImportFailed
from services.importing.people import PeopleLinks
from services.importing.runs import IMPORT_JOB, SyncRunService
from services.importing.service import ImportService
from services.importing.status import SyncStatusService
from services.invoicing import INVOICE_PUSH, InvoicingService
from services.invoicing.customers import unbilled_by_customer
from services.invoicing.recent import RecentInvoices
from services.languages import LanguageService
from services.onboarding import OnboardingService
from services.people import PeopleService
from services.recents import RecentsService
from services.reminders import (
    NUDGES_TICK,
    REMINDER_REFRESH,
    REMINDER_WAKE,
    BookedAbsences,
    RemindersService,
    schedule_nudges,
)
from services.settings import SettingsService, TenantSettings
from services.summaries import SummaryService
from services.tenants import TenantService
from services.time_entries import TimeEntryService
from services.timers import TIMER_MIDNIGHT, TIMER_WARNING, TimerService
from services.week import WeekService
from services.workspaces import WORKSPACE_SETUP, WorkspaceService
from services.writeback import BACKFILL_JOB, DELETE_JOB, ENTRY_JOB, WriteBack, WriteRefused
from storage.crypto import TokenCipher, derive_key, load_or_create_sqlite_key
from storage.db import Database
from storage.inbox import InboxStore
from storage.installations import InstallationRepository
from storage.jobs import ClaimedJob, JobQueue, utcnow
from storage.migrate import upgrade
from storage.oauth_states import OAuthStateRepository
from storage.tenant_context import working_for
from storage.tenants import TenantRepository
from webhooks.batching import BatchingEnqueuer
from webhooks.endpoint import StoredTenantSecrets, WebhookEndpoint
from webhooks.notifications import CHANGE_DEBOUNCE, CHANGE_JOB
from webhooks.worker import JobHandler, PermanentJobError, Worker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    queue: JobQueue
    cipher: TokenCipher
    slack: AsyncWebClient
    services: Services
    bolt: AsyncApp
    worker: Worker
    webhook: WebhookEndpoint
    default_tenant: int | None
    """The tenant commands act on: the workspace of SLACK_BOT_TOKEN, or the one ``--workspace``
    names (or the only one) in multi-workspace mode; None for a server of many workspaces."""
    in_flight: InFlightListeners
    front_door: SlackFrontDoor
    """``POST /slack/events``: verification, the inbox, dispatch to ``bolt`` (``bot.front_door``)."""
    clients: SlackClients
    installations: InstallationRepository
    workspaces: WorkspaceService
    connect: BexioConnectService
    connect_routes: ConnectRoutes
    """``/slack/install``, ``/slack/oauth_redirect``, ``/bexio/connect``, ``/bexio/callback``."""
    resolver: TenantResolver | None = None

    @property
    def multi_workspace(self) -> bool:
        return self.settings.multi_workspace

    @property
    def tenant_id(self) -> int:
        """The tenant a command acts on; asks for ``--workspace`` when that is not clear."""
        if self.default_tenant is None:
            raise CommandError(
                "this deployment serves several Slack workspaces (or none yet): name one with "
                "--workspace T… (see `bxhours workspaces list`)"
            )
        return self.default_tenant

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        now: Callable[[], datetime] = utcnow,
        migrate: bool = True,
        worker_concurrency: int = 2,
    ) -> Runtime:
        multi = settings.multi_workspace
        if multi:
            settings.require("slack_signing_secret")
            _warn_ignored_in_multi_workspace_mode(settings)
        else:
            settings.require("slack_bot_token", "slack_signing_secret")
        assert settings.slack_signing_secret is not None
        register_secret(
            *settings.signing_secrets,
            settings.bexio_webhook_secret.get_secret_value() if settings.bexio_webhook_secret else None,
            settings.bexio_access_token.get_secret_value() if settings.bexio_access_token else None,
            settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None,
            settings.bexio_client_secret.get_secret_value() if settings.bexio_client_secret else None,
        )
        encryption_key = resolve_encryption_key(settings)
        cipher = TokenCipher(encryption_key)
        db = Database(settings.database_url)
        try:
            if migrate:
                await upgrade(db.engine)
            queue = JobQueue(db, now)
            tenants = TenantService(TenantRepository(db, now))
            installations = InstallationRepository(db, cipher, now)
            slack: AsyncWebClient
            if multi:
                clients = SlackClients(
                    settings.slack_api_url,
                    installations=installations,
                    client_id=settings.slack_client_id,
                    client_secret=settings.slack_client_secret.get_secret_value()
                    if settings.slack_client_secret
                    else None,
                )
                slack = cast(AsyncWebClient, TenantBoundClient(clients))
                default_tenant = await _named_workspace(installations, settings.bxhours_workspace)
            else:
                assert settings.slack_bot_token is not None
                single = AsyncWebClient(
                    token=settings.slack_bot_token.get_secret_value(),
                    base_url=settings.slack_api_url,
                    retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
                )
                clients = SlackClients(settings.slack_api_url, single=single)
                slack = single
                default_tenant = await _ensure_tenant(single, tenants)
            notifier = SlackNotifier(slack)
            people = PeopleService(db, settings.admin_ids)
            bexio = BexioAccess(bexio_config(settings), db, cipher, now)
            tenant_settings = SettingsService(db, now)
            sync_status = SyncStatusService(db, queue, bexio, tenants.repo, now, settings.bxhours_timezone)
            directory = SlackDirectory(slack)
            importer = ImportService(db, bexio, tenant_settings, tenants.repo, sync_status, now, directory)
            week = WeekService(db, now, settings.bxhours_timezone)
            languages = LanguageService(
                db, tenant_settings, now, default=settings.bxhours_language, locales=directory
            )
            sync_runs = SyncRunService(
                db, queue, importer, notifier, SlackImportMessages(), now, languages=languages
            )
            workspaces = WorkspaceService(
                installations, queue, now, keep_days=settings.delete_after_uninstall_days
            )

            async def start_first_import(tenant_id: int, user_id: str) -> None:
                await sync_runs.request(tenant_id, user_id)

            async def slack_email(tenant_id: int, user_id: str) -> str | None:
                with working_for(tenant_id):
                    return await directory.email_of(user_id)

            connect = BexioConnectService(
                db=db,
                access=bexio,
                states=OAuthStateRepository(db, cipher, now),
                tenants=tenants.repo,
                people=people,
                queue=queue,
                cipher=cipher,
                seal=TicketSeal(derive_key(encryption_key, b"bxhours-connect-ticket"), now),
                public_url=settings.base_url,
                slack_email=slack_email,
                start_import=start_first_import,
                now=now,
            )
            services = Services(
                db=db,
                queue=queue,
                now=now,
                timezone=settings.bxhours_timezone,
                admin_ids=settings.admin_ids,
                notifier=notifier,
                bexio=bexio,
                tenants=tenants,
                settings=tenant_settings,
                people=people,
                home=HomeService(people, week, sync_status, RecentInvoices(db)),
                time_entries=TimeEntryService(
                    db, tenant_settings, settings.admin_ids, now, settings.bxhours_timezone
                ),
                expenses=ExpenseService(
                    db, tenant_settings, settings.admin_ids, now, settings.bxhours_timezone
                ),
                expense_categories=ExpenseCategoryService(db, now),
                week=week,
                importer=importer,
                sync=sync_runs,
                sync_status=sync_status,
                people_links=PeopleLinks(db, now),
                invoicing=InvoicingService(
                    db,
                    queue,
                    tenant_settings,
                    people,
                    bexio.client,
                    SlackInvoiceReporter(slack, notifier, languages),
                    now,
                    settings.bxhours_timezone,
                ),
                changes=ChangeProcessor(
                    db, importer, InvoiceChanges(db, bexio, notifier, now, languages), sync_status
                ),
                workspaces=workspaces,
                connect=connect,
                languages=languages,
            )
            writeback = WriteBack(
                db,
                queue,
                tenant_settings,
                bexio.client,
                notifier,
                people,
                now,
                messages=SlackWriteBackMessages(),
                languages=languages,
            )
            tenant_settings.listeners.append(writeback.setting_changed)
            sync_status.writeback_counts = writeback.counts
            services.writeback = services.time_entries.writeback = writeback
            services.absences = AbsenceService(
                db,
                queue,
                bexio,
                people,
                notifier,
                now,
                settings.bxhours_timezone,
                settings.admin_ids,
                language_of=languages.for_person,
            )
            services.home.connect = connect
            services.home.languages = services.languages
            services.timers = services.home.timers = TimerService(
                db,
                services.time_entries,
                queue,
                notifier,
                TimerMessages(),
                now,
                settings.bxhours_timezone,
                languages,
            )
            services.recents = services.home.recents = RecentsService(db, services.time_entries)
            services.home.onboarding = OnboardingService(db, sync_status, now)
            services.reminders = _reminders(services, slack, languages, settings.bxhours_timezone)
            services.summaries = _summaries(services, languages, settings.bxhours_timezone)
            if multi:
                services.home.webhook_secret = installations.webhook_secret
                services.home.public_url = settings.base_url
            notifier.bind(services)
            deps = BotDeps(services, ChoiceSeal(encryption_key))
            bolt = create_bolt_app(
                signing_secret=settings.slack_signing_secret.get_secret_value(),
                client=clients.new_client() if multi else slack,
                deps=deps,
                authorize=bolt_authorize(clients) if multi else None,
            )
            setup = WorkspaceSetup(services, clients)
            worker = Worker(queue, job_handlers(services, setup), concurrency=worker_concurrency)
            webhook = WebhookEndpoint(
                settings.bexio_webhook_secret.get_secret_value()
                if settings.bexio_webhook_secret and not multi
                else None,
                BatchingEnqueuer(queue, on_enqueued=worker.wake, debounce=CHANGE_DEBOUNCE),
                lambda: default_tenant or 0,
                tenant_secrets=StoredTenantSecrets(installations) if multi else None,
            )
        except BaseException:
            await db.dispose()
            raise
        resolver = TenantResolver(installations) if multi else None
        front_door = SlackFrontDoor(
            bolt,
            SlackSignatures(settings.signing_secrets),
            InboxStore(db, now),
            default_tenant or 0,
            slack,
            ack_first=deps.ack_first,
            in_flight=deps.in_flight,
            envelope_problem=envelope_problem,
            tenant_of=resolver.tenant_of if resolver is not None else None,
        )
        install = state_store = None
        if multi:
            install = SqlInstallationStore(installations, clients)
            state_store = SqlStateStore(OAuthStateRepository(db, cipher, now))
        connect_routes = ConnectRoutes(
            services,
            connect,
            workspaces,
            None,
            install,
            state_store,
            secure_cookies=settings.base_url.startswith("https://"),
        )
        if multi:
            assert install is not None and state_store is not None and settings.slack_client_id
            assert settings.slack_client_secret is not None
            connect_routes.flow = install_flow(
                api_url=settings.slack_api_url,
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                authorize_url=settings.slack_authorize_url,
                redirect_uri=f"{settings.base_url}{REDIRECT_PATH}",
                installation_store=install,
                state_store=state_store,
                success=connect_routes.installed,
                failure=connect_routes.install_failed,
            )
        return cls(
            settings,
            db,
            queue,
            cipher,
            slack,
            services,
            bolt,
            worker,
            webhook,
            default_tenant,
            deps.in_flight,
            front_door,
            clients,
            installations,
            workspaces,
            connect,
            connect_routes,
            resolver,
        )

    async def schedule_polls(self) -> None:
        """Seed the change poller's periodic jobs (``serve`` and ``worker`` at start; idempotent):
        one pair per installed tenant.

        Not part of ``create``: one-shot commands and the test stack must not start polling bexio.
        """
        if self.multi_workspace:
            for tenant_id in await self.installations.active_tenant_ids():
                await schedule_polls(self.queue, tenant_id)
                await schedule_nudges(self.queue, tenant_id)
        elif self.default_tenant is not None:
            await schedule_polls(self.queue, self.default_tenant)
            await schedule_nudges(self.queue, self.default_tenant)

    async def housekeeping(self) -> None:
        """Delete the data of workspaces uninstalled more than DELETE_AFTER_UNINSTALL_DAYS ago."""
        if self.multi_workspace:
            await self.workspaces.purge_due()

    def start_housekeeping(self, every: float = 6 * 3600.0, first: float = 60.0) -> asyncio.Task[None]:
        """Run ``housekeeping`` a minute after start and then every six hours (``serve``, ``worker``);
        deleting twice is harmless, so several processes may all do it."""

        async def loop() -> None:
            await asyncio.sleep(first)
            while True:
                try:
                    await self.housekeeping()
                except Exception:
                    log.exception("housekeeping failed; trying again later")
                await asyncio.sleep(every)

        return asyncio.get_running_loop().create_task(loop(), name="bxhours-housekeeping")

    async def drain(self, timeout: float = 25.0) -> None:
        """After the HTTP server stopped taking requests: let acknowledged Slack handlers finish."""
        await self.in_flight.drain(timeout)

    async def close(self) -> None:
        await self.front_door.close()
        await self.webhook.enqueuer.close()
        await self.services.bexio.aclose()
        await self.connect.aclose()
        await self.db.dispose()


def job_handlers(services: Services, setup: WorkspaceSetup | None = None) -> dict[str, JobHandler]:
    """Every job runs as its tenant (``storage.tenant_context``): its Slack calls use that
    workspace's token. Jobs of a workspace that removed bxhours do nothing (a poll then stops)."""
    handlers = _job_handlers(services)
    if setup is not None:
        handlers[WORKSPACE_SETUP] = setup.run_job
    handlers.update(_nudge_handlers(services, handlers))
    return {kind: _as_tenant(services, handler) for kind, handler in handlers.items()}


def _as_tenant(services: Services, handler: JobHandler) -> JobHandler:
    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        if not await services.tenants.installed(job.tenant_id):
            return {"skipped": "the workspace removed bxhours"}
        languages = services.languages
        language = await languages.for_workspace(job.tenant_id) if languages is not None else None
        with working_for(job.tenant_id), language_scope(language):
            try:
                result = await handler(job)
                if not await services.tenants.installed(job.tenant_id):
                    # Removed while this ran: what it queued next (a poll's next run) goes too.
                    await services.queue.cancel_queued(job.tenant_id)
                return result
            except NoSlackAccess as exc:
                raise PermanentJobError(f"no Slack access: {exc}") from None
            except PermanentJobError as exc:
                # bexio refused the tenant's sign-in (invalid_grant): park the job with a reason that
                # reconnecting resumes, and tell the admins — once — with a Reconnect button.
                connect = services.connect
                if connect is None or not await connect.is_broken(job.tenant_id):
                    raise
                reason = await connect.broke(job.tenant_id)
                if reason is not None:
                    await tell_admins_to_reconnect(services, job.tenant_id, reason)
                raise PermanentJobError(f"{RECONNECT_REASON}: {exc}") from None

    return run


async def tell_admins_to_reconnect(services: Services, tenant_id: int, reason: str) -> None:
    connect = services.connect
    assert connect is not None
    for admin in await services.people.admins(tenant_id):
        try:
            languages = services.languages  # each admin reads it in their own language
            language = await languages.for_person(tenant_id, admin) if languages else current_language.get()
            with language_scope(language):
                text, blocks = reconnect_message(reason, connect.connect_link(tenant_id, admin))
            await services.notifier.direct_message(admin, text, blocks)
        except Exception:  # one admin we cannot reach must not keep the others from hearing
            log.warning("could not tell admin %s that bexio must be reconnected", admin, exc_info=True)


def _job_handlers(services: Services) -> dict[str, JobHandler]:
    diagnostics = Diagnostics(services.db, services.now)

    async def run_import(job: ClaimedJob) -> dict[str, Any] | None:
        try:
            return await services.sync.run_job(job)
        except ImportFailed as exc:  # recorded and reported already; retrying alone cannot help
            raise PermanentJobError(exc.message) from None

    async def run_change(job: ClaimedJob) -> dict[str, Any] | None:
        try:
            return await services.changes.run_job(job)
        except ChangeRefused as exc:  # a bad payload or a broken connection: retrying cannot help
            raise PermanentJobError(exc.message) from None

    def refusals_park(run: JobHandler) -> JobHandler:
        async def parked_on_refusal(job: ClaimedJob) -> dict[str, Any] | None:
            try:
                return await run(job)
            except WriteRefused as exc:  # bexio's definite answer, shown to admins in /bx-sync status
                raise PermanentJobError(exc.message) from None

        return parked_on_refusal

    writeback: dict[str, JobHandler] = {}
    if services.writeback is not None:
        writeback = {
            ENTRY_JOB: refusals_park(services.writeback.run_entry_job),
            DELETE_JOB: refusals_park(services.writeback.run_delete_job),
            BACKFILL_JOB: refusals_park(services.writeback.run_backfill_job),
        }
    absence_jobs: dict[str, JobHandler] = {}
    if services.absences is not None:
        absences = services.absences

        async def run_absence_sync(job: ClaimedJob) -> dict[str, Any] | None:
            try:
                return await absences.run_sync_job(job)
            except AbsenceSyncRefused as exc:  # bexio's definite 400: the absence shows why
                raise PermanentJobError(str(exc)) from None

        absence_jobs = {ABSENCE_SYNC: run_absence_sync, ABSENCE_DELETE: absences.run_delete_job}
    poller = ChangePoller(services.importer, services.queue)
    return {
        **absence_jobs,
        **writeback,
        PING: diagnostics.run_ping,
        IMPORT_JOB: run_import,
        INVOICE_PUSH: services.invoicing.run_push_job,
        CHANGE_JOB: run_change,
        POLL_CHANGES: poller.run_changes_job,
        POLL_FULL: poller.run_full_job,
        **_timer_handlers(services),
    }


async def _ensure_tenant(slack: AsyncWebClient, tenants: TenantService) -> int:
    """The one tenant this process serves is the workspace of SLACK_BOT_TOKEN.

    When Slack cannot be reached the workspace this database already serves is used (with a
    warning): ``bxhours sync`` and the other commands work without Slack; people are matched to
    Slack users at a later import.
    """
    try:
        identity = await slack.auth_test()
    except SlackApiError as exc:
        raise ConfigError("SLACK_BOT_TOKEN", f"was refused by Slack ({exc.response.get('error')})") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        known = await tenants.repo.only()
        if known is not None and await tenants.repo.count() == 1:
            log.warning(
                "Slack could not be reached at SLACK_API_URL (%s): going on for workspace %s",
                type(exc).__name__,
                known.slack_team_id,
            )
            return known.id
        raise CommandError(
            f"Slack could not be reached at SLACK_API_URL ({type(exc).__name__}); try again later"
        ) from None
    return await tenants.ensure(str(identity["team_id"]), identity.get("team"))


async def _named_workspace(installations: InstallationRepository, workspace: str | None) -> int | None:
    """Multi-workspace mode: the tenant ``--workspace`` names, else the only one there is."""
    rows = await installations.tenants()
    if workspace:
        wanted = workspace.strip()
        for row in rows:
            if row.slack_team_id == wanted or str(row.id) == wanted:
                return row.id
        raise CommandError(f"no workspace {wanted} uses this database (see `bxhours workspaces list`)")
    return rows[0].id if len(rows) == 1 else None


def _warn_ignored_in_multi_workspace_mode(settings: Settings) -> None:
    for variable, value in (
        ("BXHOURS_ADMINS", settings.bxhours_admins),
        ("BEXIO_WEBHOOK_SECRET", settings.bexio_webhook_secret),
        ("BEXIO_ACCESS_TOKEN", settings.bexio_access_token),
    ):
        if value:
            log.warning(
                "%s is ignored in multi-workspace mode (SLACK_CLIENT_ID without SLACK_BOT_TOKEN): "
                "each workspace has its own admins, webhook secret and bexio connection",
                variable,
            )


def bexio_config(settings: Settings) -> BexioConfig:
    # One personal access token would connect every workspace to one company: multi-workspace
    # mode connects each by OAuth only.
    token = settings.bexio_access_token if not settings.multi_workspace else None
    return BexioConfig(
        api_url=settings.bexio_api_url,
        auth_url=settings.bexio_auth_url,
        access_token=token.get_secret_value() if token else None,
        client_id=settings.bexio_client_id,
        client_secret=settings.bexio_client_secret.get_secret_value()
        if settings.bexio_client_secret
        else None,
    )


def resolve_encryption_key(settings: Settings) -> str:
    if settings.bxhours_encryption_key is not None:
        return settings.bxhours_encryption_key.get_secret_value()
    if not settings.is_sqlite:
        raise ConfigError(
            "BXHOURS_ENCRYPTION_KEY", "is required with PostgreSQL (every process must share it)"
        )
    return load_or_create_sqlite_key(settings.database_url)


def _reminders(
    services: Services, slack: AsyncWebClient, languages: LanguageService, timezone: str
) -> RemindersService:
    """Missing-hours reminders (issue 17 §1): people's time zones from Slack (``users.info`` tz),
    told by the time entries whenever hours are stored."""

    async def slack_zone(tenant_id: int, user_id: str) -> str | None:
        with working_for(tenant_id):
            answer = await slack.users_info(user=user_id)
        found = (answer.get("user") or {}).get("tz")
        return found if isinstance(found, str) else None

    reminders = RemindersService(
        services.db,
        services.queue,
        services.settings,
        services.notifier,
        services.time_entries,
        services.now,
        timezone,
        messages=SlackReminderMessages(),
        zones=slack_zone,
        absences=BookedAbsences(services.db, lambda: services.absences),
        language_of=languages.for_person,
    )
    services.time_entries.hours_stored = reminders.hours_stored
    return reminders


def _summaries(services: Services, languages: LanguageService, timezone: str) -> SummaryService:
    """Weekly summaries (issue 17 §5): the chart goes into the DM with ``files_upload_v2``."""

    async def unbilled(session: AsyncSession, settings: TenantSettings, until: date) -> dict[int, Decimal]:
        return await unbilled_by_customer(session, settings, period_from=None, period_to=until)

    reminders = services.reminders
    return SummaryService(
        services.db,
        services.settings,
        services.week,
        services.people,
        services.notifier,
        services.now,
        timezone,
        messages=SlackSummaryMessages(),
        zones=reminders.zone_of if reminders is not None else None,  # remembered for an hour
        language_of=languages.for_person,
        unbilled=unbilled,
    )


def _nudge_handlers(services: Services, handlers: dict[str, JobHandler]) -> dict[str, JobHandler]:
    """Reminder jobs, the periodic tick, and a refresh of open reminders after every job that may
    have imported hours from bexio (imports, polls, webhook changes)."""
    reminders = services.reminders
    if reminders is None:
        return {}

    async def refresh(job: ClaimedJob) -> dict[str, Any] | None:
        return await reminders.run_refresh_job(job.tenant_id, job.payload)

    async def wake(job: ClaimedJob) -> dict[str, Any] | None:
        nudge = job.payload.get("nudge")
        if not isinstance(nudge, int):
            raise PermanentJobError(f"a reminder wake-up without a reminder id: {nudge!r}")
        return await reminders.wake(job.tenant_id, nudge)

    async def tick(job: ClaimedJob) -> dict[str, Any] | None:
        try:
            due = await reminders.run(job.tenant_id, due_only=True)
            covered = await reminders.refresh(job.tenant_id)
            summaries = services.summaries
            weekly = await summaries.run(job.tenant_id, due_only=True) if summaries else None
            return {
                "sent": len(due.sent),
                "failed": len(due.failed),
                "covered": covered,
                "summaries": len(weekly.sent) if weekly else 0,
            }
        finally:
            await schedule_nudges(services.queue, job.tenant_id)

    def then_refresh(run: JobHandler) -> JobHandler:
        async def run_then_refresh(job: ClaimedJob) -> dict[str, Any] | None:
            result = await run(job)
            try:
                await reminders.refresh_all_soon(job.tenant_id)
            except Exception:  # the tick catches up; the import itself succeeded
                log.warning("could not queue the refresh of open reminders", exc_info=True)
            return result

        return run_then_refresh

    wrapped = {
        kind: then_refresh(handlers[kind]) for kind in (IMPORT_JOB, POLL_FULL, CHANGE_JOB) if kind in handlers
    }
    return {**wrapped, REMINDER_REFRESH: refresh, REMINDER_WAKE: wake, NUDGES_TICK: tick}


def _timer_handlers(services: Services) -> dict[str, JobHandler]:
    """The 10-hour warning and the midnight question of timers (issue 17 §4)."""
    if services.timers is None:
        return {}
    return {TIMER_WARNING: services.timers.run_warning_job, TIMER_MIDNIGHT: services.timers.run_midnight_job}
