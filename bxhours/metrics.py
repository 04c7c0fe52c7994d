"""The Prometheus metrics of one bxhours process, and the server that shows them on ``METRICS_PORT``.

Every metric lives in the ``Metrics`` object's own ``CollectorRegistry`` (not prometheus-client's
global one), so a test builds a fresh one and reads exact counts. ``bxhours.observe.attach`` feeds
it from the front door, the worker, the webhook endpoint and every bexio client of the process.

Labels stay bounded: never a tenant, a user or an id. ``action`` is a registered command, action id,
callback id or event type (``bot.interactions.ActionLabels``) or ``other``; ``family`` is a bexio
endpoint family with ids collapsed (``bexio.observe.endpoint_family``); ``kind`` of a job is one the
worker has a handler for.

``/metrics`` is served on its own port, never on the port Slack reaches: the numbers say how busy
bxhours is and which commands fail, which is nobody's business outside.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from bexio.observe import BexioCall
from bot.interactions import OTHER, Interaction
from bxhours.commands import CommandError
from services.importing.runs import IMPORT_JOB
from services.invoicing import INVOICE_PUSH
from webhooks.worker import DONE_OUTCOME, PARKED, RETRIED, JobRun

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_QUEUE = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
_LONG = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process:
            ProcessCollector(registry=self.registry)  # memory, CPU, open files of this process
        r = self.registry
        self.slack_requests = Counter(
            "bxhours_slack_requests",
            "Slack requests to /slack/events by kind, registered command/action and outcome.",
            ["kind", "action", "outcome"],
            registry=r,
        )
        self.slack_ack_seconds = Histogram(
            "bxhours_slack_ack_seconds",
            "Time from receiving a Slack request to its acknowledgement.",
            ["kind", "action"],
            buckets=_LATENCY,
            registry=r,
        )
        self.slack_request_seconds = Histogram(
            "bxhours_slack_request_seconds",
            "Time from receiving a Slack request until its handler finished.",
            ["kind", "action"],
            buckets=_LATENCY,
            registry=r,
        )
        self.bexio_calls = Counter(
            "bxhours_bexio_calls",
            "Calls to bexio (each attempt) by endpoint family, method and HTTP status ('error': no answer).",
            ["family", "method", "status"],
            registry=r,
        )
        self.bexio_call_seconds = Histogram(
            "bxhours_bexio_call_seconds",
            "Time bexio took to answer one call (pacing waits excluded).",
            ["family", "method"],
            buckets=_LATENCY,
            registry=r,
        )
        self.bexio_ratelimit_remaining = Gauge(
            "bxhours_bexio_ratelimit_remaining",
            "The latest RateLimit-Remaining bexio answered with, per rate-limit bucket (general, limited).",
            ["route"],
            registry=r,
        )
        self.jobs = Counter(
            "bxhours_jobs",
            "Job runs by kind and how they ended: done, retried, parked, superseded, lost.",
            ["kind", "state"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "bxhours_job_seconds", "Time one job run took.", ["kind"], buckets=_LONG, registry=r
        )
        self.job_queue_seconds = Histogram(
            "bxhours_job_queue_age_seconds",
            "Time from when a job was due until a worker claimed it.",
            ["kind"],
            buckets=_QUEUE,
            registry=r,
        )
        self.import_runs = Counter(
            "bxhours_import_runs", "Imports from bexio by outcome: done, failed.", ["outcome"], registry=r
        )
        self.import_seconds = Histogram(
            "bxhours_import_seconds", "Time an import from bexio took.", buckets=_LONG, registry=r
        )
        self.invoice_pushes = Counter(
            "bxhours_invoice_pushes",
            "Invoice push job runs by outcome: created, refused (bexio said no), unchanged (decided "
            "before), retried (bexio unsure or down), failed.",
            ["outcome"],
            registry=r,
        )
        self.webhook_requests = Counter(
            "bxhours_webhook_requests",
            "Requests to POST /bexio/webhook by outcome: accepted, unauthorized, invalid, too_large, "
            "not_configured, unavailable.",
            ["outcome"],
            registry=r,
        )
        self.webhook_notifications = Counter(
            "bxhours_webhook_notifications",
            "Change notifications accepted by POST /bexio/webhook.",
            registry=r,
        )
        self.action_label: Any = lambda kind, name: OTHER
        """(kind, name) → a bounded ``action`` label (``bot.interactions.ActionLabels``)."""
        self.job_kinds: frozenset[str] = frozenset()
        """The job kinds that are labelled by name; any other is ``other``."""

    # -- what the observers report -------------------------------------------------------------

    def slack_interaction(self, interaction: Interaction) -> None:
        kind = interaction.kind
        action = self.action_label(kind, interaction.name)
        self.slack_requests.labels(kind, action, interaction.outcome or "ok").inc()
        if interaction.ack_seconds is not None:
            self.slack_ack_seconds.labels(kind, action).observe(interaction.ack_seconds)
        if interaction.seconds is not None and interaction.outcome not in ("replay", "unverified"):
            self.slack_request_seconds.labels(kind, action).observe(interaction.seconds)

    def bexio_call(self, call: BexioCall) -> None:
        self.bexio_calls.labels(call.family, call.method, call.status).inc()
        self.bexio_call_seconds.labels(call.family, call.method).observe(call.seconds)
        if call.remaining is not None:
            self.bexio_ratelimit_remaining.labels(call.route).set(call.remaining)

    def job_run(self, run: JobRun) -> None:
        kind = run.job.kind if run.job.kind in self.job_kinds else OTHER
        self.jobs.labels(kind, run.outcome).inc()
        self.job_seconds.labels(kind).observe(run.seconds)
        if run.queued_seconds is not None:
            self.job_queue_seconds.labels(kind).observe(max(0.0, run.queued_seconds))
        if run.job.kind == IMPORT_JOB:
            self._import(run)
        elif run.job.kind == INVOICE_PUSH:
            self._invoice_push(run)

    def _import(self, run: JobRun) -> None:
        result = run.result or {}
        if run.outcome == DONE_OUTCOME and "skipped" in result:
            return  # the run had finished already or another took its place: no import ran
        self.import_runs.labels("done" if run.outcome == DONE_OUTCOME else "failed").inc()
        seconds = result.get("seconds")
        self.import_seconds.observe(float(seconds) if isinstance(seconds, int | float) else run.seconds)

    def _invoice_push(self, run: JobRun) -> None:
        if run.outcome == DONE_OUTCOME:
            outcome = (run.result or {}).get("outcome")
            if outcome not in ("created", "refused", "unchanged"):
                outcome = "created" if (run.result or {}).get("created") else "refused"
        elif run.outcome == RETRIED:
            outcome = "retried"
        elif run.outcome == PARKED:
            outcome = "failed"
        else:
            outcome = run.outcome
        self.invoice_pushes.labels(outcome).inc()

    def webhook_request(self, outcome: str, notifications: int) -> None:
        self.webhook_requests.labels(outcome).inc()
        if notifications:
            self.webhook_notifications.inc(notifications)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsServer:
    """``GET /metrics`` (and nothing else) on its own port; ``port`` is the one bound (0: any free)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> MetricsServer:
        app = web.Application()
        app.router.add_get(METRICS_PATH, self._scrape)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            reason = exc.strerror or str(exc)
            raise CommandError(
                f"cannot serve metrics on {self.host}:{self.port} ({reason}); "
                "set METRICS_PORT to a free port or unset it"
            ) from None
        sockets = site._server.sockets if site._server is not None else ()  # type: ignore[union-attr]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("metrics on http://%s:%s%s", self.host, self.port, METRICS_PATH)
        return self

    async def _scrape(self, request: web.Request) -> web.Response:
        body = self.metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
