"""Benchmark: how fast Slack gets its acknowledgement for `/log-hours` (issue 5 §13).

Runs, on loopback and in separate processes: a fake Slack Web API, a real `bxhours serve` (SQLite,
the demo company's master data, its job worker on), and a bare Bolt AsyncApp whose `/log-hours`
handler only acks — the framework's floor on this machine. The same signed one-line commands go
to both, one at a time and then in concurrent bursts (rounds alternate between the two servers),
and it prints p50/p99 of the time to the HTTP answer and the ratio bxhours / bare.
Targets: ratio ≤ 1.3 at p50 and p99 for 50 concurrent; p99 under Slack's 3 s at 200 concurrent.

Every command is written to the inbox (a committed row) before it is acknowledged (issue 12 §9), so
the figures include that commit. A last run measures the same bursts while `bxhours sync` imports a
large company from the bexio sandbox in another process — the import holds SQLite's only writer
while it applies each resource — and counts the commands answered "busy, try again" because their
row could not be written within 2 s.

    .venv/bin/python bench/ack_latency.py [--rounds 20] [--concurrency 50] [--burst 200] [--burst-rounds 8]
                                          [--import-timesheets 50000] [--import-rounds 200] [--no-import]

On a shared machine a single slow round (another process taking the CPU) moves p99; the load
average printed first says how quiet the machine was.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from _children import child
from _sandbox_process import sandbox_process

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-fake-bot-token"
TEAM_ID = "T0001BX"
USER_ID = "U01ANDREA"
LINE = "1h {day} Website Relaunch / Umsetzung: bench {n}"
PER_DAY = 20
"""Commands per logged day: a person may log at most 24 h a day, so the bench spreads its hours."""


def line(n: int) -> str:
    day = datetime.date.today() - datetime.timedelta(days=1 + n // PER_DAY)
    return LINE.format(day=day.isoformat(), n=n)


SLACK_ACK_LIMIT = 3.0
BACKLOG = 1024
"""As `bxhours serve`: with aiohttp's default of 128, a burst of 200 new connections overflows the
listen queue and the kernel retries the dropped ones after 1 s — a figure about TCP, not the app."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the processes ----------------------------------------------------------------------------


def serve_fake_slack(port: int) -> None:
    """Child process: the fake Slack Web API and response_url endpoint."""
    from bxhours.fakes.slack_api import serve_standalone

    serve_standalone(port, bot_token=BOT_TOKEN, team_id=TEAM_ID)


def serve_bare_bolt(port: int, slack_api_url: str) -> None:
    """Child process: Bolt alone, served by its own aiohttp adapter, acking `/log-hours`."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url), signing_secret=SIGNING_SECRET
    )

    @app.command("/log-hours")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    web.run_app(
        app.web_app(path="/slack/events"),
        host="127.0.0.1",
        port=port,
        backlog=BACKLOG,
        print=None,
        access_log=None,
    )


def prepare_database(url: str) -> None:
    """Migrate, create the tenant the fake Slack's token belongs to, insert the demo company."""
    from bxhours.fakes.master_data import seed_master_data
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.tenants import TenantRepository

    async def run() -> None:
        db = Database(url)
        try:
            await upgrade(db.engine)
            tenant = await TenantRepository(db).ensure(TEAM_ID, "Acme Digital")
            await seed_master_data(db, tenant.id)
        finally:
            await db.dispose()

    asyncio.run(run())


async def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{url} exited early:\n{log.read_text(errors='replace')[-2000:]}")
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up; see {log}")


# -- the load ---------------------------------------------------------------------------------


def signed_command(n: int, response_url: str) -> tuple[bytes, dict[str, str]]:
    import hashlib
    import hmac

    body = urlencode(
        {
            "token": "deprecated",
            "team_id": TEAM_ID,
            "team_domain": "acme-digital",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": USER_ID,
            "user_name": "andrea",
            "command": "/log-hours",
            "text": line(n),
            "api_app_id": "A0BXHOURS",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{n}.{int(time.time())}.bench",
        }
    )
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }
    return body.encode(), headers


@dataclass
class Target:
    name: str
    url: str
    sent: int = 0
    failures: int = 0
    busy: int = 0

    @property
    def stored_expected(self) -> int:
        """Commands acknowledged as taken: a "busy" answer or a failure stores nothing."""
        return self.sent - self.busy - self.failures


