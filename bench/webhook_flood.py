"""Benchmark: a flood of signed change notifications against `bxhours serve` (issue 7 §12).

For each database (SQLite, and PostgreSQL in a fresh database it creates and drops) it starts, on
loopback and each in its own process: the bexio sandbox (demo company), a fake Slack Web API and a
real `bxhours serve` (after a `bxhours sync` so its database mirrors the sandbox; with
``--worker builtin`` its own worker runs during the flood once the start-up polls are done, with
``--worker after`` it runs ``--no-worker`` and one `bxhours worker` drains the queue afterwards). Then ``--senders`` concurrent httpx clients post ``--notifications`` signed notifications
in total, one per request, about 50 distinct contacts and some projects, activities, users,
timesheets, invoices and whole resources. It prints:

* the answers by HTTP status (all must be 202);
* throughput (notifications/s over the whole flood) and p50/p99/max latency per request,
  beside the targets (≥ 500 notifications/s, p99 ≤ 100 ms on the 2-core machine);
* the ``change.process`` jobs the flood created against the distinct entities it named
  (coalescing: a notification merges into its entity's queued job);
* once the queue is drained (the jobs table has nothing queued or running), the bexio calls the
  sandbox saw since the flood began (its call log is reset just before) against the distinct
  entities, by route;
* lost: distinct entities whose newest job did not end ``done`` — that job was queued or merged
  into after the entity's last notification, so ``done`` means the last change was re-read.

If this build has no handler for ``change.process`` the worker parks those jobs at once; the bench
says so and counts jobs (an entity is then lost only if it has no job at all), not bexio reads.

    .venv/bin/python bench/webhook_flood.py [--database sqlite|postgres|both] [--notifications 10000]
        [--senders 20] [--worker builtin|after] [--profile DIR]   # --profile: py-spy on PATH

Sender and server share the machine's cores, so the figures include the senders' own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._children import child as _child  # noqa: E402
from bench._sandbox_process import SandboxProcess, sandbox_process  # noqa: E402

BOT_TOKEN = "xoxb-fake-bot-token"
TEAM_ID = "T0001BX"
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789abcdef"
PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
CHANGE_JOB = "change.process"
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0
DRAIN_TIMEOUT = 600.0

#: What the flood talks about: the demo company's ids (contacts 1–50 of its 60, and so on).
CONTACTS = range(1, 51)
OTHERS: tuple[tuple[str, range], ...] = (
    ("project", range(1, 13)),
    ("business_activity", range(1, 6)),
    ("user", range(1, 16)),
    ("timesheet", range(1, 11)),
    ("invoice", range(1, 3)),
)
WHOLE_RESOURCES = ("account", "tax")
ACTIONS = ("updated",) * 8 + ("created", "deleted")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the notifications ---------------------------------------------------------------------------


def notifications(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Mostly contacts (85 %), the rest spread over other resources; 1 % name a whole resource."""
    rng = random.Random(seed)
    notes: list[dict[str, Any]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.85:
            note: dict[str, Any] = {"resource": "contact", "id": rng.choice(CONTACTS)}
        elif roll < 0.99:
            resource, ids = rng.choice(OTHERS)
            note = {"resource": resource, "id": rng.choice(ids)}
        else:
            note = {"resource": rng.choice(WHOLE_RESOURCES)}
        note["action"] = rng.choice(ACTIONS) if "id" in note else "updated"
        notes.append(note)
    return notes


def dedup_key(note: dict[str, Any]) -> str:
    """The queue's key for a notification: one per entity, or one per resource that bxhours always
    re-reads whole (activities, users, …) — bxhours' own rule, so both count the same things."""
    from core.changes import change_dedup_key

    return change_dedup_key(note["resource"], note.get("id"))


def signed_headers(body: bytes) -> dict[str, str]:
    """What a sender does: HMAC-SHA256 of ``<timestamp>.<raw body>`` with the shared secret."""
    timestamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {
        "content-type": "application/json",
        "x-bxhours-timestamp": timestamp,
        "x-bxhours-signature": f"sha256={digest.hexdigest()}",
    }


# -- the processes ---------------------------------------------------------------------------------


def serve_fake_slack(port: int) -> None:
    """Child process: the fake Slack Web API (`auth.test` names the tenant)."""
    from bxhours.fakes.slack_api import serve_standalone

    serve_standalone(port, bot_token=BOT_TOKEN, team_id=TEAM_ID)


def child(
    args: list[str], env: dict[str, str], log: Path
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """This bench's children run from the repository root (the server finds its package there)."""
    return _child(args, env, log, cwd=ROOT)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited early:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up; see {log}")


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database: an SQLite file in ``folder``, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'flood.db'}"
        return
    name = f"bxhours_flood_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _pg_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_SERVER.replace("+asyncpg", "") + "/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# -- the flood ---------------------------------------------------------------------------------------


@dataclass
class Flood:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    sender_cpu: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)


