"""Slack handlers: one module per command, view or event. Each exposes ``register(surfaces, deps)``
and registers every handler through ``bot.handlers.surfaces`` with the surface it belongs to — the
app itself is not handed to them, and ``Surfaces.verify`` refuses a listener that went around."""

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
    language,
    log_absence,
    log_expense,
    log_hours,
    new_customer,
    onboarding,
    reminders,
    settings_modal,
    timers,
    unknown_command,
    week,
    workspace,
    write_back,
)
from bot.handlers.surfaces import Surfaces


def register_all(app: AsyncApp, deps: BotDeps) -> Surfaces:
    surfaces = Surfaces(app, deps)
    surfaces.guard()
    for module in (
        log_hours,
        log_expense,
        log_absence,
        invoice,
        bx_sync,
        app_home,
        language,
        settings_modal,
        hours_modal,
        timers,
        expense_modal,
        week,
        account_mapping,
        new_customer,
        workspace,
        onboarding,
        reminders,
        write_back,
    ):
        module.register(surfaces, deps)
    unknown_command.register(surfaces, deps)  # last: it matches every command
    surfaces.verify()

    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        respond: AsyncRespond | None = None,
        client: AsyncWebClient | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        await errors.report_failure(error, respond, body, client, context)

    return surfaces
