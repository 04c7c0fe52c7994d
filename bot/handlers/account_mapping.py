"""Settings → Account mapping, opened from the App Home by admins."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import admin_modal
from bot.views import account_mapping
from services.container import Services
from services.invoicing.accounts import RowKind

ONLY_ADMINS = "Only admins can change the account mapping."


async def _mapping_modal(services: Services, tenant_id: int) -> dict[str, Any]:
    return account_mapping.build(await services.invoicing.mapping_rows(tenant_id))


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services

    admin_modal.register_opener(app, deps, account_mapping.OPEN_ACTION, _mapping_modal)

    @app.options(account_mapping.ACCOUNT_ACTION)
    async def account_options(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
        tenant_id = await deps.tenant_id(context.get("team_id"))
        found = await services.invoicing.income_accounts(tenant_id, body.get("value", ""))
        await ack(options=[account_mapping.account_option(account) for account in found])

    @app.action(account_mapping.ACCOUNT_ACTION)
    async def chosen(ack: AsyncAck) -> None:
        await ack()  # saved with the page; nothing to do per choice

    @app.action(account_mapping.PAGE_ACTION)
    async def turn_page(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        if not await services.people.is_admin(tenant_id, user_id):
            return
        view = body["view"]
        await _save(services, tenant_id, user_id, view)
        rows = await services.invoicing.mapping_rows(tenant_id)
        page = int(body["actions"][0].get("value") or 0)
        await client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=account_mapping.build(rows, page)
        )

    @app.view(account_mapping.CALLBACK_ID)
    async def save(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
    ) -> None:
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        if not await services.people.is_admin(tenant_id, user_id):
            first = next((b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"), None)
            if first is None:
                await ack()
                return
            await ack(response_action="errors", errors={first: ONLY_ADMINS})
            return
        errors = await _save(services, tenant_id, user_id, view)
        if errors:
            await ack(
                response_action="errors",
                errors={
                    account_mapping.block_id_for(kind, row_id): text
                    for (kind, row_id), text in errors.items()
                },
            )
            return
        await ack()
        await services.notifier.refresh_home(tenant_id, user_id)


async def _save(
    services: Services, tenant_id: int, user_id: str, view: dict[str, Any]
) -> dict[tuple[RowKind, int], str]:
    chosen = account_mapping.submitted_choices((view.get("state") or {}).get("values") or {})
    current = {
        (row.kind, row.id): (row.account.bexio_id if row.account else None)
        for row in await services.invoicing.mapping_rows(tenant_id)
    }
    changes: dict[tuple[RowKind, int], int | None] = {
        key: account for key, account in chosen.items() if key in current and current[key] != account
    }
    if not changes:
        return {}
    return await services.invoicing.save_mapping(tenant_id, changes, actor=user_id)
