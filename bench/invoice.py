"""Benchmark: invoicing (issue 6 §16).

Prints the time of a preview over 10 000 unbilled entries of one customer on SQLite (target
≤ 200 ms), the time of the customer list with unbilled amounts over the same entries, and the bexio
calls one draft costs (target: 1 POST + 1 search) — for a customer bexio knows and for one created
in bxhours (which adds the contact's searches and create, once).

    .venv/bin/python bench/invoice.py [--entries 10000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bxhours.fakes.invoicing_seed import SeededCompany, WorkLog, mirror_sandbox
from bxhours.server import freeze_startup_objects
from core.invoice_lines import Grouping
from services.invoicing import InvoiceRequest, InvoicingService, NullReporter, Selection
from services.people import PeopleService
from services.settings import SettingsService
from storage.db import Database
from storage.jobs import JobQueue
from storage.migrate import upgrade_blocking
from storage.tenants import TenantRepository

ANDREA = "U01ANDREA"


def _clients(sandbox: RunningSandbox):  # type: ignore[no-untyped-def]
    @contextlib.asynccontextmanager
    async def clients(tenant_id: int) -> AsyncIterator[BexioClient]:
        async with BexioClient(sandbox.url, StaticTokenAuth(sandbox.token)) as client:
            yield client

    return clients


async def _seed_entries(work: WorkLog, company: SeededCompany, sandbox: RunningSandbox, count: int) -> int:
    """`count` entries on the projects of the customer with the most projects; returns its id."""
    projects = sandbox.state.tables["pr_project"]
    by_contact = Counter(p["contact_id"] for p in projects.values() if p["pr_invoice_type_id"] != 4)
    contact = by_contact.most_common(1)[0][0]
    mine = [
        company.projects[p["id"]]
        for p in projects.values()
        if p["contact_id"] == contact and p["pr_invoice_type_id"] != 4
    ]
    rng = random.Random(16)
    today = datetime.now(UTC).date()
    rows = [
        {
            "user_id": company.users[rng.randint(1, 3)],
            "project_id": rng.choice(mine),
            "activity_id": company.activities[rng.randint(1, 5)],
            "day": today.replace(day=1) - timedelta(days=rng.randint(1, 365)),
            "minutes": rng.choice((15, 30, 45, 60, 90, 120, 240)),
            "rate": Decimal(rng.choice(("120.00", "140.00", "150.00", "165.00"))),
        }
        for _ in range(count)
    ]
    for start in range(0, len(rows), 2000):
        await work.bulk_entries(rows[start : start + 2000])
    return company.customers[contact]


async def _time(runs: int, action) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Wall and CPU milliseconds per run (CPU = this process, the SQLite thread included: the cost
    of the work itself, whatever else the machine is doing)."""
    await action()  # warm-up: statement caches, imports
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        await action()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def _report(name: str, timings: tuple[list[float], list[float]], target: str = "") -> None:
    walls, cpus = timings
    p90 = sorted(walls)[min(len(walls) - 1, int(len(walls) * 0.9))]
    print(
        f"{name:<40} wall median {statistics.median(walls):6.1f} ms  p90 {p90:6.1f} ms  "
        f"cpu median {statistics.median(cpus):6.1f} ms  {target}"
    )


async def _draft_calls(
    service: InvoicingService, queue: JobQueue, tenant_id: int, sandbox: RunningSandbox, selection: Selection
) -> Counter[str]:
    from services.invoicing import INVOICE_PUSH
    from webhooks.worker import Worker

    sandbox.state.reset_calls()
    await service.submit(tenant_id, InvoiceRequest(selection, actor=ANDREA))
    await Worker(queue, {INVOICE_PUSH: service.run_push_job}).run_until_idle()
    return Counter(f"{call.method} {call.route or call.path}" for call in sandbox.state.calls)


async def main(entries: int, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bxhours-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade_blocking, url)
        db = Database(url)
        try:
            async with serve_sandbox(build_state("demo")) as sandbox:
                now = lambda: datetime.now(UTC)  # noqa: E731
                tenant = await TenantRepository(db, now).ensure("T0001BX", "Bench")
                company = await mirror_sandbox(db, tenant.id, sandbox.state, slack_ids={1: ANDREA})
                work = WorkLog(db, tenant.id)
                customer = await _seed_entries(work, company, sandbox, entries)
                queue = JobQueue(db)
                settings = SettingsService(db, now)
                service = InvoicingService(
                    db,
                    queue,
                    settings,
                    PeopleService(db, frozenset({ANDREA})),
                    _clients(sandbox),
                    NullReporter(),
                    now,
                    "Europe/Zurich",
                )
                # As `bxhours serve` does once started: what exists now (start-up objects, and here
                # also the in-process sandbox's company, which a server does not hold) is set aside
                # from the garbage collector's full passes, so previews are timed as a server runs them.
                freeze_startup_objects()
                load = os.getloadavg()[0]
                print(
                    f"invoicing benchmark · {entries} unbilled entries of one customer · SQLite · "
                    f"{os.cpu_count()} CPUs, load {load:.1f}"
                )
                for grouping in (Grouping.BY_ACTIVITY, Grouping.BY_DAY):
                    selection = Selection(customer, grouping=grouping)
                    preview = await service.preview(tenant.id, selection)
                    assert preview is not None
                    timings = await _time(runs, lambda s=selection: service.preview(tenant.id, s))
                    _report(
                        f"preview by {grouping.value} ({len(preview.lines)} lines)",
                        timings,
                        "target ≤ 200 ms",
                    )
                timings = await _time(
                    runs, lambda: service.unbilled(tenant.id, period_from=None, period_to=None)
                )
                _report("customer list with unbilled amounts", timings)

                print("\nbexio calls per draft (target: 1 POST + 1 search)")
                known = await _draft_calls(service, queue, tenant.id, sandbox, Selection(customer))
                for route, count in sorted(known.items()):
                    print(f"  known customer      {route:<34} {count}")
                await work.entry(
                    user_id=company.users[1],
                    project_id=company.new_project_id,
                    activity_id=company.activities[4],
                    day=datetime.now(UTC).date().replace(day=1) - timedelta(days=3),
                    minutes=90,
                )
                new = await _draft_calls(
                    service, queue, tenant.id, sandbox, Selection(company.new_customer_id)
                )
                for route, count in sorted(new.items()):
                    print(f"  customer new to bexio {route:<32} {count}")
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.entries, args.runs))