BUSY = "bxhours is busy right now"


async def burst(target: Target, size: int, response_url: str) -> list[float]:
    """``size`` commands started at the same moment, each on its own connection, as Slack sends them."""
    requests = [signed_command(target.sent + i, response_url) for i in range(size)]
    target.sent += size
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(body: bytes, headers: dict[str, str]) -> float:
            started = time.perf_counter()
            async with session.post(target.url, data=body, headers=headers) as response:
                answer = await response.read()
                if response.status != 200:
                    target.failures += 1
                elif BUSY.encode() in answer:
                    target.busy += 1
            return time.perf_counter() - started

        return list(await asyncio.gather(*(one(body, headers) for body, headers in requests)))


async def sequential(target: Target, count: int, response_url: str) -> list[float]:
    samples: list[float] = []
    for _ in range(count):
        samples += await burst(target, 1, response_url)
    return samples


def stored_entries(db_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        return int(conn.execute("SELECT count(*) FROM time_entries").fetchone()[0])


async def settle(db_path: Path, expected: int) -> None:
    """Wait until bxhours has stored every entry it acknowledged, so rounds do not overlap."""
    deadline = time.monotonic() + 60
    while stored_entries(db_path) < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"bxhours stored {stored_entries(db_path)} of {expected} entries")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] * 1000


