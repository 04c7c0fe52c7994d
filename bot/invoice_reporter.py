"""The Slack side of ``services.invoicing.InvoiceReporter``: the `/invoice` modal switches to the
result and the person gets the same as a DM with the totals."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.views import invoice_modal
from bot.views.blocks import section
from services.invoicing import DraftOutcome
from services.notifier import Notifier

log = logging.getLogger(__name__)


class SlackInvoiceReporter:
    def __init__(self, client: AsyncWebClient, notifier: Notifier) -> None:
        self.client = client
        self.notifier = notifier

    async def finished(
        self, tenant_id: int, outcome: DraftOutcome, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        if view_id:
            await self._update(view_id, invoice_modal.result_view(outcome))
        if slack_user_id:
            blocks = [section(line) for line in invoice_modal.result_lines(outcome)]
            await self.notifier.direct_message(slack_user_id, invoice_modal.dm_text(outcome), blocks)

    async def waiting(
        self, tenant_id: int, invoice_id: int, reason: str, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        if view_id:
            await self._update(view_id, invoice_modal.progress_view(reason))

    async def _update(self, view_id: str, view: dict[str, object]) -> None:
        try:
            await self.client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            # The person closed the modal meanwhile: the DM still tells them.
            log.info("invoice modal %s not updated: %s", view_id, exc.response.get("error"))
