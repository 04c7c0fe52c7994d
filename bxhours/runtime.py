"""The composition root: builds the adapters and services of one process from its settings.

Everything that needs configuration is created here and handed down, so no module below reads the
environment itself and tests can assemble the same graph around a fake Slack and the bexio sandbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import create_bolt_app
from bot.deps import BotDeps
from bot.front_door import SlackFrontDoor
from bot.in_flight import InFlightListeners
from bot.invoice_reporter import SlackInvoiceReporter
from bot.notifier import SlackNotifier
from bot.requests import SlackSignatures
from bot.slack_directory import SlackDirectory
from bot.views.bx_sync import SlackImportMessages
from bot.views.payload import envelope_problem
from bot.views.sealed import ChoiceSeal
from bxhours.commands import CommandError
from bxhours.logs import register_secret
from bxhours.settings import ConfigError, Settings
from services.bexio_access import BexioAccess, BexioConfig
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
from services.invoicing.recent import RecentInvoices
from services.people import PeopleService
from services.settings import SettingsService
from services.tenants import TenantService
from services.time_entries import TimeEntryService
from services.week import WeekService
from storage.crypto import TokenCipher, load_or_create_sqlite_key
from storage.db import Database
from storage.inbox import InboxStore
from storage.jobs import ClaimedJob, JobQueue, utcnow
from storage.migrate import upgrade
from storage.tenants import TenantRepository
from webhooks.batching import BatchingEnqueuer
from webhooks.endpoint import WebhookEndpoint
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
    tenant_id: int
    in_flight: InFlightListeners
    front_door: SlackFrontDoor
    """``POST /slack/events``: verification, the inbox, dispatch to ``bolt`` (``bot.front_door``)."""

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        now: Callable[[], datetime] = utcnow,
        migrate: bool = True,
        worker_concurrency: int = 2,
    ) -> Runtime:
        settings.require("slack_bot_token", "slack_signing_secret")
        assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
        register_secret(
            *settings.signing_secrets,
            settings.bexio_webhook_secret.get_secret_value() if settings.bexio_webhook_secret else None,
            settings.bexio_access_token.get_secret_value() if settings.bexio_access_token else None,
        )
        encryption_key = resolve_encryption_key(settings)
        cipher = TokenCipher(encryption_key)
        db = Database(settings.database_url)
        try:
            if migrate:
                await upgrade(db.engine)
            queue = JobQueue(db, now)
            slack = AsyncWebClient(
                token=settings.slack_bot_token.get_secret_value(),
                base_url=settings.slack_api_url,
                retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
            )
            tenants = TenantService(TenantRepository(db, now))
            tenant_id = await _ensure_tenant(slack, tenants)
            notifier = SlackNotifier(slack)
            people = PeopleService(db, settings.admin_ids)
            bexio = BexioAccess(bexio_config(settings), db, cipher, now)
            tenant_settings = SettingsService(db, now)
            sync_status = SyncStatusService(db, queue, bexio, tenants.repo, now, settings.bxhours_timezone)
            importer = ImportService(
                db, bexio, tenant_settings, tenants.repo, sync_status, now, SlackDirectory(slack)
            )
            week = WeekService(db, now, settings.bxhours_timezone)
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
                sync=SyncRunService(db, queue, importer, notifier, SlackImportMessages(), now),
                sync_status=sync_status,
                people_links=PeopleLinks(db, now),
                invoicing=InvoicingService(
                    db,
                    queue,
                    tenant_settings,
                    people,
                    bexio.client,
                    SlackInvoiceReporter(slack, notifier),
                    now,
                    settings.bxhours_timezone,
                ),
                changes=ChangeProcessor(db, importer, InvoiceChanges(db, bexio, notifier, now), sync_status),
            )
            notifier.bind(services)
            deps = BotDeps(services, ChoiceSeal(encryption_key))
            bolt = create_bolt_app(
                signing_secret=settings.slack_signing_secret.get_secret_value(),
                client=slack,
                deps=deps,
            )
            worker = Worker(queue, job_handlers(services), concurrency=worker_concurrency)
            webhook = WebhookEndpoint(
                settings.bexio_webhook_secret.get_secret_value() if settings.bexio_webhook_secret else None,
                BatchingEnqueuer(queue, on_enqueued=worker.wake, debounce=CHANGE_DEBOUNCE),
                lambda: tenant_id,
            )
        except BaseException:
            await db.dispose()
            raise
        front_door = SlackFrontDoor(
            bolt,
            SlackSignatures(settings.signing_secrets),
            InboxStore(db, now),
            tenant_id,
            slack,
            ack_first=deps.ack_first,
            in_flight=deps.in_flight,
            envelope_problem=envelope_problem,
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
            tenant_id,
            deps.in_flight,
            front_door,
        )

    async def schedule_polls(self) -> None:
        """Seed the change poller's periodic jobs (``serve`` and ``worker`` at start; idempotent).

        Not part of ``create``: one-shot commands and the test stack must not start polling bexio.
        """
        await schedule_polls(self.queue, self.tenant_id)

    async def drain(self, timeout: float = 25.0) -> None:
        """After the HTTP server stopped taking requests: let acknowledged Slack handlers finish."""
        await self.in_flight.drain(timeout)

    async def close(self) -> None:
        await self.front_door.close()
        await self.webhook.enqueuer.close()
        await self.services.bexio.aclose()
        await self.db.dispose()


def job_handlers(services: Services) -> dict[str, JobHandler]:
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

    poller = ChangePoller(services.importer, services.queue)
    return {
        PING: diagnostics.run_ping,
        IMPORT_JOB: run_import,
        INVOICE_PUSH: services.invoicing.run_push_job,
        CHANGE_JOB: run_change,
        POLL_CHANGES: poller.run_changes_job,
        POLL_FULL: poller.run_full_job,
    }


async def _ensure_tenant(slack: AsyncWebClient, tenants: TenantService) -> int:
    """The one tenant this process serves is the workspace of SLACK_BOT_TOKEN."""
    try:
        identity = await slack.auth_test()
    except SlackApiError as exc:
        raise ConfigError("SLACK_BOT_TOKEN", f"was refused by Slack ({exc.response.get('error')})") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise CommandError(
            f"Slack could not be reached at SLACK_API_URL ({type(exc).__name__}); try again later"
        ) from None
    return await tenants.ensure(str(identity["team_id"]), identity.get("team"))


def bexio_config(settings: Settings) -> BexioConfig:
    return BexioConfig(
        api_url=settings.bexio_api_url,
        auth_url=settings.bexio_auth_url,
        access_token=settings.bexio_access_token.get_secret_value() if settings.bexio_access_token else None,
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
