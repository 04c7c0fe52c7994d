"""The biller gets the draft's timesheet report in their DM with the app (issue 15 §3): after the
DM with the link, a Slack file upload through the fake Slack's three steps, introduced in the
biller's language; without ``files:write`` the DM still arrives and nothing breaks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.invoice_reporter import SlackInvoiceReporter
from bot.notifier import SlackNotifier
from bxhours.fakes.slack_api import FakeSlack
from core.i18n import language_scope
from services.invoicing import DraftOutcome, InvoiceRequest, Selection
from tests.invoicing_fixtures import ANDREA, InvoicingEnv, invoicing

__all__ = ["invoicing"]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user(ANDREA, "andrea.keller@alpenblick.example", "Andrea Keller")
    runner = await fake.start()
    yield fake
    await runner.cleanup()


async def drafted(env: InvoicingEnv) -> DraftOutcome:
    first, last = env.last_month
    await env.work.entry(
        user_id=env.user(1),
        project_id=env.project(1),
        activity_id=env.activity(4),
        day=first,
        minutes=120,
        note="Workshop",
    )
    selection = Selection(env.customer_of(1), period_to=last)
    submitted = await env.service.submit(env.tenant_id, InvoiceRequest(selection, actor=ANDREA))
    assert await env.settle(submitted.invoice_id) == "created"
    [(outcome, _person, _view)] = env.reporter.outcomes
    assert outcome.report is not None
    return outcome


def reporter(slack: FakeSlack) -> SlackInvoiceReporter:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    return SlackInvoiceReporter(client, SlackNotifier(client))


@pytest.mark.parametrize(
    ("language", "introduction"),
    [
        ("en", "The timesheet report of draft"),
        ("de", "Der Leistungsrapport zum Entwurf"),
        ("fr", "Le rapport de prestations du projet de facture"),
        ("it", "Il rapporto delle prestazioni della bozza"),
    ],
)
async def test_the_report_follows_the_dm_as_a_file(
    invoicing: InvoicingEnv, slack: FakeSlack, language: str, introduction: str
) -> None:
    outcome = await drafted(invoicing)
    assert outcome.report is not None
    with language_scope(language):
        await reporter(slack).finished(invoicing.tenant_id, outcome, slack_user_id=ANDREA, view_id=None)
    [shared] = slack.uploaded_files(slack.dm_channel(ANDREA))
    assert shared.content == outcome.report.content and shared.content.startswith(b"%PDF-")
    assert shared.filename == outcome.report.filename and shared.title == outcome.report.title
    assert shared.initial_comment is not None
    assert shared.initial_comment.startswith(introduction)
    assert str(outcome.url) in shared.initial_comment and str(outcome.document_nr) in shared.initial_comment
    link, report = slack.dm_messages(ANDREA)
    assert str(outcome.url) in link["text"] and report["files"][0]["id"] == shared.id


async def test_without_files_write_the_dm_still_arrives(invoicing: InvoicingEnv, slack: FakeSlack) -> None:
    outcome = await drafted(invoicing)
    slack.grants[slack.bot_token].scopes.remove("files:write")
    await reporter(slack).finished(invoicing.tenant_id, outcome, slack_user_id=ANDREA, view_id=None)
    [link] = slack.dm_messages(ANDREA)
    assert str(outcome.url) in link["text"]
    assert slack.uploaded_files() == []
    [refused] = slack.calls_to("files.getUploadURLExternal")
    assert refused.params["filename"] == outcome.report.filename  # type: ignore[union-attr]
