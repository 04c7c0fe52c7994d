"""`/log-hours`: one line, the form, help, this week; and the buttons of its replies.

The command's flow is ``bot.handlers.entry_command`` (shared with `/log-expense`); what is its own
is `week`, the week view as an ephemeral message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.deps import BotDeps
from bot.handlers import entry_command, hours_modal, timers
from bot.handlers.surfaces import Surfaces
from bot.views import help as help_texts
from bot.views import log_hours
from bot.views import week as week_view
from bot.views.blocks import context, escape
from services.container import Services
from services.time_entries import StoredEntry

WEEK_WORD = "week"


async def _week(services: Services, tenant_id: int, user_id: str) -> dict[str, Any]:
    return week_view.message(await services.week.load(tenant_id, user_id))


def with_absence_warning(reply: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Hours stored on a day the person is absent, beyond what the day's norm leaves: the reply
    says so underneath (issue 16 §8); everything else is the reply as it was."""

    def replied(outcome: object, **options: Any) -> dict[str, Any]:
        message = reply(outcome, **options)
        warning = getattr(outcome, "absence_warning", None) if isinstance(outcome, StoredEntry) else None
        if warning:
            message["text"] = f"{message.get('text', '')}\n⚠️ {warning}"
            message["blocks"] = [*message.get("blocks", []), context(f"⚠️ {escape(warning)}")]
        return message

    return replied


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    entry_command.register(
        surfaces,
        deps,
        entry_command.EntryCommand(
            command="/log-hours",
            help_text=help_texts.LOG_HOURS,
            # `start …`, `stop` and `again` (issue 17 §3-4) are read before a duration line.
            service=timers.HoursCommand(deps.services),
            from_input=timers.from_input,
            reply=with_absence_warning(timers.reply),
            request_from_dict=log_hours.request_from_dict,
            choice_actions=log_hours.CHOICE_ACTIONS,
            undo_action=log_hours.UNDO_ACTION,
            open_modal=hours_modal.open_modal,
            words={WEEK_WORD: _week},
        ),
    )
