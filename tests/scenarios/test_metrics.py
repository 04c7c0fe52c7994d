"""Issue 18 §1 and §6: a scripted session through the real endpoints, then ``GET /metrics`` over HTTP
on the metrics port, and the counters moved by exactly what happened.

The session: `/bx-sync` (an import, run by the worker), `/log-hours`, a forged Slack request, the
bexio webhook (one batch accepted, one refused), and — in its own test — the `/invoice` modal to a
draft in bexio. Each test scrapes before and after and compares.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bexio.sandbox import RunningSandbox, build_state
from bot.interactions import ActionLabels
from bot.views import choices, hours_modal, invoice_modal, log_hours
from bxhours.commands import CommandError
from bxhours.fakes.invoicing_seed import WorkLog, mirror_sandbox
from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.stack import ANDREA, Stack
from bxhours.metrics import Metrics, MetricsServer
from bxhours.observe import attach, log_startup, observed, registrations_of
from core.dates import end_of_last_month
from storage.crypto import generate_key
from tests.invoicing_fixtures import PERSON_RATES, SLACK_IDS
from tests.processes import free_port
from tests.scenarios.test_invoice_modal import InvoiceModal
from tests.surface_catalog import catalog
from webhooks.endpoint import sign

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    """The demo company with few timesheets: the import takes about a second."""
    return lambda: build_state("demo", timesheets=60)


@dataclass
class Scrape:
    samples: Samples

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """Summed over every series of ``name`` that has these labels (and any others)."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and wanted <= ls)

    def label_values(self, name: str, label: str) -> set[str]:
        return {dict(ls)[label] for (n, ls), _v in self.samples.items() if n == name and label in dict(ls)}


@dataclass
class MetricsEndpoint:
    url: str
    http: httpx.AsyncClient

    async def scrape(self) -> Scrape:
        response = await self.http.get(self.url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples: Samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return Scrape(samples)


@pytest.fixture
async def metrics(stack: Stack) -> AsyncIterator[MetricsEndpoint]:
    """A fresh registry fed by the stack's runtime, served on a port of its own (any free one)."""
    registry = Metrics(process=False)
    detach = attach(stack.runtime, registry)
    server = await MetricsServer(registry, "127.0.0.1", 0).start()
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield MetricsEndpoint(f"http://127.0.0.1:{server.port}/metrics", http)
    finally:
        await server.close()
        detach()


async def settled(stack: Stack) -> None:
    """No job queued or running (a debounced change job waits its second), no handler running."""
    for _ in range(400):
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"jobs did not settle: {counts}")
    await stack.runtime.drain(10)


def _import_over(call: SlackCall) -> bool:
    return str(call.params.get("text", "")).startswith("Import from bexio finished")


