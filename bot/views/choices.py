"""Ephemeral replies shared by `/log-hours` and `/log-expense`: "which one did you mean?" buttons,
the confirmation line with its Undo button, and refusals.

A pending request rides in each button's value (Slack allows 2000 characters), so a click
finishes it without the person typing again and without state kept on our side — sealed
(``bot.views.sealed``): a value bxhours did not write is refused, and what a button carries is
checked by the service's rules again when it is stored.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.views.blocks import Block, actions, button, context, escape, section
from bot.views.payload import damaged, optional_id
from core.errors import quote_input
from core.i18n import N_, _, ngettext
from services.entry_outcomes import ChooseOne, Refusal
from services.entry_service import ProjectRequest

MAX_BUTTON_VALUE = 2000
Request = TypeVar("Request", bound=ProjectRequest)
_SEVERAL_MATCH = {
    "project": N_("Several projects match {typed} — which one?"),
    "activity": N_("Several activities match {typed} — which one?"),
    "category": N_("Which category did you mean by {typed}?"),
}
_WHICH_FOR = {
    "project": N_("Which project for *{subject}*?"),
    "activity": N_("Which activity for *{subject}*?"),
    "category": N_("Which category for *{subject}*?"),
}
_WHICH = {
    "project": N_("Which project?"),
    "activity": N_("Which activity?"),
    "category": N_("Which category?"),
}
OPEN_THE_FORM = N_("Open the form")


@dataclass(frozen=True)
class ChoiceActions:
    """The action ids of one command's choice buttons."""

    pick: dict[str, str]
    """What is being chosen ("project", "activity", "category") → the stem of its buttons' action
    ids (``<stem>.<n>`` for the n-th candidate: see ``pick_action_id``)."""
    open_form: str


def pick_action_id(stem: str, index: int) -> str:
    """The n-th candidate's action id: Slack refuses a block whose buttons share an action_id."""
    return f"{stem}.{index}"


def pick_pattern(stem: str) -> re.Pattern[str]:
    """Every candidate button of one stem, for registering a single handler."""
    return re.compile(rf"^{re.escape(stem)}\.\d+$")


def pick_stem(action_id: str) -> str:
    return action_id.rpartition(".")[0]


Seal = Callable[[dict[str, Any]], str]
"""Seals a pending request for the person it is offered to (``ChoiceSeal.seal``)."""


def sealed(seal: Seal, payload: dict[str, Any]) -> str | None:
    """A button value, or None when it would not fit (a very long note)."""
    value = seal(payload)
    return value if len(value) <= MAX_BUTTON_VALUE else None


def picked(
    payload: dict[str, Any], what: str, request_from_dict: Callable[[dict[str, Any]], Request]
) -> Request:
    """The request an opened choice button carries, with the clicked ``what`` (project, activity or
    category) filled in: its ``<what>_id`` set and the typed ``<what>_query`` settled."""
    try:
        request = request_from_dict(payload["request"])
        pick = optional_id(payload["pick"])
        if pick is None:
            raise ValueError("no pick")
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        raise damaged(N_("the choice")) from None
    return dataclasses.replace(request, **{f"{what}_id": pick, f"{what}_query": None})


def carried(
    payload: dict[str, Any], request_from_dict: Callable[[dict[str, Any]], Request]
) -> Request | None:
    """The request an opened "Open the form" button carries, if any."""
    if "request" not in payload:
        return None
    try:
        return request_from_dict(payload["request"])
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        raise damaged(N_("the form button")) from None


def reply(text: str, blocks: list[Block] | None = None, *, replace: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``respond``: ephemeral, replacing the message a button was on."""
    message: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if blocks is not None:
        message["blocks"] = blocks
    if replace:
        message["replace_original"] = True
    return message


def refusal(
    outcome: Refusal,
    *,
    replace: bool = False,
    typed: str | None = None,
    form: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Why nothing was stored — with what the person typed, so nothing of it is lost, and the
    form filled in with it (``form``: its button) when the request broke a rule."""
    blocks: list[Block] = [section(outcome.message)]
    if typed:
        shown = escape(typed.replace("`", "'"))
        blocks.append(context(_("You typed: `{typed}`", typed=shown)))
    if form is not None:
        blocks.append(actions(form, block_id="refusal"))
    return reply(outcome.message, blocks, replace=replace)


def form_button(ids: ChoiceActions, seal: Seal, request: dict[str, Any]) -> dict[str, Any] | None:
    """“Open the form” filled in with ``request``; None when it does not fit in a button."""
    value = sealed(seal, {"request": request})
    return button(_(OPEN_THE_FORM), ids.open_form, value, style="primary") if value else None


def choose(
    outcome: ChooseOne[Any],
    request: dict[str, Any],
    ids: ChoiceActions,
    *,
    seal: Seal,
    replace: bool = False,
) -> dict[str, Any]:
    """Buttons for each candidate and, when there are more (or the line is too long to carry),
    one that opens the form instead."""
    if outcome.query:
        typed = escape(quote_input(outcome.query))
        question = _(_SEVERAL_MATCH[outcome.what], typed=typed)
    elif outcome.subject:
        question = _(_WHICH_FOR[outcome.what], subject=escape(outcome.subject))
    else:
        question = _(_WHICH[outcome.what])
    buttons: list[dict[str, Any]] = []
    for choice in outcome.choices:
        value = sealed(seal, {"pick": choice.id, "request": request})
        if value is None:
            break
        buttons.append(button(choice.label, pick_action_id(ids.pick[outcome.what], len(buttons)), value))
    all_carried = len(buttons) == len(outcome.choices)
    if outcome.more or not all_carried or not buttons:
        buttons = buttons if all_carried else []
        buttons.append(
            form_button(ids, seal, request) or button(_(OPEN_THE_FORM), ids.open_form, style="primary")
        )
    blocks: list[Block] = [section(question), actions(*buttons, block_id="choices")]
    if outcome.more:
        shown_count = len(outcome.choices)
        blocks.append(
            context(
                ngettext(
                    "Only the first {n} is shown — the form searches them all.",
                    "Only the first {n} are shown — the form searches them all.",
                    shown_count,
                )
            )
        )
    return reply(question, blocks, replace=replace)


def confirmation(
    line: str, undo_action: str, undo_value: str, *, warning: str | None = None, replace: bool = False
) -> dict[str, Any]:
    """`✓ …` with an Undo button beside it; a warning (a missing rate) goes underneath."""
    blocks: list[Block] = [section(escape(line), accessory=button(_("Undo"), undo_action, undo_value))]
    text = line
    if warning:
        blocks.append(context(f"⚠️ {warning}"))
        text = f"{line}\n⚠️ {warning}"
    return reply(text, blocks, replace=replace)


def undone(summary: str) -> dict[str, Any]:
    text = _("↩️ Undone — {summary} is deleted.", summary=summary)
    return reply(text, [section(escape(text))], replace=True)
