"""The `bxhours` command line.

Every command reads the same settings; a missing or invalid one ends the program with one line that
names the variable and exit code 2 — never a traceback. Commands that change data run the same
services as Slack does, for the tenant of the configured workspace.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from bxhours import __version__
from bxhours.logs import configure_logging
from bxhours.settings import ConfigError, Settings, load_settings

log = logging.getLogger("bxhours.cli")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class CommandError(Exception):
    """A command failed for a reason the operator can act on; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bxhours", description="Slack time tracking and invoicing for bexio."
    )
    parser.add_argument("--version", action="version", version=f"bxhours {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="run the HTTP server (Slack, health check, bexio webhook) and a worker"
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="run the server alone (workers run elsewhere)"
    )
    serve.add_argument("--concurrency", type=int, default=2, help="jobs the built-in worker runs at once")

    worker = sub.add_parser("worker", help="run job workers without the HTTP server")
    worker.add_argument("--concurrency", type=int, default=2, help="jobs this process runs at once")
    worker.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        help="how long a claimed job stays reserved without a heartbeat",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply all migrations")

    settings = sub.add_parser("settings", help="list or change tenant settings")
    settings_sub = settings.add_subparsers(dest="settings_command", required=True, metavar="ACTION")
    settings_sub.add_parser("list", help="show every setting and its value")
    set_cmd = settings_sub.add_parser("set", help="change a setting")
    set_cmd.add_argument("key")
    set_cmd.add_argument("value")
    unset_cmd = settings_sub.add_parser("unset", help="return a setting to its default")
    unset_cmd.add_argument("key")

    jobs = sub.add_parser("jobs", help="inspect the job queue")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_sub.add_parser("list", help="counts and parked (failed) jobs")
    ping = jobs_sub.add_parser("ping", help="enqueue a harmless job to check that a worker runs")
    ping.add_argument("--wait", type=float, default=0, help="seconds to wait for a worker to run it")
    retry = jobs_sub.add_parser("retry", help="put a parked job back in the queue")
    retry.add_argument("job_id", type=int)

    sub.add_parser("keygen", help="print a new BXHOURS_ENCRYPTION_KEY")
    sub.add_parser("demo", help="run the demo end to end on SQLite, the bexio sandbox and a fake Slack")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        quiet = args.command in ("demo", "keygen")
        level = logging.WARNING if quiet else logging.INFO
        configure_logging(settings.log_format, level=level, secrets=_secret_values(settings))
        handler = COMMANDS[args.command]
        return asyncio.run(handler(args, settings)) or EXIT_OK
    except ConfigError as exc:
        print(f"bxhours: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CommandError as exc:
        print(f"bxhours: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _secret_values(settings: Settings) -> list[str]:
    values = []
    for name in ("slack_bot_token", "slack_signing_secret", "bexio_access_token", "bexio_client_secret"):
        secret = getattr(settings, name)
        if secret is not None:
            values.append(secret.get_secret_value())
    if settings.bexio_webhook_secret is not None:
        values.append(settings.bexio_webhook_secret.get_secret_value())
    if settings.bxhours_encryption_key is not None:
        values.append(settings.bxhours_encryption_key.get_secret_value())
    return values


# -- commands ---------------------------------------------------------------------------------


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime
    from bxhours.server import serve

    runtime = await Runtime.create(settings, worker_concurrency=args.concurrency)
    try:
        await serve(runtime, settings.host, settings.port, with_worker=not args.no_worker)
    finally:
        await runtime.close()
    return EXIT_OK


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings, worker_concurrency=args.concurrency)
    runtime.worker.lease_seconds = args.lease_seconds
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.worker.run(stop)
    finally:
        await runtime.close()
    return EXIT_OK


async def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    print("database is up to date")
    return EXIT_OK


async def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings)
    try:
        service = runtime.services.settings
        if args.settings_command == "list":
            for row in await service.list(runtime.tenant_id):
                marker = "" if row.is_set else "  (default)"
                print(f"{row.key} = {row.value if row.value is not None else ''}{marker}")
        elif args.settings_command == "set":
            try:
                value = await service.set(runtime.tenant_id, args.key, args.value, actor="cli")
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            print(f"{args.key} = {value}")
        else:
            await service.unset(runtime.tenant_id, args.key, actor="cli")
            print(f"{args.key} is back to its default")
    finally:
        await runtime.close()
    return EXIT_OK


async def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime
    from services.diagnostics import PING

    runtime = await Runtime.create(settings)
    try:
        queue = runtime.queue
        if args.jobs_command == "list":
            counts = await queue.counts(runtime.tenant_id)
            print(
                f"queued {counts.queued} · running {counts.running} · done {counts.done} · failed {counts.failed}"
            )
            for job in await queue.parked(runtime.tenant_id):
                print(f"  #{job.id} {job.kind} failed after {job.attempts} attempts: {job.last_error}")
        elif args.jobs_command == "ping":
            job_id = await queue.enqueue(runtime.tenant_id, PING, {"tag": "cli"})
            print(f"enqueued job #{job_id}")
            if args.wait > 0:
                return await _wait_for_job(runtime, job_id, args.wait)
        elif not await queue.retry(runtime.tenant_id, args.job_id):
            raise CommandError(f"job #{args.job_id} is not a parked job of this workspace")
        else:
            print(f"job #{args.job_id} is queued again")
    finally:
        await runtime.close()
    return EXIT_OK


async def _wait_for_job(runtime: object, job_id: int, seconds: float) -> int:
    from bxhours.runtime import Runtime

    assert isinstance(runtime, Runtime)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        job = await runtime.queue.get(job_id)
        if job is not None and job.status in ("done", "failed"):
            print(f"job #{job_id} {job.status}")
            return EXIT_OK if job.status == "done" else EXIT_FAILED
        await asyncio.sleep(0.2)
    raise CommandError(f"no worker ran job #{job_id} within {seconds:g} s — is `bxhours worker` running?")


async def cmd_keygen(args: argparse.Namespace, settings: Settings) -> int:
    from storage.crypto import generate_key

    print(generate_key())
    return EXIT_OK


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.demo import run_demo

    return await run_demo()


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "serve": cmd_serve,
    "worker": cmd_worker,
    "db": cmd_db,
    "settings": cmd_settings,
    "jobs": cmd_jobs,
    "keygen": cmd_keygen,
    "demo": cmd_demo,
}


if __name__ == "__main__":
    raise SystemExit(main())
