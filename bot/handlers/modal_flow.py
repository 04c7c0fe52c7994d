"""What every form handler does alike, written once: who submitted a modal for which workspace,
how field errors and refusals are answered, how a modal is refreshed, how “Undo” ends in a modal.

The hours and expense modals only differ in their service and their words; keeping the Slack
mechanics here means both answer a bad field, a closed modal or an undo the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import refresh
from bot.views.blocks import notice_modal, option
from bot.views.form_state import ModalContext
from services.container import Services
from services.entry_outcomes import FieldErrors, Refusal, Removed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Submission:
    """A modal submitted by ``user_id`` in the workspace of ``tenant_id``."""

    ack: AsyncAck
    body: dict[str, Any]
    view: dict[str, Any]
    client: AsyncWebClient
    services: Services
    tenant_id: int
    user_id: str


SubmissionHandler = Callable[[Submission], Awaitable[None]]


def on_submission(
    app: AsyncApp, deps: BotDeps, callback_id: str
) -> Callable[[SubmissionHandler], SubmissionHandler]:
    """Register a view-submission handler that receives the tenant and the person already resolved."""

    def register(handler: SubmissionHandler) -> SubmissionHandler:
        @app.view(callback_id)
        async def submitted(
            ack: AsyncAck,
            body: dict[str, Any],
            view: dict[str, Any],
            client: AsyncWebClient,
            context: dict[str, Any],
        ) -> None:
            tenant_id = await deps.tenant_id(context.get("team_id"))
            await handler(Submission(ack, body, view, client, deps.services, tenant_id, body["user"]["id"]))

        return handler

    return register


def register_project_options(app: AsyncApp, deps: BotDeps, action_id: str) -> None:
    """The project type-ahead of a form: active projects by number or name."""

    @app.options(action_id)
    async def project_options(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
        tenant_id = await deps.tenant_id(context.get("team_id"))
        found = await deps.services.time_entries.search_projects(tenant_id, str(body.get("value", "")))
        await ack(options=[option(choice.label, str(choice.id)) for choice in found])


async def answered_problem(
    submission: Submission,
    result: object,
    title: str,
    errors_by_block: Callable[[dict[str, Any], dict[str, str]], dict[str, str]],
) -> bool:
    """Answer field errors under their fields (or in a notice when no field shows them) and
    refusals in a notice; True when ``result`` was one of them and the submission is answered."""
    ack = submission.ack
    if isinstance(result, FieldErrors):
        errors = errors_by_block(submission.view, result.errors)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack(response_action="update", view=notice_modal(title, " ".join(result.errors.values())))
        return True
    if isinstance(result, Refusal):
        await ack(response_action="update", view=notice_modal(title, result.message))
        return True
    return False


async def update_if_open(client: AsyncWebClient, view_id: str, view: dict[str, Any], what: str) -> None:
    """Refresh a modal that the person may have closed or submitted meanwhile: then nothing to do."""
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("could not refresh the %s modal: %s", what, exc.response.get("error"))


async def show_done(submission: Submission, done: dict[str, Any], ctx: ModalContext) -> None:
    """The modal turns into its result; where it was opened from (week, message) shows the change."""
    await submission.ack(response_action="update", view=done)
    await refresh.after_change(
        submission.client, submission.services, submission.tenant_id, submission.user_id, ctx
    )


def register_undo(
    app: AsyncApp,
    deps: BotDeps,
    action_id: str,
    delete: Callable[[int, str, int], Awaitable[Removed | Refusal]],
    title: str,
) -> None:
    """The “Undo” button of a modal's result: delete what was just logged, say so, refresh where
    it was shown."""

    @app.action(action_id)
    async def undo(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        user_id = body["user"]["id"]
        removed = await delete(tenant_id, user_id, int(body["actions"][0]["value"]))
        text = (
            removed.message if isinstance(removed, Refusal) else f"↩️ Undone — {removed.summary} is deleted."
        )
        await client.views_update(view_id=body["view"]["id"], view=notice_modal(title, text))
        await refresh.after_change(
            client, deps.services, tenant_id, user_id, ModalContext.load(body["view"].get("private_metadata"))
        )
