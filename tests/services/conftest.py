"""An ImportService on a real database (SQLite, and PostgreSQL when configured) and an in-process sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from services.bexio_access import BexioAccess, BexioConfig
from services.importing.people import SlackDirectory
from services.importing.service import ImportService
from services.importing.status import SyncStatusService
from services.settings import SettingsService
from storage.crypto import TokenCipher, generate_key
from storage.db import Database
from storage.jobs import JobQueue
from storage.tenants import TenantRepository


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Importing:
    db: Database
    sandbox: RunningSandbox
    service: ImportService
    tenant_id: int
    tenants: TenantRepository

    async def second_tenant(self) -> int:
        return (await self.tenants.ensure("T0002OTHER", "Other workspace")).id


class NoSlack:
    """A Slack workspace whose members have none of the bexio e-mails."""

    async def people_by_email(self, emails: object) -> Mapping[str, str]:
        return {}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo", timesheets=300)) as running:
        yield running


def build_importer(
    db: Database,
    sandbox: RunningSandbox,
    directory: SlackDirectory | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ImportService:
    tenants = TenantRepository(db, now)
    access = BexioAccess(
        BexioConfig(sandbox.url, sandbox.url + "/realms/bexio", access_token=sandbox.token),
        db,
        TokenCipher(generate_key()),
        now,
    )
    status = SyncStatusService(db, JobQueue(db, now), access, tenants, now, "Europe/Zurich")
    return ImportService(db, access, SettingsService(db, now), tenants, status, now, directory or NoSlack())


@pytest.fixture
async def importing(db: Database, sandbox: RunningSandbox) -> AsyncIterator[Importing]:
    tenants = TenantRepository(db)
    tenant = await tenants.ensure("T0001BX", "Acme Digital")
    service = build_importer(db, sandbox)
    yield Importing(db, sandbox, service, tenant.id, tenants)
    await service.bexio.aclose()