async def test_a_scripted_session_moves_the_counters_by_what_happened(
    stack: Stack, sandbox: RunningSandbox, metrics: MetricsEndpoint
) -> None:
    before = await metrics.scrape()
    bexio_calls = len(sandbox.state.calls)

    # An import, started in Slack and run by the worker.
    response = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert "started" in response.text, response.text
    await stack.fake.wait_for("chat.update", _import_over, timeout=30)
    await settled(stack)

    # Hours in one line, on a project the import brought in.
    hooks = len(stack.fake.hooks)
    response = await stack.slack.command("/log-hours", "2h Website Relaunch: metrics check", user_id=ANDREA)
    assert response.status == 200
    await stack.fake.wait_for_hook(lambda _body: len(stack.fake.hooks) > hooks)

    # The form's project type-ahead: an options load, answered in the acknowledgement.
    response = await stack.slack.options(ANDREA, hours_modal.PROJECT_ACTION, "web", view=_hours_view())
    assert response.status == 200

    # A forgery: refused, counted, never handled.
    forged = await stack.slack.post(
        "command=%2Flog-hours&text=1h", "application/x-www-form-urlencoded", signature="v0=00"
    )
    assert forged.status == 401

    # The webhook: two notifications accepted, one batch refused (wrong signature).
    secret = stack.runtime.settings.bexio_webhook_secret
    assert secret is not None
    body = b'[{"resource":"contact","id":1,"action":"updated"},{"resource":"project"}]'
    stamp = str(int(stack.runtime.webhook.clock()))
    async with httpx.AsyncClient(base_url=stack.url) as http:
        headers = {"X-Bxhours-Timestamp": stamp, "Content-Type": "application/json"}
        good = await http.post(
            "/bexio/webhook",
            content=body,
            headers={**headers, "X-Bxhours-Signature": sign(secret.get_secret_value(), stamp, body)},
        )
        bad = await http.post(
            "/bexio/webhook", content=body, headers={**headers, "X-Bxhours-Signature": "sha256=00"}
        )
        # Never on the port Slack reaches.
        assert (await http.get("/metrics")).status_code == 404
    assert (good.status_code, bad.status_code) == (202, 401)
    await settled(stack)

    after = await metrics.scrape()

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    def delta_total(name: str, **labels: str) -> float:
        return after.total(name, **labels) - before.total(name, **labels)

    # Slack: one of each, by kind, registered name and outcome, with both latencies.
    requests = "bxhours_slack_requests_total"
    assert delta(requests, kind="command", action="/bx-sync", outcome="ok") == 1
    assert delta(requests, kind="command", action="/log-hours", outcome="ok") == 1
    assert delta(requests, kind="options", action=hours_modal.PROJECT_ACTION, outcome="ok") == 1
    assert delta(requests, kind="other", action="other", outcome="unverified") == 1
    assert delta_total(requests) == 4
    for seconds in ("bxhours_slack_ack_seconds_count", "bxhours_slack_request_seconds_count"):
        assert delta(seconds, kind="command", action="/log-hours") == 1
        assert delta(seconds, kind="command", action="/bx-sync") == 1
    assert after.label_values(requests, "action") <= {
        "/bx-sync",
        "/log-hours",
        hours_modal.PROJECT_ACTION,
        "other",
    }

    # Jobs: the import and the two change jobs of the webhook, each done once, with its queue age.
    jobs = "bxhours_jobs_total"
    assert delta(jobs, kind="import.full", state="done") == 1
    assert delta(jobs, kind="change.process", state="done") == 2
    assert delta_total(jobs) == 3
    assert delta("bxhours_job_queue_age_seconds_count", kind="import.full") == 1
    assert delta("bxhours_job_seconds_count", kind="change.process") == 2
    assert delta("bxhours_import_runs_total", outcome="done") == 1
    assert delta("bxhours_import_seconds_count") == 1
    assert delta("bxhours_invoice_pushes_total", outcome="created") == 0

    # bexio: every call the sandbox saw, by endpoint family, ids collapsed; the rate limit left.
    made = len(sandbox.state.calls) - bexio_calls
    assert made > 10
    assert delta_total("bxhours_bexio_calls_total") == made
    assert delta_total("bxhours_bexio_call_seconds_count") == made
    calls = "bxhours_bexio_calls_total"
    assert delta(calls, family="contact", method="GET", status="200") >= 1  # the import's list
    assert delta(calls, family="contact/search", method="POST", status="200") >= 1  # contact 1 re-read
    assert delta(calls, family="pr_project", method="GET", status="200") >= 2  # the import, the change
    assert delta(calls, family="timesheet", method="GET", status="200") >= 1
    families = after.label_values("bxhours_bexio_calls_total", "family")
    assert "contact" in families and not any(
        any(ch.isdigit() for ch in f.split(".")[-1]) for f in families
    ), families
    remaining = after.value("bxhours_bexio_ratelimit_remaining", route="general")
    assert remaining > 0

    # The webhook: requests by outcome, notifications accepted.
    assert delta("bxhours_webhook_requests_total", outcome="accepted") == 1
    assert delta("bxhours_webhook_requests_total", outcome="unauthorized") == 1
    assert delta("bxhours_webhook_notifications_total") == 2

    # No label names a tenant, a user or a request.
    names = {label for (_name, labels) in after.samples for label, _value in labels}
    assert names <= {"kind", "action", "outcome", "family", "method", "status", "route", "state", "le"}, names


def _hours_view() -> dict[str, Any]:
    """Enough of the hours form for an options load to be taken as coming from it."""
    return {"id": "V0HOURS", "type": "modal", "callback_id": hours_modal.CALLBACK_ID, "blocks": []}