async def flood(url: str, notes: list[dict[str, Any]], senders: int) -> Flood:
    """``senders`` clients, each with one keep-alive connection, share the list until it is empty."""
    result = Flood()
    bodies = iter([json.dumps(note).encode() for note in notes])

    async def sender() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            for body in bodies:
                headers = signed_headers(body)
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    result.errors[type(exc).__name__] += 1
                    continue
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status_code] += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(senders)))
    result.seconds = time.perf_counter() - started
    result.sender_cpu = time.process_time() - cpu
    return result


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_profiler(folder: Path | None, pid: int, kind: str) -> subprocess.Popen[bytes] | None:
    """``--profile DIR``: py-spy samples the server during the flood (a speedscope file per database)."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    command = ["py-spy", "record", "--pid", str(pid), "--format", "speedscope", "--rate", "250"]
    out = folder / f"serve-{kind}.speedscope.json"
    return subprocess.Popen([*command, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- the queue and bexio afterwards -----------------------------------------------------------------


@dataclass
class JobRow:
    id: int
    kind: str
    dedup_key: str | None
    status: str
    last_error: str | None
    result: dict[str, Any] | None


async def jobs_after(database_url: str, after_id: int) -> list[JobRow]:
    """Every job with an id above ``after_id`` (the jobs table is read directly, as an operator would)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT id, kind, dedup_key, status, last_error, result FROM jobs"
                    " WHERE id > :after ORDER BY id"
                ),
                {"after": after_id},
            )
            return [
                JobRow(*row[:5], json.loads(row[5]) if isinstance(row[5], str) else row[5])
                for row in rows.all()
            ]
    finally:
        await engine.dispose()


def change_jobs(database_url: str, after_id: int) -> list[JobRow]:
    return [job for job in asyncio.run(jobs_after(database_url, after_id)) if job.kind == CHANGE_JOB]


