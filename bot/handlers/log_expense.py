"""`/log-expense`: one line or the form, and the buttons of its replies (the flow of `/log-hours`,
``bot.handlers.entry_command``)."""

from __future__ import annotations

from bot.deps import BotDeps
from bot.handlers import entry_command, expense_modal
from bot.handlers.surfaces import Surfaces
from bot.views import help as help_texts
from bot.views import log_expense
from services.expenses import ExpenseRequest


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    entry_command.register(
        surfaces,
        deps,
        entry_command.EntryCommand(
            command="/log-expense",
            help_text=help_texts.LOG_EXPENSE,
            service=deps.services.expenses,
            from_input=ExpenseRequest.from_input,
            reply=log_expense.reply,
            request_from_dict=log_expense.request_from_dict,
            choice_actions=log_expense.CHOICE_ACTIONS,
            undo_action=log_expense.UNDO_ACTION,
            open_modal=expense_modal.open_modal,
        ),
    )