async def test_an_invoice_push_is_counted_by_its_outcome_and_logged_with_its_draft(
    stack: Stack, sandbox: RunningSandbox, metrics: MetricsEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    company = await mirror_sandbox(
        stack.runtime.db, stack.tenant_id, sandbox.state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES
    )
    last = end_of_last_month(stack.runtime.services.invoicing.today())
    await WorkLog(stack.runtime.db, stack.tenant_id).entry(
        user_id=company.users[1],
        project_id=company.projects[1],
        activity_id=company.activities[4],
        day=date(last.year, last.month, 1),
        minutes=120,
    )
    customer = company.customers[sandbox.state.tables["pr_project"][1]["contact_id"]]
    before = await metrics.scrape()
    modal = InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(customer)
    await modal.submit()
    await modal.result()
    await settled(stack)
    after = await metrics.scrape()

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("bxhours_invoice_pushes_total", outcome="created") == 1
    assert delta("bxhours_jobs_total", kind="invoice.push", state="done") == 1
    assert delta("bxhours_bexio_calls_total", family="kb_invoice/search", method="POST", status="200") == 1
    created = sum(
        delta("bxhours_bexio_calls_total", family="kb_invoice", method="POST", status=status)
        for status in ("200", "201")
    )
    assert created == 1
    requests = "bxhours_slack_requests_total"
    assert delta(requests, kind="command", action="/invoice", outcome="ok") == 1
    assert delta(requests, kind="options", action=invoice_modal.CUSTOMER_ACTION, outcome="ok") == 1
    assert delta(requests, kind="block_actions", action=invoice_modal.CUSTOMER_ACTION, outcome="ok") == 1
    assert delta(requests, kind="view_submission", action=invoice_modal.CALLBACK_ID, outcome="ok") == 1

    [line] = [r for r in caplog.records if r.getMessage() == "invoice push"]
    invoice = max(sandbox.state.tables["kb_invoice"].values(), key=lambda row: row["id"])
    assert (line.outcome, line.draft, line.number) == ("created", invoice["id"], invoice["document_nr"])  # type: ignore[attr-defined]
    assert line.bexio_calls == 2  # type: ignore[attr-defined]  # the search for its reference, the create


async def test_metrics_port_serves_metrics_only_and_start_up_says_what_is_served(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    settings = stack.runtime.settings.model_copy(update={"metrics_port": port})
    async with httpx.AsyncClient(timeout=10) as http, observed(stack.runtime, settings, "serve") as server:
        assert server is not None and server.port == port
        response = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert response.status_code == 200 and "bxhours_slack_requests_total" in response.text
        assert "process_resident_memory_bytes" in response.text
        assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 404
        assert (await http.post(f"http://127.0.0.1:{port}/slack/events", content=b"x")).status_code in (
            404,
            405,
        )
        assert (await http.get(f"{stack.url}/metrics")).status_code == 404
    async with httpx.AsyncClient(timeout=2) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/metrics")  # closed with the process's work

    [line] = [r for r in caplog.records if r.name == "bxhours.startup"]
    team = await stack.runtime.services.tenants.repo.get(stack.tenant_id)
    assert team is not None and team.slack_team_id in line.workspaces  # type: ignore[attr-defined]
    assert line.bexio == "token"  # type: ignore[attr-defined]
    assert line.database == ("sqlite" if settings.is_sqlite else "postgresql")  # type: ignore[attr-defined]
    assert line.metrics_port == port  # type: ignore[attr-defined]

    same = stack.runtime.settings.model_copy(update={"metrics_port": settings.port})
    with pytest.raises(CommandError, match="METRICS_PORT"):
        async with observed(stack.runtime, same, "serve"):
            pass


def test_without_bexio_credentials_start_up_warns(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    log_startup("worker", ["Alpenblick (T0DEMO)", "Other (T0OTHER)"], "none", "postgresql")
    [info, warning] = [r for r in caplog.records if r.name == "bxhours.startup"]
    assert info.workspaces == "Alpenblick (T0DEMO), Other (T0OTHER)"  # type: ignore[attr-defined]
    assert info.metrics_port == "off"  # type: ignore[attr-defined]
    assert warning.levelno == logging.WARNING and "no bexio credentials" in warning.getMessage()


async def test_action_labels_are_the_registered_names_or_other(stack: Stack) -> None:
    """Bounded: every name the registry answers to labels as itself, a choice button's numbered
    id as its stem, anything else (an unknown command, an invented id) as ``other``."""
    labels = ActionLabels(registrations_of(stack.runtime))
    kind_of = {
        "command": "command",
        "action": "block_actions",
        "options": "options",
        "view": "view_submission",
    }
    for entry in catalog(stack.runtime.services, generate_key()):
        if entry.kind == "event":
            assert labels("event", entry.name) == entry.name
            continue
        label = labels(kind_of[entry.kind], entry.name)
        if entry.name == "/no-such-command":
            assert label == "other"
        elif re.fullmatch(r".+\.\d+", entry.name):
            assert label == entry.name.rpartition(".")[0] + ".N", entry
        else:
            assert label == entry.name, entry
    stem = log_hours.CHOICE_ACTIONS.pick["project"]
    assert labels("block_actions", choices.pick_action_id(stem, 7)) == f"{stem}.N"
    assert labels("block_actions", f"{stem}.7x") == "other"
    assert labels("block_actions", "invented_action") == "other"
    assert labels("command", "/log-hours") == "/log-hours"
    assert labels("command", "/anything-else") == "other"
    assert labels("view_submission", log_hours.UNDO_ACTION) == "other"  # an action id is no view
    assert labels("other", "whatever") == "other"
