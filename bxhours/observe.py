"""Watching a running bxhours: the start-up line, and the metrics wired to what the runtime built.

``bxhours serve`` and ``bxhours worker`` run inside ``observed(runtime, settings, role)``: it logs
which workspaces are served, how bexio is signed in to and which database is used (a WARNING when no
bexio credentials are set), and, with ``METRICS_PORT`` set, serves ``GET /metrics`` on that port while
the process runs (``bxhours.metrics``).

``attach`` connects one ``Metrics`` to a runtime through the hooks the layers below offer — the front
door's interactions, the worker's job runs, the webhook endpoint's requests and every bexio client
of the process (``bexio.observe``) — so none of them imports Prometheus or this package.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bexio import observe as bexio_observe
from bot.deps import BotDeps
from bot.handlers import register_all
from bot.interactions import ActionLabels
from bot.views.sealed import ChoiceSeal
from bxhours.commands import CommandError
from bxhours.metrics import Metrics, MetricsServer
from bxhours.settings import Settings
from storage.crypto import generate_key

if TYPE_CHECKING:
    from bxhours.runtime import Runtime

log = logging.getLogger("bxhours.startup")

SIGN_IN = {"pat": "token", "oauth": "OAuth", None: "none"}
"""bexio's sign-in modes as the start-up line names them."""


def log_startup(
    role: str,
    workspaces: Sequence[str],
    bexio_sign_in: str,
    database: str,
    *,
    metrics_port: int | None = None,
) -> None:
    """One line saying what this process serves; a WARNING when bexio cannot be reached at all.

    ``workspaces``: a name or id per Slack workspace served; ``bexio_sign_in``: token, OAuth or
    none; ``database``: sqlite or postgresql.
    """
    shown = list(workspaces[:20]) + ([f"+{len(workspaces) - 20} more"] if len(workspaces) > 20 else [])
    log.info(
        "bxhours %s starting",
        role,
        extra={
            "workspaces": ", ".join(shown) or "none",
            "bexio": bexio_sign_in,
            "database": database,
            "metrics_port": metrics_port if metrics_port is not None else "off",
        },
    )
    if bexio_sign_in == "none":
        log.warning(
            "no bexio credentials are set (BEXIO_ACCESS_TOKEN, or BEXIO_CLIENT_ID and "
            "BEXIO_CLIENT_SECRET): imports, invoices and the change poller cannot reach bexio"
        )


async def workspaces_served(runtime: Runtime) -> list[str]:
    """``Name (T0123)`` of each Slack workspace served: the one of SLACK_BOT_TOKEN, or in
    multi-workspace mode every active installation."""
    rows = [row for row in await runtime.installations.tenants() if row.status == "active"]
    if not runtime.multi_workspace and runtime.default_tenant is not None:
        rows = [row for row in rows if row.id == runtime.default_tenant]
    return [
        f"{row.slack_team_name} ({row.slack_team_id})" if row.slack_team_name else row.slack_team_id
        for row in rows
    ]


def database_kind(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def bexio_sign_in(runtime: Runtime) -> str:
    return SIGN_IN.get(runtime.services.bexio.auth_kind, "none")


def registrations_of(runtime: Runtime) -> list[Any]:
    """What the app registers (``bot.handlers.surfaces``), read off an app built the same way:
    the names the ``action`` label may take."""
    app = AsyncApp(  # nothing is dispatched to it: it is only read
        client=runtime.slack, signing_secret=secrets.token_hex(16), request_verification_enabled=False
    )
    return list(register_all(app, BotDeps(runtime.services, ChoiceSeal(generate_key()))).registrations)


def attach(
    runtime: Runtime, metrics: Metrics, registrations: Iterable[Any] | None = None
) -> Callable[[], None]:
    """Feed ``metrics`` from the runtime; returns the function that stops it."""
    metrics.action_label = ActionLabels(
        registrations if registrations is not None else registrations_of(runtime)
    )
    metrics.job_kinds = frozenset(runtime.worker.handlers)
    runtime.front_door.interactions.on_end = metrics.slack_interaction
    runtime.worker.on_job = metrics.job_run
    runtime.webhook.on_request = metrics.webhook_request
    unwatch = bexio_observe.watch(metrics)

    def detach() -> None:
        unwatch()
        runtime.front_door.interactions.on_end = None
        runtime.worker.on_job = None
        runtime.webhook.on_request = None

    return detach


@contextlib.asynccontextmanager
async def observed(runtime: Runtime, settings: Settings, role: str) -> AsyncIterator[MetricsServer | None]:
    """The start-up line, and ``/metrics`` on ``METRICS_PORT`` (when set) while the body runs."""
    port = settings.metrics_port
    log_startup(
        role,
        await workspaces_served(runtime),
        bexio_sign_in(runtime),
        database_kind(settings),
        metrics_port=port,
    )
    if port is None:
        yield None
        return
    if role == "serve" and port == settings.port:
        raise CommandError(
            f"METRICS_PORT ({port}) is the port Slack reaches (PORT): metrics must be served on a port of their own"
        )
    metrics = Metrics()
    detach = attach(runtime, metrics)
    server = MetricsServer(metrics, settings.host, port)
    try:
        await server.start()
        yield server
    finally:
        await server.close()
        detach()
