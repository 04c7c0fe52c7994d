"""The log-hours modal: open it inside the trigger window, fill it, refresh its defaults, save it."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import modal_flow
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import hours_modal, log_hours, payload
from bot.views.blocks import notice_modal
from bot.views.form_state import ModalContext
from bot.views.hours_modal import HoursModal
from bot.views.payload import PayloadError
from core.durations import format_duration
from core.i18n import N_, _
from services import recents
from services.container import Services
from services.entry_outcomes import FieldErrors, Refusal
from services.time_entries import HoursForm, HoursRequest, StoredEntry

TITLE = N_("Log hours")
DAMAGED_RECENT = N_("That choice is out of date or damaged, so nothing was filled in. Open the form again.")


async def open_modal(
    client: AsyncWebClient,
    services: Services,
    tenant_id: int,
    user_id: str,
    trigger_id: str,
    *,
    request: HoursRequest | None = None,
    ctx: ModalContext | None = None,
    combination: tuple[int, int] | None = None,
) -> None:
    """Open at once with what needs no database (the trigger dies after 3 s), then fill it —
    with a recent ``combination`` (project id, activity id) when one was clicked."""
    ctx = ctx or ModalContext()
    entries = services.time_entries
    first = HoursModal(day=entries.today(), context=ctx)
    if request is not None:
        first = dataclasses.replace(
            first,
            day=request.day,
            duration=format_duration(request.minutes),
            note=request.note,
            billable=request.billable is not False,
        )

    async def fill() -> dict[str, Any]:
        state = first
        if ctx.entry_id is not None:
            draft = await entries.draft(tenant_id, user_id, ctx.entry_id)
            if isinstance(draft, Refusal):
                return notice_modal(_("Edit hours"), draft.message)
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
        elif combination is not None and services.recents is not None:
            picked = await services.recents.combination(tenant_id, *combination)
            if not isinstance(picked, Refusal):
                state = dataclasses.replace(state, project=picked[0], activity_id=picked[1])
        if ctx.entry_id is None and services.recents is not None:
            state = dataclasses.replace(state, recents=tuple(await services.recents.of(tenant_id, user_id)))
        project_id = state.project.id if state.project else None
        defaults = await entries.form_defaults(tenant_id, user_id, project_id, state.activity_id)
        if isinstance(defaults, Refusal):
            return notice_modal(_(TITLE), defaults.message)
        keep_billable = ctx.entry_id is not None or (request is not None and request.billable is not None)
        return hours_modal.build(
            dataclasses.replace(
                state,
                activities=defaults.activities,
                activity_id=state.activity_id or defaults.activity_id,
                billable=state.billable if keep_billable else defaults.billable,
                context=modal_flow.next_version(ctx),
            )
        )

    await modal_flow.open_then_fill(client, trigger_id, hours_modal.build(first), fill)


async def _save(
    services: Services, tenant_id: int, user_id: str, form: HoursForm, entry_id: int | None
) -> StoredEntry | FieldErrors | Refusal:
    return await services.time_entries.submit_form(tenant_id, user_id, form, entry_id=entry_id)


def _confirmed(stored: StoredEntry) -> tuple[str, int]:
    """The line, and which rate is missing when one is."""
    line = log_hours.confirmation_line(stored)
    if stored.missing_rate:
        line += f"\n⚠️ {stored.missing_rate}."
    return line, stored.entry_id


FORM = Surface("the log-hours form", Permission.ANYONE, views=frozenset({hours_modal.CALLBACK_ID}))
RESULT = Surface("the log-hours result", Permission.ANYONE, views=frozenset({hours_modal.DONE_CALLBACK_ID}))


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services
    modal_flow.register_project_options(surfaces, deps, hours_modal.PROJECT_ACTION, FORM)

    @surfaces.action(hours_modal.RECENT_ACTION, FORM)
    async def recent_picked(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        """A recent combination was picked (issue 17 §3): its project and activity, looked up again,
        fill in the form with their defaults; what else the person typed stays."""
        await ack()
        pair = recents.chosen(payload.selected_value(body))
        if pair is None or services.recents is None:
            raise PayloadError(_(DAMAGED_RECENT), "a recent combination value that names none")
        state = hours_modal.current(body["view"], services.time_entries.today())
        picked = await services.recents.combination(tenant_id, *pair)
        recents_now = tuple(await services.recents.of(tenant_id, user_id))
        if isinstance(picked, Refusal):  # the form stays as filled in, the reason under the list
            kept = await services.time_entries.form_defaults(
                tenant_id, user_id, state.project.id if state.project else None, state.activity_id
            )
            new_view = (
                notice_modal(_(TITLE), kept.message)
                if isinstance(kept, Refusal)
                else hours_modal.build(
                    dataclasses.replace(
                        state,
                        activities=kept.activities,
                        activity_id=state.activity_id or kept.activity_id,
                        recents=recents_now,
                        recent_problem=picked.message,
                        context=modal_flow.next_version(state.context),
                    )
                )
            )
        else:
            project, activity_id = picked
            defaults = await services.time_entries.form_defaults(tenant_id, user_id, project.id, activity_id)
            if isinstance(defaults, Refusal):
                new_view = notice_modal(_(TITLE), defaults.message)
            else:
                new_view = hours_modal.build(
                    dataclasses.replace(
                        state,
                        project=project,
                        activities=defaults.activities,
                        activity_id=defaults.activity_id,
                        billable=defaults.billable,
                        recents=recents_now,
                        project_picked=True,
                        context=modal_flow.next_version(state.context),
                    )
                )
        await modal_flow.update_if_open(client, payload.view_id(body), new_view, "hours")

    @surfaces.action(hours_modal.PROJECT_ACTION, FORM)
    @surfaces.action(hours_modal.ACTIVITY_ACTION, FORM)
    async def refresh_defaults(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        """A new project brings its activities and the person's usual one; a new activity its
        billable default."""
        await ack()
        view = body["view"]
        state = hours_modal.current(view, services.time_entries.today())
        activity_changed = body["actions"][0]["action_id"] == hours_modal.ACTIVITY_ACTION
        defaults = await services.time_entries.form_defaults(
            tenant_id,
            user_id,
            state.project.id if state.project else None,
            state.activity_id if activity_changed else None,
        )
        if isinstance(defaults, Refusal):
            new_view = notice_modal(_(TITLE), defaults.message)
        else:
            shown = services.recents is not None and state.context.entry_id is None
            new_view = hours_modal.build(
                dataclasses.replace(
                    state,
                    activities=defaults.activities,
                    activity_id=defaults.activity_id,
                    billable=defaults.billable,
                    recents=tuple(await services.recents.of(tenant_id, user_id))
                    if shown and services.recents is not None
                    else (),
                    context=modal_flow.next_version(state.context),
                )
            )
        await modal_flow.update_if_open(client, payload.view_id(body), new_view, "hours")

    modal_flow.register_save(
        surfaces,
        deps,
        modal_flow.FormSave(
            callback_id=hours_modal.CALLBACK_ID,
            title=TITLE,
            logged_title=N_("Hours logged"),
            saved_title=N_("Hours saved"),
            submitted=hours_modal.submitted,
            save=_save,
            errors_by_block=hours_modal.errors_by_block,
            confirmed=_confirmed,
            done=hours_modal.done,
        ),
        FORM,
    )
    modal_flow.register_undo(
        surfaces, deps, hours_modal.UNDO_ACTION, services.time_entries.delete, N_("Hours logged"), RESULT
    )
