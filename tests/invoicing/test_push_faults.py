"""Exactly once under fire (issue 6 §15): 200 randomized trials against the sandbox with faults
injected — timeouts after a successful POST, 5xx, partial creates, 429 storms, slow searches, and
the worker killed between bexio's answer and our commit (or right after the commit). Whatever
happens, every invoice becomes exactly one draft in bexio, every entry is billed once, a new
customer becomes exactly one contact, and own numbers are consecutive without a gap.

Trials run in-process: the bexio client sleeps on a fake clock, the job queue runs on a manual
clock (a retry "hours later" is one clock move), and only the injected timeouts take real time.
"""

from __future__ import annotations

import contextlib
import os
import random
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update

from services.invoicing import DraftOutcome, InvoiceRequest, Selection
from services.invoicing.customers import NewCustomer
from storage.models import DocumentSetting, Expense, Invoice, TimeEntry
from tests.invoicing_fixtures import ANDREA, MIA, InvoicingEnv, Reporter, invoicing_env

TRIALS = int(os.environ.get("BXHOURS_FAULT_TRIALS", "200"))
CLIENT_TIMEOUT = 0.1
"""Seconds before the client gives up on an answer; the sandbox hangs longer on a "timeout"."""
INVOICE = "POST /2.0/kb_invoice"
INVOICE_SEARCH = "POST /2.0/kb_invoice/search"
CONTACT = "POST /2.0/contact"
CONTACT_SEARCH = "POST /2.0/contact/search"


class SimulatedCrash(BaseException):
    """The worker process dies: nothing after this point runs, nothing is cleaned up."""


@dataclass
class CrashPlan:
    """Where the next crashes happen: after bexio answered a write with success, or after our commit."""

    after_success: dict[str, int] = field(default_factory=dict)
    after_commit: int = 0


_TLS = ssl.create_default_context()
"""One TLS context for every client of the trials (loading the CA bundle takes ~40 ms each time)."""


