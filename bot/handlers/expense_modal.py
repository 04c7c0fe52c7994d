"""The log-expense modal: opened like the hours modal, refreshed when the category changes."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import modal_flow
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import expense_modal, log_expense, payload
from bot.views.blocks import notice_modal
from bot.views.expense_modal import ExpenseModal
from bot.views.form_state import ModalContext
from core.i18n import N_, _
from core.money import format_amount
from services.container import Services
from services.entry_outcomes import FieldErrors, Refusal
from services.expenses import ExpenseForm, ExpenseRequest, StoredExpense

TITLE = N_("Log an expense")


async def open_modal(
    client: AsyncWebClient,
    services: Services,
    tenant_id: int,
    user_id: str,
    trigger_id: str,
    *,
    request: ExpenseRequest | None = None,
    ctx: ModalContext | None = None,
) -> None:
    ctx = ctx or ModalContext()
    expenses = services.expenses
    first = ExpenseModal(day=expenses.today(), context=ctx)
    if request is not None:
        first = dataclasses.replace(first, day=request.day, amount=f"{request.amount:.2f}", note=request.note)

    async def fill() -> dict[str, Any]:
        state, keep_billable = first, False
        if ctx.entry_id is not None:
            draft = await expenses.draft(tenant_id, user_id, ctx.entry_id)
            if isinstance(draft, Refusal):
                return notice_modal(_("Edit expense"), draft.message)
            state = dataclasses.replace(
                state,
                day=draft.day,
                project=draft.project,
                category_id=draft.category_id,
                amount=format_amount(draft.amount).replace("'", ""),
                note=draft.note,
                billable=draft.billable,
            )
            keep_billable = True
        elif request is not None and request.project_id is not None:
            state = dataclasses.replace(
                state, project=await services.time_entries.project_choice(tenant_id, request.project_id)
            )
        defaults = await expenses.form_defaults(tenant_id, state.category_id)
        return expense_modal.build(
            dataclasses.replace(
                state,
                categories=defaults.categories,
                category_id=state.category_id or defaults.category_id,
                billable=state.billable if keep_billable else defaults.billable,
                context=modal_flow.next_version(ctx),
            )
        )

    await modal_flow.open_then_fill(client, trigger_id, expense_modal.build(first), fill)


async def _save(
    services: Services, tenant_id: int, user_id: str, form: ExpenseForm, expense_id: int | None
) -> StoredExpense | FieldErrors | Refusal:
    return await services.expenses.submit_form(tenant_id, user_id, form, expense_id=expense_id)


def _confirmed(stored: StoredExpense) -> tuple[str, int]:
    return log_expense.confirmation_line(stored), stored.expense_id


FORM = Surface("the log-expense form", Permission.ANYONE, views=frozenset({expense_modal.CALLBACK_ID}))
RESULT = Surface(
    "the log-expense result", Permission.ANYONE, views=frozenset({expense_modal.DONE_CALLBACK_ID})
)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    modal_flow.register_project_options(surfaces, deps, expense_modal.PROJECT_ACTION, FORM)

    @surfaces.action(expense_modal.CATEGORY_ACTION, FORM)
    async def refresh_billable(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int
    ) -> None:
        await ack()
        view = body["view"]
        state = expense_modal.current(view, services.expenses.today())
        defaults = await services.expenses.form_defaults(tenant_id, state.category_id)
        new_view = expense_modal.build(
            dataclasses.replace(
                state,
                categories=defaults.categories,
                category_id=defaults.category_id,
                billable=defaults.billable,
                context=modal_flow.next_version(state.context),
            )
        )
        await modal_flow.update_if_open(client, payload.view_id(body), new_view, "expense")

    modal_flow.register_save(
        surfaces,
        deps,
        modal_flow.FormSave(
            callback_id=expense_modal.CALLBACK_ID,
            title=TITLE,
            logged_title=N_("Expense logged"),
            saved_title=N_("Expense saved"),
            submitted=expense_modal.submitted,
            save=_save,
            errors_by_block=expense_modal.errors_by_block,
            confirmed=_confirmed,
            done=expense_modal.done,
        ),
        FORM,
    )
    modal_flow.register_undo(
        surfaces, deps, expense_modal.UNDO_ACTION, services.expenses.delete, N_("Expense logged"), RESULT
    )
