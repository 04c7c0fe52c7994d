"""`bxhours serve` and `bxhours worker`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bxhours.commands import EXIT_OK, CommandError
from bxhours.settings import Settings
from storage.worker_lock import WorkerLock

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve", help="run the HTTP server (Slack, health check, bexio webhook) and a worker"
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="run the server alone (workers run elsewhere)"
    )
    serve.add_argument("--concurrency", type=int, default=2, help="jobs the built-in worker runs at once")
    serve.set_defaults(handler=serve_command)

    worker = sub.add_parser("worker", help="run job workers without the HTTP server")
    worker.add_argument("--concurrency", type=int, default=2, help="jobs this process runs at once")
    worker.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        help="how long a claimed job stays reserved without a heartbeat",
    )
    worker.set_defaults(handler=worker_command)


async def serve_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.observe import observed
    from bxhours.runtime import Runtime
    from bxhours.server import serve

    with WorkerLock(settings.database_url) as lock:
        with_worker = not args.no_worker
        if with_worker and not lock.acquire():
            log.warning(
                "the built-in worker stays off: another process already works the job queue of this "
                "SQLite database (one writer; use PostgreSQL to scale out)"
            )
            with_worker = False
        runtime = await Runtime.create(settings, worker_concurrency=args.concurrency)
        housekeeping = None
        try:
            await runtime.schedule_polls()
            housekeeping = runtime.start_housekeeping()
            async with observed(runtime, settings, "serve"):
                await serve(runtime, settings.host, settings.port, with_worker=with_worker)
        finally:
            if housekeeping is not None:
                housekeeping.cancel()
            await runtime.close()
    return EXIT_OK


async def worker_command(args: argparse.Namespace, settings: Settings) -> int:
    with WorkerLock(settings.database_url) as lock:
        if not lock.acquire():
            raise CommandError(
                "another process already works the job queue of this SQLite database (a `bxhours serve` "
                "with its built-in worker, or a `bxhours worker`). SQLite has one writer: run one worker "
                "per SQLite database, or use PostgreSQL to scale out."
            )
        return await _work(args, settings)


async def _work(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.observe import observed
    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings, worker_concurrency=args.concurrency)
    runtime.worker.lease_seconds = args.lease_seconds
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    housekeeping = None
    try:
        await runtime.schedule_polls()
        housekeeping = runtime.start_housekeeping()
        async with observed(runtime, settings, "worker"):
            await runtime.worker.run(stop)
    finally:
        if housekeeping is not None:
            housekeeping.cancel()
        await runtime.close()
    return EXIT_OK
