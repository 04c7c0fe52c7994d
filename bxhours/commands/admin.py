"""`bxhours db`, `bxhours settings`, `bxhours jobs`, `bxhours keygen`: operating an installation."""

from __future__ import annotations

import argparse
import asyncio

from bxhours.commands import EXIT_FAILED, EXIT_OK, CommandError
from bxhours.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply all migrations")
    db.set_defaults(handler=db_command)

    settings = sub.add_parser("settings", help="list or change tenant settings")
    settings_sub = settings.add_subparsers(dest="settings_command", required=True, metavar="ACTION")
    settings_sub.add_parser("list", help="show every setting and its value")
    set_cmd = settings_sub.add_parser("set", help="change a setting")
    set_cmd.add_argument("key")
    set_cmd.add_argument("value")
    unset_cmd = settings_sub.add_parser("unset", help="return a setting to its default")
    unset_cmd.add_argument("key")
    settings.set_defaults(handler=settings_command)

    jobs = sub.add_parser("jobs", help="inspect the job queue")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_sub.add_parser("list", help="counts and parked (failed) jobs")
    ping = jobs_sub.add_parser("ping", help="enqueue a harmless job to check that a worker runs")
    ping.add_argument("--wait", type=float, default=0, help="seconds to wait for a worker to run it")
    retry = jobs_sub.add_parser("retry", help="put a parked job back in the queue")
    retry.add_argument("job_id", type=int)
    jobs.set_defaults(handler=jobs_command)

    keygen = sub.add_parser("keygen", help="print a new BXHOURS_ENCRYPTION_KEY")
    keygen.set_defaults(handler=keygen_command, quiet=True)


async def db_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    print("database is up to date")
    return EXIT_OK


async def settings_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings)
    try:
        service = runtime.services.settings
        if args.settings_command == "list":
            for row in await service.list(runtime.tenant_id):
                marker = "" if row.is_set else "  (default)"
                print(f"{row.key} = {row.value if row.value is not None else ''}{marker}")
        else:
            try:
                if args.settings_command == "set":
                    value = await service.set(runtime.tenant_id, args.key, args.value, actor="cli")
                    print(f"{args.key} = {value}")
                else:
                    await service.unset(runtime.tenant_id, args.key, actor="cli")
                    print(f"{args.key} is back to its default")
            except ValueError as exc:
                raise CommandError(str(exc)) from None
    finally:
        await runtime.close()
    return EXIT_OK


async def jobs_command(args: argparse.Namespace, settings: Settings) -> int:
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
                return await _wait_for_job(runtime.queue, job_id, args.wait)
        elif not await queue.retry(runtime.tenant_id, args.job_id):
            raise CommandError(f"job #{args.job_id} is not a parked job of this workspace")
        else:
            print(f"job #{args.job_id} is queued again")
    finally:
        await runtime.close()
    return EXIT_OK


async def _wait_for_job(queue: object, job_id: int, seconds: float) -> int:
    from storage.jobs import JobQueue

    assert isinstance(queue, JobQueue)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        job = await queue.get(job_id)
        if job is not None and job.status in ("done", "failed"):
            print(f"job #{job_id} {job.status}")
            return EXIT_OK if job.status == "done" else EXIT_FAILED
        await asyncio.sleep(0.2)
    raise CommandError(f"no worker ran job #{job_id} within {seconds:g} s — is `bxhours worker` running?")


async def keygen_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage.crypto import generate_key

    print(generate_key())
    return EXIT_OK
