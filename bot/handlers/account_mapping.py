"""Settings → Account mapping, opened from the App Home by admins."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import admin_modal, modal_flow
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import account_mapping, payload
from core.i18n import N_
from services.container import Services
from services.invoicing.accounts import ProposalChanged, RowKind

ONLY_ADMINS = N_("Only admins can change the account mapping.")


async def _mapping_modal(services: Services, tenant_id: int, page: int = 0) -> dict[str, Any]:
    invoicing = services.invoicing
    return account_mapping.build(
        await invoicing.mapping_rows(tenant_id), page, await invoicing.proposed_account(tenant_id)
    )


MAPPING = Surface(
    "the account mapping", Permission.ADMIN, ONLY_ADMINS, views=frozenset({account_mapping.CALLBACK_ID})
)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    admin_modal.register_opener(surfaces, deps, account_mapping.OPEN_ACTION, _mapping_modal)

    @surfaces.action(account_mapping.HOME_PROPOSAL_ACTION, admin_modal.HOME_ADMIN)
    async def confirm_from_home(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        """The setup checklist's one click: the proposed account for the expense categories."""
        await ack()
        account = payload.action_int(body, N_("the proposed account"))
        with contextlib.suppress(ProposalChanged):  # the refreshed App Home shows today's proposal
            await services.invoicing.confirm_proposal(tenant_id, account, actor=user_id)
        await services.notifier.refresh_home(tenant_id, user_id)

    @surfaces.action(account_mapping.PROPOSAL_ACTION, MAPPING)
    async def confirm_in_mapping(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        view = body["view"]
        account = payload.action_int(body, N_("the proposed account"))
        await _save(services, tenant_id, user_id, view)  # what was chosen on the page stays chosen
        with contextlib.suppress(ProposalChanged):
            await services.invoicing.confirm_proposal(tenant_id, account, actor=user_id)
        await modal_flow.update_if_open(
            client, payload.view_id(body), await _mapping_modal(services, tenant_id), "account mapping"
        )

    @surfaces.options(account_mapping.ACCOUNT_ACTION, MAPPING)
    async def account_options(ack: AsyncAck, body: dict[str, Any], tenant_id: int) -> None:
        found = await services.invoicing.income_accounts(tenant_id, body["value"][:200])
        await ack(options=[account_mapping.account_option(account) for account in found])

    @surfaces.action(account_mapping.ACCOUNT_ACTION, MAPPING)
    async def chosen(ack: AsyncAck) -> None:
        await ack()  # saved with the page; nothing to do per choice

    @surfaces.action(account_mapping.PAGE_ACTION, MAPPING)
    async def turn_page(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        view = body["view"]
        await _save(services, tenant_id, user_id, view)
        page = payload.action_int(body, N_("the page")) if payload.action_value(body) else 0
        await modal_flow.update_if_open(
            client,
            payload.view_id(body),
            await _mapping_modal(services, tenant_id, page),
            "account mapping",
            view.get("hash"),
        )

    @surfaces.view(account_mapping.CALLBACK_ID, MAPPING)
    async def save(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        errors = await _save(services, tenant_id, user_id, body["view"])
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
    chosen = account_mapping.submitted_choices(view["state"]["values"])
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
