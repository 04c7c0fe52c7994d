"""“+ New customer” (admins), from the App Home or from inside the `/invoice` modal."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import admin_modal, modal_flow
from bot.handlers.invoice import render
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import invoice_modal, new_customer, payload
from bot.views.invoice_modal import ModalState
from core.i18n import N_, _
from services.invoicing.customers import CustomerFormError

ONLY_ADMINS = N_("Only admins can create customers.")


FORM = Surface(
    "the new-customer form", Permission.ADMIN, ONLY_ADMINS, views=frozenset({new_customer.CALLBACK_ID})
)
FROM_INVOICE = Surface(
    "+ New customer in the invoice modal",
    Permission.ADMIN,
    ONLY_ADMINS,
    views=frozenset({invoice_modal.CALLBACK_ID}),
)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    async def workspace_language(tenant_id: int) -> str | None:
        """The customer's language the form proposes: the workspace's (issue 14 §5)."""
        languages = services.languages
        return await languages.for_workspace(tenant_id) if languages is not None else None

    @surfaces.action(new_customer.OPEN_ACTION, admin_modal.HOME_ADMIN)
    async def open_from_home(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int
    ) -> None:
        await ack()
        form = new_customer.build(language=await workspace_language(tenant_id))
        await client.views_open(trigger_id=payload.trigger_id(body), view=form)

    @surfaces.action(invoice_modal.NEW_CUSTOMER_ACTION, FROM_INVOICE)
    async def open_from_invoice(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int
    ) -> None:
        await ack()
        form = new_customer.build(payload.view_id(body), await workspace_language(tenant_id))
        await client.views_push(trigger_id=payload.trigger_id(body), view=form)

    @modal_flow.on_submission(surfaces, deps, new_customer.CALLBACK_ID, FORM)
    async def create(submission: modal_flow.Submission) -> None:
        ack, view, client = submission.ack, submission.view, submission.client
        tenant_id, user_id = submission.tenant_id, submission.user_id
        typed, errors = new_customer.read(view["state"]["values"])
        if typed is None:
            await ack(response_action="errors", errors=errors)
            return
        try:
            created = await services.invoicing.create_customer(tenant_id, typed, actor=user_id)
        except CustomerFormError as exc:
            await ack(
                response_action="errors",
                errors={
                    new_customer.FIELD_BLOCKS.get(field, new_customer.NAME_BLOCK): text
                    for field, text in exc.errors.items()
                },
            )
            return
        parent = new_customer.parent_of(view)
        if parent is None:
            await ack(response_action="update", view=new_customer.created_view(created.label))
            return
        await ack()  # back to the invoice modal, which now shows the new customer
        state = dataclasses.replace(ModalState(), customer_id=created.customer_id)
        rendered = await render(services, tenant_id, user_id, state)
        if not await modal_flow.update_if_open(client, parent, rendered, "invoice"):
            await services.notifier.direct_message(
                user_id, _("✓ {customer} is ready to invoice.", customer=created.label)
            )
