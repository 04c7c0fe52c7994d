"""“+ New customer” (admins), from the App Home or from inside the `/invoice` modal."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import modal_flow
from bot.handlers.invoice import render
from bot.views import invoice_modal, new_customer
from bot.views.invoice_modal import ModalState
from services.invoicing.customers import CustomerFormError

ONLY_ADMINS = "Only admins can create customers."


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services

    async def is_admin(body: dict[str, Any], context: dict[str, Any]) -> bool:
        tenant_id = await deps.tenant_id(context.get("team_id"))
        return await services.people.is_admin(tenant_id, body["user"]["id"])

    @app.action(new_customer.OPEN_ACTION)
    async def open_from_home(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        if await is_admin(body, context):
            await client.views_open(trigger_id=body["trigger_id"], view=new_customer.build())

    @app.action(invoice_modal.NEW_CUSTOMER_ACTION)
    async def open_from_invoice(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        if await is_admin(body, context):
            await client.views_push(
                trigger_id=body["trigger_id"], view=new_customer.build(body["view"]["id"])
            )

    @modal_flow.on_submission(app, deps, new_customer.CALLBACK_ID)
    async def create(submission: modal_flow.Submission) -> None:
        ack, view, client = submission.ack, submission.view, submission.client
        tenant_id, user_id = submission.tenant_id, submission.user_id
        if not await services.people.is_admin(tenant_id, user_id):
            await ack(response_action="errors", errors={new_customer.NAME_BLOCK: ONLY_ADMINS})
            return
        typed, errors = new_customer.read((view.get("state") or {}).get("values") or {})
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
        await client.views_update(view_id=parent, view=await render(services, tenant_id, user_id, state))
