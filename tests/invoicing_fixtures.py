"""Fixtures for invoicing tests: the sandbox's demo company mirrored into the database (as the
import would leave it), an `InvoicingService` whose bexio clients talk to the sandbox on a fake
clock, and the job queue on a manual clock so retries happen without waiting.

Test modules import the `invoicing` fixture by name, or build an environment with
`invoicing_env(...)` when they need their own transport or timeout (fault trials).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.pacing import Pacer
from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bexio.testing import FakeTime
from bxhours.fakes.invoicing_seed import SeededCompany, WorkLog, mirror_sandbox
from core.clock import ManualClock
from core.dates import end_of_last_month
from services.invoicing import INVOICE_PUSH, DraftOutcome, InvoicingService
from services.invoicing.push import ClientFactory
from services.people import PeopleService
from services.settings import SettingsService
from storage.db import Database
from storage.jobs import JobQueue
from storage.models import Invoice
from storage.tenants import TenantRepository
from webhooks.worker import Worker

ANDREA, MIA, NOAH = "U01ANDREA", "U02MIA", "U03NOAH"
SLACK_IDS = {1: ANDREA, 2: MIA, 3: NOAH}
PERSON_RATES = {
    "andrea.keller@alpenblick.example": Decimal("180.00"),
    "mia.schmid@alpenblick.example": Decimal("140.00"),
    "noah.keller@alpenblick.example": Decimal("125.50"),
}


class Reporter:
    """Records what the service reported (the bot's reporter is tested through Slack)."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[DraftOutcome, str | None, str | None]] = []
        self.delays: list[tuple[int, str]] = []

    async def finished(
        self, tenant_id: int, outcome: DraftOutcome, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        self.outcomes.append((outcome, slack_user_id, view_id))

    async def waiting(
        self, tenant_id: int, invoice_id: int, reason: str, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        self.delays.append((invoice_id, reason))


@dataclass
class InvoicingEnv:
    db: Database
    tenant_id: int
    sandbox: RunningSandbox
    company: SeededCompany
    work: WorkLog
    service: InvoicingService
    queue: JobQueue
    clock: ManualClock
    time: FakeTime
    reporter: Reporter
    worker: Worker

    @property
    def today(self) -> date:
        return self.service.today()

    @property
    def last_month(self) -> tuple[date, date]:
        end = end_of_last_month(self.today)
        return end.replace(day=1), end

    def user(self, bexio_id: int) -> int:
        return self.company.users[bexio_id]

    def project(self, bexio_id: int) -> int:
        return self.company.projects[bexio_id]

    def activity(self, bexio_id: int) -> int:
        return self.company.activities[bexio_id]

    def customer_of(self, project_bexio_id: int) -> int:
        contact = self.sandbox.state.tables["pr_project"][project_bexio_id]["contact_id"]
        return self.company.customers[contact]

    async def settle(self, invoice_id: int, *, rounds: int = 60) -> str:
        """Run push jobs until the invoice is decided, moving the queue's clock past each backoff."""
        for _ in range(rounds):
            await self.worker.run_until_idle()
            status = await self.service.status(self.tenant_id, invoice_id)
            if status != "pending":
                return str(status)
            self.clock.advance(3600)
        raise AssertionError(f"invoice {invoice_id} still pending after {rounds} rounds")

    async def invoice(self, invoice_id: int) -> Invoice:
        async with self.db.session(self.tenant_id) as session:
            row = await session.get(Invoice, invoice_id)
            assert row is not None
            return row

    def drafts_for(self, api_reference: str) -> list[dict]:  # type: ignore[type-arg]
        return [
            record
            for record in self.sandbox.state.tables["kb_invoice"].values()
            if record.get("api_reference") == api_reference
        ]


TransportFactory = Callable[[], httpx.AsyncBaseTransport]


def client_factory(
    sandbox: RunningSandbox, time: FakeTime, *, timeout: float, transport: TransportFactory | None
) -> ClientFactory:
    """Clients on the fake clock, sharing one pacer as `BexioAccess` does; a fresh transport each
    (a client closes its transport when it is done)."""
    pacer = Pacer(clock=time.clock, sleep=time.sleep)

    @contextlib.asynccontextmanager
    async def clients(tenant_id: int) -> AsyncIterator[BexioClient]:
        async with BexioClient(
            sandbox.url,
            StaticTokenAuth(sandbox.token),
            timeout=timeout,
            sleep=time.sleep,
            pacer=pacer,
            transport=transport() if transport is not None else None,
        ) as client:
            yield client

    return clients


@contextlib.asynccontextmanager
async def invoicing_env(
    database_url: str,
    *,
    timeout: float = 5.0,
    transport: TransportFactory | None = None,
    reporter: Reporter | None = None,
) -> AsyncIterator[InvoicingEnv]:
    state = build_state("demo")
    clock = ManualClock(datetime.now(UTC))
    db = Database(database_url)
    try:
        tenant = await TenantRepository(db, clock.now).ensure("T0001BX", "Acme Digital")
        async with serve_sandbox(state) as sandbox:
            company = await mirror_sandbox(
                db, tenant.id, state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES, now=clock.now
            )
            time = FakeTime()
            queue = JobQueue(db, clock.now, jitter=lambda: 0.0)
            reporter = reporter or Reporter()
            settings = SettingsService(db, clock.now)
            service = InvoicingService(
                db,
                queue,
                settings,
                PeopleService(db, frozenset({ANDREA})),
                client_factory(sandbox, time, timeout=timeout, transport=transport),
                reporter,
                clock.now,
                "Europe/Zurich",
            )
            worker = Worker(queue, {INVOICE_PUSH: service.run_push_job}, lease_seconds=60)
            yield InvoicingEnv(
                db,
                tenant.id,
                sandbox,
                company,
                WorkLog(db, tenant.id, clock.now),
                service,
                queue,
                clock,
                time,
                reporter,
                worker,
            )
    finally:
        await db.dispose()


@pytest.fixture
async def invoicing(database_url: str) -> AsyncIterator[InvoicingEnv]:
    async with invoicing_env(database_url) as env:
        yield env
