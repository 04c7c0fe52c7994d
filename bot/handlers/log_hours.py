"""`/log-hours`: one line, the form, help, this week; and the buttons of its replies.

The command's flow is ``bot.handlers.entry_command`` (shared with `/log-expense`); what is its own
is `week`, the week view as an ephemeral message.
"""

from __future__ import annotations

from typing import Any

from bot.deps import BotDeps
from bot.handlers import entry_command, hours_modal
from bot.handlers.surfaces import Surfaces
from bot.views import help as help_texts
from bot.views import log_hours
from bot.views import week as week_view
from services.container import Services
from services.time_entries import HoursRequest

WEEK_WORD = "week"


async def _week(services: Services, tenant_id: int, user_id: str) -> dict[str, Any]:
    return week_view.message(await services.week.load(tenant_id, user_id))


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    entry_command.register(
        surfaces,
        deps,
        entry_command.EntryCommand(
            command="/log-hours",
            help_text=help_texts.LOG_HOURS,
            service=deps.services.time_entries,
            from_input=HoursRequest.from_input,
            reply=log_hours.reply,
            request_from_dict=log_hours.request_from_dict,
            choice_actions=log_hours.CHOICE_ACTIONS,
            undo_action=log_hours.UNDO_ACTION,
            open_modal=hours_modal.open_modal,
            words={WEEK_WORD: _week},
        ),
    )
