"""`/invoice`: opens the invoice modal at once, fills it from the invoicing service, re-renders it as
choices change, and submits it. Decisions (who may invoice, what is billable, what blocks a draft)
are the service's; this module parses, calls and renders."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import account_mapping, invoice_modal, payload
from bot.views import help as help_texts
from bot.views.invoice_modal import Defaults, ModalData, ModalState
from bot.views.payload import damaged, record_id
from core.i18n import N_, _
from core.invoice_lines import Grouping
from core.keywords import keyword
from services.container import Services
from services.invoicing import InvoiceRefused, InvoiceRequest, PreviewChanged, Selection
from services.invoicing.accounts import MissingAccount, ProposalChanged, RowKind

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
            await ack(help_texts.text("/invoice"))
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
        state = await _resolved(services, tenant_id, invoice_modal.read_state(body.get("view") or {}))
        choices = await services.invoicing.customer_choices(
            tenant_id, body["value"][:200], period_from=state.period_from, period_to=state.period_to
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
            state = dataclasses.replace(state, project_id=None, ticked=None, line_texts=())
        rendered = await render(services, tenant_id, user_id, state)
        await _update(client, payload.view_id(body), view.get("hash"), rendered)

    @surfaces.options(invoice_modal.ACCOUNT_ACTION, MODAL)
    async def account_options(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        if not await services.people.is_admin(tenant_id, user_id):
            await ack(options=[])  # choosing an account is an admin's (the account mapping's rule)
            return
        found = await services.invoicing.income_accounts(tenant_id, body["value"][:200])
        await ack(options=[account_mapping.account_option(account) for account in found])

    @surfaces.action(invoice_modal.ACCOUNT_ACTION, MODAL)
    async def account_chosen(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        """An admin chose the account of a line's activity or category right in the preview."""
        await ack()
        action = body["actions"][0]
        row = _account_row(action.get("block_id"))
        account = record_id((action.get("selected_option") or {}).get("value"))
        if row is None or account is None:
            raise damaged(N_("the account"))
        if await services.people.is_admin(tenant_id, user_id):
            await services.invoicing.save_mapping(tenant_id, {row: account}, actor=user_id)
        await _rerender(services, client, body, tenant_id, user_id)

    @surfaces.action(invoice_modal.PROPOSAL_ACTION, MODAL)
    async def proposal_confirmed(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        """One click: the proposed account becomes the expense categories' account."""
        await ack()
        account = payload.action_int(body, N_("the proposed account"))
        if await services.people.is_admin(tenant_id, user_id):
            with contextlib.suppress(ProposalChanged):  # the re-rendered preview shows today's
                await services.invoicing.confirm_proposal(tenant_id, account, actor=user_id)
        await _rerender(services, client, body, tenant_id, user_id)

    @surfaces.view(invoice_modal.CALLBACK_ID, MODAL)
    async def submit(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        view = body["view"]
        state = await _resolved(services, tenant_id, invoice_modal.read_state(view))
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
            selection=selection_of(state),
            actor=user_id,
            ticked=state.ticked,
            title=state.title,
            invoice_date=state.invoice_date,
            payment_days=payment_days,
            intro=state.intro,
            use_bexio_numbering=state.use_bexio,
            fingerprint=state.fingerprint,
            reference=state.reference,
            line_texts={key: text for key, text in state.line_texts if text.strip()},
        )
        try:
            await services.invoicing.submit(
                tenant_id, request, notify={"view_id": payload.view_id(body)}, delay=SUBMIT_DELAY_SECONDS
            )
        except PreviewChanged:
            # The new preview, with what changed; its fingerprint is the one the next click submits.
            fresh = await render(
                services,
                tenant_id,
                user_id,
                dataclasses.replace(state, ticked=None),
                seen=invoice_modal.shown_lines(view),
            )
            await ack(response_action="update", view=fresh)
            return
        except InvoiceRefused as refused:
            await ack(response_action="errors", errors=invoice_modal.field_errors(refused, view))
            return
        await ack(response_action="update", view=invoice_modal.progress_view())


def _account_row(block_id: object) -> tuple[RowKind, int] | None:
    """`invoice_account:<activity|category>:<id>` → the row whose account was chosen."""
    if not isinstance(block_id, str) or not block_id.startswith(invoice_modal.ACCOUNT_BLOCK_PREFIX):
        return None
    kind, _sep, raw = block_id.removeprefix(invoice_modal.ACCOUNT_BLOCK_PREFIX).partition(":")
    row_id = record_id(raw)
    if row_id is None:
        return None
    if kind == "activity":
        return ("activity", row_id)
    if kind == "category":
        return ("category", row_id)
    return None


async def _rerender(
    services: Services, client: AsyncWebClient, body: dict[str, Any], tenant_id: int, user_id: str
) -> None:
    view = body["view"]
    state = invoice_modal.read_state(view)
    rendered = await render(
        services, tenant_id, user_id, state, tick_new=set(invoice_modal.shown_lines(view))
    )
    await _update(client, payload.view_id(body), None, rendered)


async def _resolved(services: Services, tenant_id: int, state: ModalState) -> ModalState:
    """The person's choices with the workspace's defaults where they chose nothing yet."""
    invoicing = services.invoicing
    period_from, period_to = await invoicing.default_period(tenant_id)
    grouping = await invoicing.default_grouping(tenant_id)
    return state.with_defaults(Defaults(period_from, period_to, grouping))


def selection_of(state: ModalState) -> Selection:
    """The selection of a state with its defaults filled in (`_resolved`)."""
    assert state.customer_id is not None
    return Selection(
        state.customer_id,
        state.project_id,
        state.period_from,
        state.period_to,
        state.grouping or Grouping.BY_ACTIVITY,
    )


async def render(
    services: Services,
    tenant_id: int,
    user_id: str,
    state: ModalState,
    *,
    seen: dict[str, str] | None = None,
    tick_new: set[str] | None = None,
) -> dict[str, Any]:
    """The modal for the person's current choices, loaded fresh from the invoicing service.
    ``seen``: the lines of a preview whose submit was refused because they changed since.
    ``tick_new``: the lines shown before an account was chosen — a line that is new since (its
    key names its account) is ticked, as the line it replaces was."""
    invoicing = services.invoicing
    state = await _resolved(services, tenant_id, state)
    today = invoicing.today()
    preview = None
    accounts: dict[int, str] = {}
    unbilled = None
    missing: tuple[MissingAccount, ...] = ()
    proposal = None
    is_admin = await services.people.is_admin(tenant_id, user_id)
    if state.customer_id is not None:
        preview = await invoicing.preview(tenant_id, selection_of(state), ticked=state.ticked)
    if preview is not None and tick_new is not None and state.ticked is not None:
        appeared = {line.key for line in preview.lines} - tick_new
        if appeared:
            state = dataclasses.replace(state, ticked=state.ticked | appeared)
            preview = await invoicing.preview(tenant_id, selection_of(state), ticked=state.ticked)
    if preview is not None:
        accounts = await invoicing.account_numbers(
            tenant_id, {line.account_id for line in preview.lines if line.account_id is not None}
        )
        missing = tuple(await invoicing.missing_accounts(tenant_id, preview.ticked_lines))
        if any(item.kind == "category" for item in missing):
            proposal = await invoicing.proposed_account(tenant_id)
    else:
        amounts = await invoicing.unbilled(
            tenant_id, period_from=state.period_from, period_to=state.period_to
        )
        unbilled = (len(amounts), sum(amounts.values(), Decimal("0.00")))
    invoice_date = state.invoice_date or today
    numbering = await invoicing.numbering(tenant_id, invoice_date)
    use_bexio = numbering.use_bexio_default if state.use_bexio is None else state.use_bexio
    return invoice_modal.build(
        ModalData(
            state=state,
            today=today,
            numbering=numbering,
            preview=preview,
            accounts=accounts,
            unbilled=unbilled,
            can_add_customer=is_admin,
            document_language=await invoicing.document_language(tenant_id, state.customer_id),
            missing=missing,
            proposal=proposal,
            admins=() if is_admin else tuple(await services.people.admins(tenant_id)),
            numbering_problem=await invoicing.numbering_problem(tenant_id, use_bexio, invoice_date),
            changes=invoice_modal.changes_since(seen, preview, accounts) if seen is not None else (),
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
