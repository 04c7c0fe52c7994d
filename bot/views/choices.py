"""Ephemeral replies shared by `/log-hours` and `/log-expense`: "which one did you mean?" buttons,
the confirmation line with its Undo button, and refusals.

A pending request rides in each button's value (Slack allows 2000 characters), so a click
finishes it without the person typing again and without state kept on our side.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.views.blocks import Block, actions, button, context, escape, section
from core.errors import quote_input
from services.entry_outcomes import ChooseOne, Refusal
from services.entry_service import ProjectRequest

MAX_BUTTON_VALUE = 2000
Request = TypeVar("Request", bound=ProjectRequest)
_NOUNS = {"project": "projects", "activity": "activities", "category": "categories"}


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


def encode(payload: dict[str, Any]) -> str | None:
    """A button value, or None when it would not fit (a very long note)."""
    value = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return value if len(value) <= MAX_BUTTON_VALUE else None


def decode(value: str) -> dict[str, Any]:
    loaded = json.loads(value)
    if not isinstance(loaded, dict):
        raise ValueError("a choice button carries an object")
    return loaded


def picked(value: str, what: str, request_from_dict: Callable[[dict[str, Any]], Request]) -> Request:
    """The request carried by a choice button, with the clicked ``what`` (project, activity or
    category) filled in: its ``<what>_id`` set and the typed ``<what>_query`` settled."""
    payload = decode(value)
    request = request_from_dict(payload["request"])
    return dataclasses.replace(request, **{f"{what}_id": int(payload["pick"]), f"{what}_query": None})


def reply(text: str, blocks: list[Block] | None = None, *, replace: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``respond``: ephemeral, replacing the message a button was on."""
    message: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if blocks is not None:
        message["blocks"] = blocks
    if replace:
        message["replace_original"] = True
    return message


def refusal(outcome: Refusal, *, replace: bool = False) -> dict[str, Any]:
    return reply(outcome.message, [section(outcome.message)], replace=replace)


def choose(
    outcome: ChooseOne[Any],
    request: dict[str, Any],
    ids: ChoiceActions,
    *,
    replace: bool = False,
) -> dict[str, Any]:
    """Buttons for each candidate and, when there are more (or the line is too long to carry),
    one that opens the form instead."""
    if outcome.query:
        typed = escape(quote_input(outcome.query))
        question = f"Several {_NOUNS[outcome.what]} match {typed} — which one?"
        if outcome.what == "category":
            question = f"Which category did you mean by {typed}?"
    elif outcome.subject:
        question = f"Which {outcome.what} for *{escape(outcome.subject)}*?"
    else:
        question = f"Which {outcome.what}?"
    buttons: list[dict[str, Any]] = []
    for choice in outcome.choices:
        value = encode({"pick": choice.id, "request": request})
        if value is None:
            break
        buttons.append(button(choice.label, pick_action_id(ids.pick[outcome.what], len(buttons)), value))
    carried = len(buttons) == len(outcome.choices)
    if outcome.more or not carried or not buttons:
        buttons = buttons if carried else []
        form_value = encode({"request": request}) or "{}"
        buttons.append(button("Open the form", ids.open_form, form_value, style="primary"))
    blocks: list[Block] = [section(question), actions(*buttons, block_id="choices")]
    if outcome.more:
        blocks.append(
            context(f"Only the first {len(outcome.choices)} are shown — the form searches them all.")
        )
    return reply(question, blocks, replace=replace)


def confirmation(
    line: str, undo_action: str, undo_value: str, *, warning: str | None = None, replace: bool = False
) -> dict[str, Any]:
    """`✓ …` with an Undo button beside it; a warning (a missing rate) goes underneath."""
    blocks: list[Block] = [section(escape(line), accessory=button("Undo", undo_action, undo_value))]
    text = line
    if warning:
        blocks.append(context(f"⚠️ {warning}"))
        text = f"{line}\n⚠️ {warning}"
    return reply(text, blocks, replace=replace)


def undone(summary: str) -> dict[str, Any]:
    text = f"↩️ Undone — {summary} is deleted."
    return reply(text, [section(escape(text))], replace=True)