class CrashingTransport(httpx.AsyncBaseTransport):
    def __init__(self, plan: CrashPlan) -> None:
        self.plan = plan
        self.inner = httpx.AsyncHTTPTransport(verify=_TLS)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        key = f"{request.method} {request.url.path}"
        if response.status_code < 300 and self.plan.after_success.get(key):
            self.plan.after_success[key] -= 1
            await response.aread()
            await response.aclose()
            raise SimulatedCrash(f"killed after {key} answered {response.status_code}")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class CrashingReporter(Reporter):
    def __init__(self, plan: CrashPlan) -> None:
        super().__init__()
        self.plan = plan

    async def finished(
        self, tenant_id: int, outcome: DraftOutcome, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        if self.plan.after_commit:
            self.plan.after_commit -= 1
            raise SimulatedCrash("killed after the commit, before the job was marked done")
        await super().finished(tenant_id, outcome, slack_user_id=slack_user_id, view_id=view_id)


@pytest.fixture
async def trial_env(database_url: str) -> AsyncIterator[tuple[InvoicingEnv, CrashPlan]]:
    plan = CrashPlan()
    async with invoicing_env(
        database_url,
        timeout=CLIENT_TIMEOUT,
        transport=lambda: CrashingTransport(plan),
        reporter=CrashingReporter(plan),
    ) as env:
        env.sandbox.state.faults.hang_seconds = 1.0
        yield env, plan


def _faults(rng: random.Random, new_customer: bool, plan: CrashPlan) -> dict[str, list[object]]:
    """A random mix of what goes wrong in one trial (each fault is used once, in order)."""
    scripts: dict[str, list[object]] = {}
    kinds = rng.sample(
        ["after_write", "timeout", "5xx", "partial", "storm", "search", "crash", "crash_after_commit"],
        k=rng.randint(1, 3),
    )
    for kind in kinds:
        if kind == "after_write":
            scripts.setdefault(INVOICE, []).append("timeout_after_write")
        elif kind == "timeout":
            scripts.setdefault(INVOICE, []).append("timeout")
        elif kind == "5xx":
            scripts.setdefault(INVOICE, []).append(rng.choice([500, 502, 503, 504]))
        elif kind == "partial":
            scripts.setdefault(INVOICE, []).append("partial")
        elif kind == "storm":
            # More 429s in a row than the client waits through: the job itself must retry.
            route = rng.choice([INVOICE, INVOICE_SEARCH])
            scripts.setdefault(route, []).extend([429] * rng.randint(3, 25))
        elif kind == "search":
            scripts.setdefault(INVOICE_SEARCH, []).extend(rng.sample(["timeout", 500, 503, 429], k=2))
        elif kind == "crash":
            plan.after_success[INVOICE] = 1
        else:
            plan.after_commit = 1
    if new_customer:
        contact_fault = rng.choice(["timeout_after_write", "partial", 500, "crash", None])
        if contact_fault == "crash":
            plan.after_success[CONTACT] = 1
        elif contact_fault is not None:
            scripts.setdefault(CONTACT, []).append(contact_fault)
        if rng.random() < 0.3:
            scripts.setdefault(CONTACT_SEARCH, []).append(rng.choice([500, "timeout", 429]))
    return scripts


async def _settle(env: InvoicingEnv, invoice_id: int) -> None:
    """Run the push like workers would, surviving crashes: a killed job is claimed again once its
    lease has run out."""
    for _ in range(40):
        with contextlib.suppress(SimulatedCrash):
            await env.worker.run_until_idle()
        if await env.service.status(env.tenant_id, invoice_id) == "created":
            return
        env.clock.advance(3600)  # past any backoff and any lease
    raise AssertionError(f"invoice {invoice_id} never settled")


async def _use_own_numbers(env: InvoicingEnv, own: bool) -> None:
    env.sandbox.state.invoice_setting()["use_automatic_enumeration"] = not own
    async with env.db.session(env.tenant_id) as session:
        await session.execute(
            update(DocumentSetting)
            .where(DocumentSetting.kb_item_class == "KbInvoice")
            .values(use_automatic_enumeration=not own)
        )


@pytest.mark.slow  # about a minute on SQLite: 200 trials of real HTTP and real transactions
async def test_two_hundred_faulty_pushes_make_exactly_one_draft_each(
    trial_env: tuple[InvoicingEnv, CrashPlan],
) -> None:
    env, plan = trial_env
    state = env.sandbox.state
    rng = random.Random(20261124)
    first, last = env.last_month
    projects = [1, 2, 3, 5, 6, 7, 9, 10]
    own_numbers: list[str] = []
    new_customers: list[str] = []
    for trial in range(TRIALS):
        state.rate_limiter.counts.clear()  # a minute passes between trials
        new_customer = rng.random() < 0.25
        if new_customer:
            name = f"Trial {trial} Neukunde GmbH"
            created = await env.service.create_customer(
                env.tenant_id, NewCustomer(name=name, project_name=f"Projekt {trial}"), actor=ANDREA
            )
            customer_id, project_id = created.customer_id, created.project_id
            assert project_id is not None
            new_customers.append(name)
        else:
            project = rng.choice(projects)
            customer_id, project_id = env.customer_of(project), env.project(project)
        entry_ids = [
            await env.work.entry(
                user_id=env.user(rng.choice([1, 2, 3])),
                project_id=project_id,
                activity_id=env.activity(rng.randint(1, 5)),
                day=first.replace(day=rng.randint(1, last.day)),
                minutes=rng.randint(1, 480),
            )
            for _ in range(rng.randint(1, 4))
        ]
        expense_ids = []
        if rng.random() < 0.3:
            expense_ids.append(
                await env.work.expense(
                    user_id=env.user(1),
                    project_id=project_id,
                    category_id=env.company.categories["Reisekosten"],
                    day=last,
                    amount=Decimal(rng.choice(("12.40", "84.50", "199.95"))),
                )
            )
        own = rng.random() < 0.3
        await _use_own_numbers(env, own)
        submitted = await env.service.submit(
            env.tenant_id,
            InvoiceRequest(
                Selection(customer_id, project_id=project_id, period_to=last),
                actor=rng.choice([ANDREA, MIA]),
                use_bexio_numbering=not own,
            ),
        )
        for route, outcomes in _faults(rng, new_customer, plan).items():
            state.faults.script(route, outcomes)

        await _settle(env, submitted.invoice_id)

        state.faults.clear()
        plan.after_success.clear()
        plan.after_commit = 0
        drafts = env.drafts_for(submitted.uuid)
        assert len(drafts) == 1, f"trial {trial}: {len(drafts)} drafts for one invoice"
        invoice = await env.invoice(submitted.invoice_id)
        assert invoice.bexio_id == drafts[0]["id"] and invoice.bexio_total == invoice.total, f"trial {trial}"
        async with env.db.session(env.tenant_id) as session:
            entries = (
                await session.execute(
                    select(TimeEntry.status, TimeEntry.invoice_id).where(TimeEntry.id.in_(entry_ids))
                )
            ).all()
            expenses = (
                await session.execute(
                    select(Expense.status, Expense.invoice_id).where(Expense.id.in_(expense_ids))
                )
            ).all()
        assert {tuple(row) for row in [*entries, *expenses]} == {("billed", invoice.id)}, f"trial {trial}"
        if own:
            own_numbers.append(drafts[0]["document_nr"])

    # Across all trials: one draft per invoice, nothing left pending, every entry billed once.
    async with env.db.session(env.tenant_id) as session:
        invoices = list(await session.scalars(select(Invoice)))
        open_or_reserved = await session.scalar(
            select(TimeEntry.id).where(TimeEntry.status != "billed").limit(1)
        )
    assert len(invoices) == TRIALS and {i.status for i in invoices} == {"created"}
    references = [d["api_reference"] for d in state.tables["kb_invoice"].values() if d.get("api_reference")]
    assert sorted(references) == sorted(i.uuid for i in invoices)
    assert open_or_reserved is None
    for name in new_customers:
        assert sum(c["name_1"] == name for c in state.tables["contact"].values()) == 1, name
    year = env.today.year
    assert own_numbers == [f"RE-{year}-{seq:04}" for seq in range(1, len(own_numbers) + 1)]
