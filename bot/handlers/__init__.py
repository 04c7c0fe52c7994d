"""Slack handlers: one module per command, view or event. Each exposes ``register(app, deps)``."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import (
    account_mapping,
    app_home,
    bx_sync,
    errors,
    expense_modal,
    hours_modal,
    invoice,
    log_expense,
    log_hours,
    new_customer,
    settings_modal,
    unknown_command,
    week,
)


def register_all(app: AsyncApp, deps: BotDeps) -> None:
    for module in (
        log_hours,
        log_expense,
        invoice,
        bx_sync,
        app_home,
        settings_modal,
        hours_modal,
        expense_modal,
        week,
        account_mapping,
        new_customer,
    ):
        module.register(app, deps)
    unknown_command.register(app, deps)  # last: it matches every command

    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        respond: AsyncRespond | None = None,
        client: AsyncWebClient | None = None,
    ) -> None:
        await errors.report_failure(error, respond, body, client)