def wait_settled(database_url: str) -> int:
    """Let the start-up polls finish first (their bexio reads are not the flood's); the newest job id."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        jobs = asyncio.run(jobs_after(database_url, 0))
        polls_done = {job.kind for job in jobs if job.kind.startswith("poll.") and job.status == "done"}
        busy = any(
            job.status == "running" or (job.kind == CHANGE_JOB and job.status == "queued") for job in jobs
        )
        if len(polls_done) >= 2 and not busy:
            return max((job.id for job in jobs), default=0)
        time.sleep(0.25)
    raise SystemExit("the start-up polls did not finish within 180 s")


def newest_job_id(database_url: str) -> int:
    return max((job.id for job in asyncio.run(jobs_after(database_url, 0))), default=0)


def wait_drained(database_url: str, after_id: int) -> tuple[list[JobRow], float]:
    started = time.perf_counter()
    while True:
        jobs = change_jobs(database_url, after_id)
        if not any(job.status in ("queued", "running") for job in jobs):
            return jobs, time.perf_counter() - started
        if time.perf_counter() - started > DRAIN_TIMEOUT:
            raise SystemExit(f"the queue was not drained within {DRAIN_TIMEOUT:.0f} s")
        time.sleep(0.25)


def handler_missing(jobs: list[JobRow]) -> bool:
    return any(job.status == "failed" and "no handler" in (job.last_error or "") for job in jobs)


def lost_entities(keys: set[str], jobs: list[JobRow], *, count_jobs_only: bool) -> list[str]:
    newest: dict[str, JobRow] = {}
    for job in jobs:  # ordered by id
        if job.dedup_key is not None:
            newest[job.dedup_key] = job
    if count_jobs_only:
        return sorted(key for key in keys if key not in newest)
    return sorted(key for key in keys if key not in newest or newest[key].status != "done")


def bexio_calls(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = httpx.get(f"{sandbox.url}/_sandbox/calls", timeout=30).json()
    return calls


# -- one run -----------------------------------------------------------------------------------------


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] * 1000


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗ MISSED"


def run_one(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    notes = notifications(args.notifications)
    keys = {dedup_key(note) for note in notes}
    contacts = {key for key in keys if key.startswith("contact:")}
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    slack_port, port = free_port(), free_port()
    from storage.crypto import generate_key

    with (
        sandbox_process("demo") as sandbox,
        fresh_database(kind, work) as database_url,
        child(
            [sys.executable, __file__, "--fake-slack", str(slack_port)], env, work / f"slack-{kind}.log"
        ) as slack,
    ):
        wait_until_up(f"http://127.0.0.1:{slack_port}/api/api.test", slack, work / f"slack-{kind}.log")
        bx_env = {
            **env,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
            "BEXIO_API_URL": sandbox.url,
            "BEXIO_ACCESS_TOKEN": sandbox.token,
            "BEXIO_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "BXHOURS_ENCRYPTION_KEY": generate_key(),
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        sync = subprocess.run(
            [sys.executable, "-m", "bxhours.cli", "sync"],
            env=bx_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if sync.returncode != 0:
            raise SystemExit(f"bxhours sync failed:\n{sync.stderr[-3000:]}")
        log = work / f"serve-{kind}.log"
        serve = [sys.executable, "-m", "bxhours.cli", "serve", "--concurrency", str(args.concurrency)]
        if args.worker == "after":
            serve.append("--no-worker")
        with child(serve, bx_env, log) as server:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", server, log)
            before = wait_settled(database_url) if args.worker == "builtin" else newest_job_id(database_url)
            sandbox.reset_calls()
            profiler = start_profiler(args.profile, server.pid, kind)
            server_cpu = process_cpu(server.pid)
            result = asyncio.run(flood(f"http://127.0.0.1:{port}/bexio/webhook", notes, args.senders))
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            server_cpu = process_cpu(server.pid) - server_cpu
            queued = change_jobs(database_url, before)
            if args.worker == "after":
                worker = [
                    sys.executable,
                    "-m",
                    "bxhours.cli",
                    "worker",
                    "--concurrency",
                    str(args.concurrency),
                ]
                with child(worker, bx_env, work / f"worker-{kind}.log"):
                    jobs, drain_seconds = wait_drained(database_url, before)
            else:
                jobs, drain_seconds = wait_drained(database_url, before)
            calls = bexio_calls(sandbox)
            if server.poll() is not None:
                raise SystemExit(f"bxhours serve died:\n{log.read_text(errors='replace')[-3000:]}")

    missing_handler = handler_missing(jobs)
    lost = lost_entities(keys, jobs, count_jobs_only=missing_handler)
    rate = args.notifications / result.seconds
    p50, p99 = percentile(result.latencies, 50), percentile(result.latencies, 99)
    routes = Counter(f"{call['method']} {call['route'] or call['path']}" for call in calls)

    print(f"\n{kind}: {args.notifications} notifications, {args.senders} senders, one per request")
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
    errors = ", ".join(f"{name}: {n}" for name, n in result.errors.items()) or "none"
    all_202 = result.statuses.get(202, 0) == args.notifications
    print(f"  answers            {answers}   (connection errors: {errors})   {verdict(all_202)}")
    print(
        f"  throughput         {rate:8.0f} notifications/s over {result.seconds:.1f} s   ≥ {TARGET_RATE:.0f} {verdict(rate >= TARGET_RATE)}"
    )
    print(
        f"  CPU                server {server_cpu:.1f} s ({server_cpu / args.notifications * 1e6:.0f} µs per"
        f" notification), senders {result.sender_cpu:.1f} s, in {result.seconds:.1f} s on {os.cpu_count()} cores"
    )
    print(
        f"  latency            p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {max(result.latencies) * 1000:6.1f} ms"
        f"   p99 ≤ {TARGET_P99_MS:.0f} ms {verdict(p99 <= TARGET_P99_MS)}"
    )
    print(
        f"  entities           {len(keys)} distinct queue keys ({len(contacts)} contacts,"
        f" {len(keys) - len(contacts)} other; activities, users, accounts, taxes are re-read whole: one key each)"
    )
    print(
        f"  jobs               {len(queued)} change.process jobs at the end of the flood"
        f" ({len(jobs)} after draining, in {drain_seconds:.1f} s): {len(jobs) / len(keys):.1f} per entity"
    )
    statuses = Counter(job.status for job in jobs)
    print(f"  job outcomes       {dict(sorted(statuses.items()))}")
    if missing_handler:
        print(
            "  bexio calls        NOT MEASURED: this build has no handler for change.process, the worker"
            f" parked the jobs ({len(calls)} calls seen); lost counts entities without any job"
        )
    else:
        job_calls = sum(int((job.result or {}).get("bexio_calls", 0)) for job in jobs)
        print(
            f"  change-job calls   {job_calls} bexio calls by the {len(jobs)} change.process jobs"
            f" (their own count) for {len(keys)} distinct entities"
        )
        print(
            f"  bexio calls        {len(calls)} seen by the sandbox since the flood began (polls included)"
            f" for {len(keys)} distinct entities"
            f" ({len(calls) / len(keys):.2f} per entity), by route:"
        )
        for route, n in routes.most_common(10):
            print(f"      {n:6d}  {route}")
    print(f"  lost               {len(lost)} {verdict(not lost)}" + (f"  {lost[:10]}" if lost else ""))
    return {
        "database": kind,
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "all_202": all_202,
        "jobs": len(jobs),
        "entities": len(keys),
        "calls": None if missing_handler else len(calls),
        "server_cpu_us": server_cpu / args.notifications * 1e6,
        "lost": len(lost),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="jobs the server's built-in worker runs at once"
    )
    parser.add_argument(
        "--worker",
        choices=("builtin", "after"),
        default="builtin",
        help="builtin: serve's own worker runs during the flood; after: `serve --no-worker` takes the"
        " flood, then one `bxhours worker` drains the queue (the burst of issue 7 §4)",
    )
    parser.add_argument("--profile", type=Path, help="write py-spy profiles of the server to this folder")
    parser.add_argument("--fake-slack", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_slack:
        serve_fake_slack(args.fake_slack)
        return

    how = "with its built-in worker" if args.worker == "builtin" else "--no-worker, then `bxhours worker`"
    print(f"Webhook flood · loopback · `bxhours serve` {how} · bexio = sandbox (demo)")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"  {os.cpu_count()} CPUs (load average {load}) · Python {sys.version.split()[0]} · httpx {httpx.__version__}"
    )
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    with tempfile.TemporaryDirectory(prefix="bxhours-flood-") as folder:
        results = [run_one(kind, args, Path(folder)) for kind in kinds]
    print("\nsummary")
    for r in results:
        calls = "n/a" if r["calls"] is None else str(r["calls"])
        print(
            f"  {r['database']:<9} {r['rate']:6.0f}/s  p50 {r['p50']:5.1f} ms  p99 {r['p99']:5.1f} ms"
            f"  all 202: {'yes' if r['all_202'] else 'NO'}  jobs {r['jobs']}  bexio calls {calls}"
            f"  entities {r['entities']}  lost {r['lost']}  server CPU {r['server_cpu_us']:.0f} µs/notification"
        )


if __name__ == "__main__":
    main()
