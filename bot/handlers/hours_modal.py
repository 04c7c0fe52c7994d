"""The log-hours modal: open it inside the trigger window, fill it, refresh its defaults, save it."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import modal_flow
from bot.views import hours_modal, log_hours
from bot.views.blocks import notice_modal
from bot.views.form_state import ModalContext
from bot.views.hours_modal import HoursModal
from core.durations import format_duration
from services.container import Services
from services.entry_outcomes import Refusal
from services.time_entries import HoursRequest, StoredEntry

TITLE = "Log hours"


async def open_modal(
    client: AsyncWebClient,
    services: Services,
    tenant_id: int,
    user_id: str,
    trigger_id: str,
    *,
    request: HoursRequest | None = None,
    ctx: ModalContext | None = None,
) -> None:
    """Open at once with what needs no database (the trigger dies after 3 s), then fill it."""
    ctx = ctx or ModalContext()
    state = HoursModal(day=services.time_entries.today(), context=ctx)
    if request is not None:
        state = dataclasses.replace(
            state,
            day=request.day,
            duration=format_duration(request.minutes),
            note=request.note,
            billable=request.billable is not False,
        )
    opened = await client.views_open(trigger_id=trigger_id, view=hours_modal.build(state))
    view_id = opened["view"]["id"]
    entries = services.time_entries
    if ctx.entry_id is not None:
        draft = await entries.draft(tenant_id, user_id, ctx.entry_id)
        if isinstance(draft, Refusal):
            await client.views_update(view_id=view_id, view=notice_modal("Edit hours", draft.message))
            return
        state = dataclasses.replace(
            state,
            day=draft.day,
            project=draft.project,
            activity_id=draft.activity_id,
            duration=format_duration(draft.minutes),
            note=draft.note,
            billable=draft.billable,
        )
    elif request is not None and request.project_id is not None:
        state = dataclasses.replace(
            state, project=await entries.project_choice(tenant_id, request.project_id)
        )
    project_id = state.project.id if state.project else None
    defaults = await entries.form_defaults(tenant_id, user_id, project_id, state.activity_id)
    if isinstance(defaults, Refusal):
        await client.views_update(view_id=view_id, view=notice_modal(TITLE, defaults.message))
        return
    keep_billable = ctx.entry_id is not None or (request is not None and request.billable is not None)
    state = dataclasses.replace(
        state,
        activities=defaults.activities,
        activity_id=state.activity_id or defaults.activity_id,
        billable=state.billable if keep_billable else defaults.billable,
        context=dataclasses.replace(ctx, version=ctx.version + 1),
    )
    await client.views_update(view_id=view_id, view=hours_modal.build(state))


def register(app: AsyncApp, deps: BotDeps) -> None:
    services = deps.services
    modal_flow.register_project_options(app, deps, hours_modal.PROJECT_ACTION)

    @app.action(hours_modal.PROJECT_ACTION)
    @app.action(hours_modal.ACTIVITY_ACTION)
    async def refresh_defaults(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        """A new project brings its activities and the person's usual one; a new activity its
        billable default."""
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        view = body["view"]
        state = hours_modal.current(view, services.time_entries.today())
        activity_changed = body["actions"][0]["action_id"] == hours_modal.ACTIVITY_ACTION
        defaults = await services.time_entries.form_defaults(
            tenant_id,
            body["user"]["id"],
            state.project.id if state.project else None,
            state.activity_id if activity_changed else None,
        )
        if isinstance(defaults, Refusal):
            new_view = notice_modal(TITLE, defaults.message)
        else:
            new_view = hours_modal.build(
                dataclasses.replace(
                    state,
                    activities=defaults.activities,
                    activity_id=defaults.activity_id,
                    billable=defaults.billable,
                    context=dataclasses.replace(state.context, version=state.context.version + 1),
                )
            )
        await modal_flow.update_if_open(client, view["id"], new_view, "hours")

    @modal_flow.on_submission(app, deps, hours_modal.CALLBACK_ID)
    async def submit(submission: modal_flow.Submission) -> None:
        form, ctx = hours_modal.submitted(submission.view)
        result = await services.time_entries.submit_form(
            submission.tenant_id, submission.user_id, form, entry_id=ctx.entry_id
        )
        if await modal_flow.answered_problem(submission, result, TITLE, hours_modal.errors_by_block):
            return
        assert isinstance(result, StoredEntry)
        line = log_hours.confirmation_line(result)
        if result.missing_rate:
            line += f"\n⚠️ {result.missing_rate}."
        editing = ctx.entry_id is not None
        done = hours_modal.done(
            "Hours saved" if editing else "Hours logged",
            line,
            undo=None if editing else result.entry_id,
            ctx=ctx,
        )
        await modal_flow.show_done(submission, done, ctx)

    modal_flow.register_undo(app, deps, hours_modal.UNDO_ACTION, services.time_entries.delete, "Hours logged")
