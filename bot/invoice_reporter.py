"""The Slack side of ``services.invoicing.InvoiceReporter``: the `/invoice` modal switches to the
result and the person gets the same as a DM with the totals — both in the biller's language (the
push runs as a job, which otherwise speaks the workspace's)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.views import invoice_modal
from bot.views.blocks import section
from core.i18n import _, language_scope
from services.invoicing import DraftOutcome
from services.invoicing.reporting import ReportFile
from services.languages import LanguageService
from services.notifier import Notifier

log = logging.getLogger(__name__)


class SlackInvoiceReporter:
    def __init__(
        self, client: AsyncWebClient, notifier: Notifier, languages: LanguageService | None = None
    ) -> None:
        self.client = client
        self.notifier = notifier
        self.languages = languages

    async def finished(
        self, tenant_id: int, outcome: DraftOutcome, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        language = await self._language_of(tenant_id, slack_user_id)
        if view_id:
            with _speaking(language):
                view = invoice_modal.result_view(outcome)
            await self._update(view_id, view)
        if slack_user_id:
            with _speaking(language):
                blocks = [section(line) for line in invoice_modal.result_lines(outcome)]
                text = invoice_modal.dm_text(outcome)
            await self.notifier.direct_message(slack_user_id, text, blocks)
            if outcome.report is not None:
                with _speaking(language):
                    comment = _(
                        "The timesheet report of draft {number} for {customer} — to check, or to send "
                        "along with the invoice: {url}",
                        number=outcome.document_nr,
                        customer=outcome.customer,
                        url=outcome.url,
                    )
                await self._upload(slack_user_id, outcome.report, comment)

    async def waiting(
        self, tenant_id: int, invoice_id: int, reason: str, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        if view_id:
            with _speaking(await self._language_of(tenant_id, slack_user_id)):
                view = invoice_modal.progress_view(reason)
            await self._update(view_id, view)

    async def _language_of(self, tenant_id: int, slack_user_id: str | None) -> str | None:
        if self.languages is None or not slack_user_id:
            return None
        try:
            return await self.languages.for_person(tenant_id, slack_user_id)
        except Exception:  # the result must reach the person, in whatever language
            log.warning("could not tell the language of %s", slack_user_id, exc_info=True)
            return None

    async def _upload(self, slack_user_id: str, report: ReportFile, comment: str) -> None:
        """The report after the DM (issue 15 §3); a refused upload leaves the DM with the link, and
        `bxhours invoice report` makes the report again."""
        try:
            await self.notifier.upload_file(
                slack_user_id, report.filename, report.content, title=report.title, initial_comment=comment
            )
        except Exception:
            log.warning("could not upload the timesheet report %s", report.filename, exc_info=True)

    async def _update(self, view_id: str, view: dict[str, object]) -> None:
        try:
            await self.client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            # The person closed the modal meanwhile: the DM still tells them.
            log.info("invoice modal %s not updated: %s", view_id, exc.response.get("error"))


@contextmanager
def _speaking(language: str | None) -> Iterator[None]:
    """``language``, or the language of the surrounding work when None."""
    if language is None:
        yield
        return
    with language_scope(language):
        yield
