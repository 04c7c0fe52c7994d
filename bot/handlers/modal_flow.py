"""What every form handler does alike, written once: who submitted a modal for which workspace,
how field errors and refusals are answered, how a modal is refreshed, how “Undo” ends in a modal.

The hours and expense modals only differ in their service and their words; keeping the Slack
mechanics here means both answer a bad field, a closed modal or an undo the same way.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import refresh
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Surface, Surfaces
from bot.views import payload
from bot.views.blocks import notice_modal, option
from bot.views.form_state import ModalContext
from core.i18n import N_, _
from services.container import Services
from services.entry_outcomes import FieldErrors, Refusal, Removed
from services.project_picker import search_projects

log = logging.getLogger(__name__)

Form = TypeVar("Form")
Saved = TypeVar("Saved")


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
    surfaces: Surfaces, deps: BotDeps, callback_id: str, surface: Surface
) -> Callable[[SubmissionHandler], SubmissionHandler]:
    """Register a view-submission handler that receives the tenant and the person already resolved."""

    def register(handler: SubmissionHandler) -> SubmissionHandler:
        @surfaces.view(callback_id, surface)
        async def submitted(
            ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
        ) -> None:
            await handler(Submission(ack, body, body["view"], client, deps.services, tenant_id, user_id))

        return handler

    return register


def register_project_options(surfaces: Surfaces, deps: BotDeps, action_id: str, surface: Surface) -> None:
    """The project type-ahead of a form: active projects by number, name or customer, each shown
    with its customer ("Website Relaunch · Steiner AG")."""

    @surfaces.options(action_id, surface)
    async def project_options(ack: AsyncAck, body: dict[str, Any], tenant_id: int) -> None:
        found = await search_projects(deps.services.db, tenant_id, body["value"][:200])
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


async def open_then_fill(
    client: AsyncWebClient,
    trigger_id: str,
    first: dict[str, Any],
    fill: Callable[[], Awaitable[dict[str, Any]]],
) -> None:
    """Open at once with what needs no database (Slack's trigger dies after 3 s), then replace it
    with what ``fill`` makes of the database: the filled-in form or a notice why it cannot be."""
    opened = await client.views_open(trigger_id=trigger_id, view=first)
    await client.views_update(view_id=opened["view"]["id"], view=await fill())


def next_version(ctx: ModalContext) -> ModalContext:
    """A modal rebuilt with new defaults gets new block ids, or Slack keeps showing the old values."""
    return dataclasses.replace(ctx, version=ctx.version + 1)


async def update_if_open(
    client: AsyncWebClient, view_id: str, view: dict[str, Any], what: str, view_hash: str | None = None
) -> bool:
    """Refresh a modal that the person may have closed, submitted or changed meanwhile: then
    nothing to do (False)."""
    try:
        await client.views_update(view_id=view_id, view=view, hash=view_hash)
    except SlackApiError as exc:
        log.info("could not refresh the %s modal: %s", what, exc.response.get("error"))
        return False
    return True


async def show_done(submission: Submission, done: dict[str, Any], ctx: ModalContext) -> None:
    """The modal turns into its result; where it was opened from (week, message) shows the change."""
    await submission.ack(response_action="update", view=done)
    await refresh.after_change(
        submission.client, submission.services, submission.tenant_id, submission.user_id, ctx
    )


DoneView = Callable[..., dict[str, Any]]
"""A form view's ``done(title, line, *, undo, ctx)``."""


@dataclass(frozen=True)
class FormSave(Generic[Form, Saved]):
    """What sets one entry form's submission apart: how it is read, saved and confirmed."""

    callback_id: str
    title: str
    """Of the notice that shows a refusal (marked with ``N_``, translated when shown)."""
    logged_title: str
    """Of the result of a new record: “Hours logged” (marked with ``N_``)."""
    saved_title: str
    """Of the result of an edited record: “Hours saved” (marked with ``N_``)."""
    submitted: Callable[[dict[str, Any]], tuple[Form, ModalContext]]
    save: Callable[[Services, int, str, Form, int | None], Awaitable[Saved | FieldErrors | Refusal]]
    """Store a new record (``None``) or change the one being edited."""
    errors_by_block: Callable[[dict[str, Any], dict[str, str]], dict[str, str]]
    confirmed: Callable[[Saved], tuple[str, int]]
    """The confirmation line and the id of what was saved."""
    done: DoneView


def register_save(surfaces: Surfaces, deps: BotDeps, spec: FormSave[Any, Any], surface: Surface) -> None:
    """Save a submitted form: field errors under their fields, refusals in a notice; else the
    modal says what was saved — “logged” with Undo for a new record, “saved” for an edited one."""

    @on_submission(surfaces, deps, spec.callback_id, surface)
    async def submit(submission: Submission) -> None:
        form, ctx = spec.submitted(submission.view)
        result = await spec.save(
            submission.services, submission.tenant_id, submission.user_id, form, ctx.entry_id
        )
        if await answered_problem(submission, result, _(spec.title), spec.errors_by_block):
            return
        line, record_id = spec.confirmed(result)
        editing = ctx.entry_id is not None
        done = spec.done(
            _(spec.saved_title) if editing else _(spec.logged_title),
            line,
            undo=None if editing else record_id,
            ctx=ctx,
        )
        await show_done(submission, done, ctx)


def register_undo(
    surfaces: Surfaces,
    deps: BotDeps,
    action_id: str,
    delete: Callable[[int, str, int], Awaitable[Removed | Refusal]],
    title: str,
    surface: Surface,
) -> None:
    """The “Undo” button of a modal's result: delete what was just logged, say so, refresh where
    it was shown; when the modal cannot show it any more, a direct message does."""

    @surfaces.action(action_id, surface)
    async def undo(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        removed = await delete(tenant_id, user_id, payload.action_int(body, N_("the entry")))
        text = (
            removed.message
            if isinstance(removed, Refusal)
            else _("↩️ Undone — {summary} is deleted.", summary=removed.summary)
        )
        view = body["view"]
        if not await update_if_open(client, view["id"], notice_modal(_(title), text), "undo"):
            await tell.direct(text=text)
        await refresh.after_change(
            client, deps.services, tenant_id, user_id, ModalContext.load(view["private_metadata"])
        )
