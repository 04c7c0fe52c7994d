"""The HTTP server: Slack's single endpoint, the health check and the bexio routes, in one aiohttp app.

``bxhours serve`` runs it with the job worker beside it; SIGTERM stops accepting connections, lets
requests in flight finish, stops the worker after its current jobs, and exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.front_door import REQUEST_ID_KEY
from bxhours import __version__
from bxhours.commands import CommandError
from bxhours.logs import redact

if TYPE_CHECKING:
    from bxhours.runtime import Runtime

log = logging.getLogger(__name__)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
MAX_BODY = 1024 * 1024
SLACK_PATH = "/slack/events"
LISTEN_BACKLOG = 1024
"""Connections the kernel queues before we accept them. aiohttp's 128 overflows when a busy
workspace's commands arrive at once; dropped connections are only retried after a second."""


class RedactingAccessLogger(AbstractAccessLogger):
    """One line per request, with the Slack request's id when it has one; paths are redacted because
    the webhook may carry its secret in the path. Refused (unverified) Slack requests get no line of
    their own: the front door logs them sampled, so a flood of forged requests cannot flood the log."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if response.status == 401 and request.path == SLACK_PATH:
            return
        request_id = request.get(REQUEST_ID_KEY)
        self.logger.info(
            "%s %s %s %.1fms%s",
            request.method,
            redact(request.path),
            response.status,
            time * 1000,
            f" request={request_id}" if request_id else "",
        )


async def slack_events(request: web.Request) -> web.Response:
    """Everything from Slack: verified over the raw bytes, written down, then handed to Bolt."""
    return await request.app[RUNTIME].front_door.handle(request)


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    body: dict[str, str] = {"status": "ok", "db": "ok", "version": __version__}
    try:
        await asyncio.wait_for(runtime.db.ping(), timeout=5)
    except Exception as exc:  # any failure to reach the database is "down", with its reason
        body.update(status="degraded", db=f"down: {type(exc).__name__}")
        return web.json_response(body, status=503)
    return web.json_response(body)


def create_web_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[RUNTIME] = runtime
    app.router.add_post(SLACK_PATH, slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_routes(runtime.webhook.routes())
    app.router.add_routes(runtime.connect_routes.routes())
    return app


def freeze_startup_objects() -> None:
    """Keep what start-up built (SQLAlchemy's mappers, Bolt, the settings: it lives as long as the
    process) out of the garbage collector's full passes. Scanning it paused the event loop for
    about 100 ms in a burst of commands — longer than answering the whole burst
    (bench/ack_latency.py)."""
    gc.collect()
    gc.freeze()


async def serve(runtime: Runtime, host: str, port: int, *, with_worker: bool = True) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(
        create_web_app(runtime),
        access_log_class=RedactingAccessLogger,
        shutdown_timeout=25.0,
        handle_signals=False,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG)
    try:
        await site.start()
    except OSError as exc:  # the port is taken, or not ours to take: say so in one line
        await runner.cleanup()
        reason = exc.strerror or str(exc)
        raise CommandError(
            f"cannot listen on {host}:{port} ({reason}); set PORT to a free port or stop what uses it"
        ) from None
    freeze_startup_objects()
    log.info("bxhours %s listening on http://%s:%s", __version__, host, port)
    runtime.front_door.start_recovery()  # what a killed process acknowledged is finished here
    worker_task = asyncio.create_task(runtime.worker.run(stop)) if with_worker else None
    await stop.wait()
    log.info("shutting down: finishing requests and jobs in flight")
    await runtime.front_door.stop_recovery()
    await runner.cleanup()
    await runtime.drain()
    await runtime.webhook.enqueuer.close()
    if worker_task is not None:
        await worker_task