def row(label: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    print(
        f"  {label:<28} n={len(samples):<5} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   max {max(samples) * 1000:8.1f} ms"
    )
    return p50, p99


async def measure(
    args: argparse.Namespace, bxhours: Target, bare: Target, db_path: Path, hook_url: str
) -> None:
    # Warm-up: first requests pay for auth.test, imports and connection pools.
    for target in (bxhours, bare):
        await sequential(target, 5, hook_url)
        await burst(target, args.concurrency, hook_url)
    await settle(db_path, bxhours.stored_expected)

    print(f"\nOne at a time ({args.sequential} requests each)")
    one_bx = await sequential(bxhours, args.sequential, hook_url)
    await settle(db_path, bxhours.stored_expected)
    one_bare = await sequential(bare, args.sequential, hook_url)
    row("bxhours serve", one_bx)
    row("bare Bolt AsyncApp (ack only)", one_bare)

    for size, rounds in ((args.concurrency, args.rounds), (args.burst, args.burst_rounds)):
        samples_bx: list[float] = []
        samples_bare: list[float] = []
        for _ in range(rounds):
            samples_bx += await burst(bxhours, size, hook_url)
            await settle(db_path, bxhours.stored_expected)
            samples_bare += await burst(bare, size, hook_url)
        print(f"\n{size} concurrent ({rounds} rounds of {size}, alternating)")
        bx50, bx99 = row("bxhours serve", samples_bx)
        bare50, bare99 = row("bare Bolt AsyncApp (ack only)", samples_bare)
        print(f"  ratio bxhours / bare          p50 {bx50 / bare50:5.2f}×        p99 {bx99 / bare99:5.2f}×")
        if size == args.burst:
            verdict = "under" if bx99 / 1000 < SLACK_ACK_LIMIT else "OVER"
            print(f"  bxhours p99 {bx99:.0f} ms is {verdict} Slack's {SLACK_ACK_LIMIT:.0f} s limit")
    print(
        f"\nbxhours stored {stored_entries(db_path)} entries for {bxhours.sent} commands; "
        f"non-200 answers: bxhours {bxhours.failures}, bare {bare.failures}; busy: {bxhours.busy}"
    )


async def during_import(
    args: argparse.Namespace, bxhours: Target, bare: Target, sync: subprocess.Popen[bytes], hook_url: str
) -> None:
    """Bursts of ``--concurrency`` for as long as the import runs (alternating servers, as above)."""
    samples_bx: list[float] = []
    samples_bare: list[float] = []
    busy_before, sent_before = bxhours.busy, bxhours.sent
    started = time.monotonic()
    rounds = 0
    while rounds < args.import_rounds and sync.poll() is None:
        samples_bx += await burst(bxhours, args.concurrency, hook_url)
        samples_bare += await burst(bare, args.concurrency, hook_url)
        rounds += 1
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    still = "still running" if sync.poll() is None else f"finished (exit {sync.returncode})"
    print(
        f"\n{args.concurrency} concurrent during an import ({rounds} rounds in {elapsed:.1f} s; "
        f"bxhours sync of {args.import_timesheets} timesheets in another process, {still})"
    )
    if not samples_bx:
        print("  the import ended before the first burst; use more --import-timesheets")
        return
    bx50, bx99 = row("bxhours serve", samples_bx)
    bare50, bare99 = row("bare Bolt AsyncApp (ack only)", samples_bare)
    print(f"  ratio bxhours / bare          p50 {bx50 / bare50:5.2f}×        p99 {bx99 / bare99:5.2f}×")
    verdict = "under" if bx99 / 1000 < SLACK_ACK_LIMIT else "OVER"
    print(
        f"  answered busy (row not written within 2 s): {bxhours.busy - busy_before} of "
        f"{bxhours.sent - sent_before}; p99 {bx99:.0f} ms is {verdict} Slack's {SLACK_ACK_LIMIT:.0f} s limit"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="rounds of --concurrency per server")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--burst-rounds", type=int, default=8, help="rounds of --burst per server")
    parser.add_argument("--sequential", type=int, default=50)
    parser.add_argument("--import-timesheets", type=int, default=50_000, help="size of the import run")
    parser.add_argument("--import-rounds", type=int, default=200, help="bursts during the import, at most")
    parser.add_argument("--no-import", action="store_true", help="skip the run during an import")
    parser.add_argument("--fake-slack", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bare-bolt", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slack-api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_slack:
        serve_fake_slack(args.fake_slack)
        return
    if args.bare_bolt:
        serve_bare_bolt(args.bare_bolt, args.slack_api_url)
        return

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bxhours-ack-") as folder:
        work = Path(folder)
        db_path = work / "bxhours.db"
        database_url = f"sqlite+aiosqlite:///{db_path}"
        prepare_database(database_url)
        slack_port, bx_port, bare_port = free_port(), free_port(), free_port()
        slack_api = f"http://127.0.0.1:{slack_port}/api/"
        hook_url = f"http://127.0.0.1:{slack_port}/hooks/commands/{TEAM_ID}/1/bench"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_"))
        }
        env["PYTHONPATH"] = str(root)
        this = [sys.executable, str(Path(__file__).resolve())]
        from storage.crypto import generate_key

        bx_env = {
            **env,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api,
            "BXHOURS_ENCRYPTION_KEY": generate_key(),
            "HOST": "127.0.0.1",
            "PORT": str(bx_port),
        }
        print("/log-hours acknowledgement latency · loopback · SQLite · one process per server")
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"  {os.cpu_count()} CPUs (load average {load}) · Python {sys.version.split()[0]}")
        print(
            f"  each command: /log-hours {LINE.format(day='DAY', n='N')} · listen backlog {BACKLOG} on both"
        )
        with (
            child([*this, "--fake-slack", str(slack_port)], env, work / "slack.log") as slack,
            child([sys.executable, "-m", "bxhours.cli", "serve"], bx_env, work / "bxhours.log") as bx,
            child(
                [*this, "--bare-bolt", str(bare_port), "--slack-api-url", slack_api], env, work / "bare.log"
            ) as bare,
        ):

            async def run() -> None:
                await wait_until_up(f"http://127.0.0.1:{slack_port}/api/api.test", slack, work / "slack.log")
                await wait_until_up(f"http://127.0.0.1:{bx_port}/healthz", bx, work / "bxhours.log")
                await wait_until_up(f"http://127.0.0.1:{bare_port}/slack/events", bare, work / "bare.log")
                bxhours = Target("bxhours", f"http://127.0.0.1:{bx_port}/slack/events")
                bare_bolt = Target("bare", f"http://127.0.0.1:{bare_port}/slack/events")
                await measure(args, bxhours, bare_bolt, db_path, hook_url)
                if args.no_import:
                    return
                with (
                    sandbox_process("large", "--timesheets", str(args.import_timesheets)) as sandbox,
                    child(
                        [sys.executable, "-m", "bxhours.cli", "sync"],
                        {**bx_env, "BEXIO_API_URL": sandbox.url, "BEXIO_ACCESS_TOKEN": sandbox.token},
                        work / "sync.log",
                    ) as sync,
                ):
                    await during_import(args, bxhours, bare_bolt, sync, hook_url)

            asyncio.run(run())


if __name__ == "__main__":
    main()
