"""`/invoice`: opens the invoice modal at once, fills it from the invoicing service, re-renders it as
choices change, and submits it. Decisions (who may invoice, what is billable, what blocks a draft)
are the service's; this module parses, calls and renders."""

from __future__ import annotations

import dataclasses
import logging
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import help as help_texts
from bot.views import invoice_modal, payload
from bot.views.invoice_modal import ModalData, ModalState
from core.i18n import N_, _
from core.keywords import keyword
from services.container import Services
from services.invoicing import InvoiceRefused, InvoiceRequest, PreviewChanged, Selection

log = logging.getLogger(__name__)

NOT_ALLOWED = N_(
    "Only admins and the people in the setting `billing_users` can invoice. "
    "Ask an admin to add you: `bxhours settings set billing_users <your Slack id>`."
)
SUBMIT_DELAY_SECONDS = 1.0
"""The push waits this long, so Slack shows "Creating the draft…" before the worker's update."""


INVOICING = Surface("/invoice", Permission.BILLING, NOT_ALLOWED)
MODAL = Surface(
    "the invoice modal", Permission.BILLING, NOT_ALLOWED, views=frozenset({invoice_modal.CALLBACK_ID})
)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.command("/invoice", INVOICING)
    async def handle(
        ack: AsyncAck, command: dict[str, str], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        words = command.get("text", "").split()
        if words and keyword(words[0]) == "help":
            await ack(help_texts.INVOICE)
            return
        if words:
            await ack(help_texts.unknown_subcommand("/invoice", words[0]))
            return
        await ack()
        opened = await client.views_open(
            trigger_id=payload.trigger_id(command), view=invoice_modal.loading_view()
        )
        view = opened["view"]
        rendered = await render(services, tenant_id, user_id, ModalState())
        await _update(client, view["id"], view.get("hash"), rendered)

    @surfaces.options(invoice_modal.CUSTOMER_ACTION, MODAL)
    async def customer_options(ack: AsyncAck, body: dict[str, Any], tenant_id: int) -> None:
        state = invoice_modal.read_state(body.get("view") or {})
        period_to = state.period_end(services.invoicing.default_period_end())
        choices = await services.invoicing.customer_choices(
            tenant_id, body["value"][:200], period_from=state.period_from, period_to=period_to
        )
        await ack(option_groups=invoice_modal.customer_option_groups(choices))

    @surfaces.action(invoice_modal.REFRESH_ACTIONS, MODAL)
    async def refresh(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        view = body["view"]
        state = invoice_modal.read_state(view)
        if body["actions"][0]["action_id"] == invoice_modal.CUSTOMER_ACTION:
            state = dataclasses.replace(state, project_id=None, ticked=None)
        rendered = await render(services, tenant_id, user_id, state)
        await _update(client, payload.view_id(body), view.get("hash"), rendered)

    @surfaces.view(invoice_modal.CALLBACK_ID, MODAL)
    async def submit(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        view = body["view"]
        state = invoice_modal.read_state(view)
        if state.customer_id is None:
            await ack(
                response_action="errors", errors={invoice_modal.CUSTOMER_BLOCK: _("Choose a customer.")}
            )
            return
        payment_days = _payment_days(state.payment_days)
        if payment_days is None:
            await ack(
                response_action="errors",
                errors={invoice_modal.PAYMENT_BLOCK: _("Give the payment term in whole days, e.g. 30.")},
            )
            return
        request = InvoiceRequest(
            selection=selection_of(services, state),
            actor=user_id,
            ticked=state.ticked,
            title=state.title,
            invoice_date=state.invoice_date,
            payment_days=payment_days,
            intro=state.intro,
            use_bexio_numbering=state.use_bexio,
            fingerprint=state.fingerprint,
        )
        try:
            await services.invoicing.submit(
                tenant_id, request, notify={"view_id": payload.view_id(body)}, delay=SUBMIT_DELAY_SECONDS
            )
        except PreviewChanged as changed:
            fresh = await render(services, tenant_id, user_id, dataclasses.replace(state, ticked=None))
            fresh["blocks"] = [invoice_modal.notice(changed.message), *fresh["blocks"]][:100]
            await ack(response_action="update", view=fresh)
            return
        except InvoiceRefused as refused:
            await ack(response_action="errors", errors=invoice_modal.field_errors(refused, view))
            return
        await ack(response_action="update", view=invoice_modal.progress_view())


def selection_of(services: Services, state: ModalState) -> Selection:
    assert state.customer_id is not None
    period_to = state.period_end(services.invoicing.default_period_end())
    return Selection(state.customer_id, state.project_id, state.period_from, period_to, state.grouping)


async def render(services: Services, tenant_id: int, user_id: str, state: ModalState) -> dict[str, Any]:
    """The modal for the person's current choices, loaded fresh from the invoicing service."""
    invoicing = services.invoicing
    today = invoicing.today()
    preview = None
    accounts: dict[int, str] = {}
    unbilled = None
    if state.customer_id is not None:
        preview = await invoicing.preview(tenant_id, selection_of(services, state), ticked=state.ticked)
    if preview is not None:
        accounts = await invoicing.account_numbers(
            tenant_id, {line.account_id for line in preview.lines if line.account_id is not None}
        )
    else:
        period_to = state.period_end(invoicing.default_period_end())
        amounts = await invoicing.unbilled(tenant_id, period_from=state.period_from, period_to=period_to)
        unbilled = (len(amounts), sum(amounts.values(), Decimal("0.00")))
    return invoice_modal.build(
        ModalData(
            state=state,
            default_period_to=invoicing.default_period_end(),
            today=today,
            numbering=await invoicing.numbering(tenant_id, state.invoice_date or today),
            preview=preview,
            accounts=accounts,
            unbilled=unbilled,
            can_add_customer=await services.people.is_admin(tenant_id, user_id),
            document_language=await invoicing.document_language(tenant_id, state.customer_id),
        )
    )


async def _update(client: AsyncWebClient, view_id: str, view_hash: str | None, view: dict[str, Any]) -> None:
    try:
        await client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "hash_conflict":
            # The person changed something else meanwhile; that action renders the newer state.
            log.debug("invoice modal %s changed meanwhile; skipping a stale render", view_id)
        elif error == "not_found":
            log.info("invoice modal %s is closed; nothing to render", view_id)
        else:
            raise


def _payment_days(raw: str | None) -> int | None:
    if raw is None:
        return invoice_modal.DEFAULT_PAYMENT_DAYS
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else None
