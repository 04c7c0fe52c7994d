"""Small Block Kit builders shared by the views (plain dicts: what Slack receives, nothing hidden)."""

from __future__ import annotations

from typing import Any

from core.i18n import _

Block = dict[str, Any]


def escape(text: str) -> str:
    """Text shown in mrkdwn exactly as written: Slack reads only `&`, `<` and `>` as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:150])}


def section(text: str, *, block_id: str | None = None, accessory: dict[str, Any] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text[:3000])}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t[:3000]) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text[:75]), "action_id": action_id}
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"text": plain(_fit(text, 75)), "value": value[:150]}
    if description:
        item["description"] = plain(_fit(description, 75))
    return item


def text_input(
    block_id: str,
    label: str,
    *,
    action_id: str = "value",
    initial: str | None = None,
    placeholder: str | None = None,
    optional: bool = False,
    multiline: bool = False,
    hint: str | None = None,
    max_length: int | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder[:150])
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label[:2000]), "element": element}
    block["optional"] = optional
    if hint:
        block["hint"] = plain(hint[:2000])
    return block


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> Block:
    """An input block around any element; ``dispatch_action`` sends a block action on change."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label[:2000]),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint[:2000])
    if dispatch_action:
        block["dispatch_action"] = True
    return block


def datepicker(action_id: str, initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": action_id}
    if initial:
        element["initial_date"] = initial
    return element


def static_select(
    action_id: str,
    options: list[dict[str, Any]],
    *,
    placeholder: str,
    initial: dict[str, Any] | None = None,
) -> dict[str, Any]:
    shown = options[:100]
    if initial is not None and initial not in shown:
        # Slack refuses an initial option that is not among the options: past Slack's 100, the
        # chosen one takes the last place rather than vanishing.
        shown = [*shown[:99], initial]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(_fit(placeholder, 150)),
        "options": shown,
    }
    if initial is not None:
        element["initial_option"] = initial
    return element


def external_select(
    action_id: str,
    *,
    placeholder: str,
    initial: dict[str, Any] | None = None,
    min_query_length: int = 0,
) -> dict[str, Any]:
    """A select whose options come from the app as the person types (an options handler)."""
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": plain(_fit(placeholder, 150)),
        "min_query_length": min_query_length,
    }
    if initial is not None:
        element["initial_option"] = initial
    return element


def checkboxes(
    action_id: str, options: list[dict[str, Any]], *, initial: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "checkboxes", "action_id": action_id, "options": options[:10]}
    if initial:
        element["initial_options"] = initial
    return element


def overflow(action_id: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "overflow", "action_id": action_id, "options": options[:5]}


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str,
    submit: str | None = None,
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(_fit(title, 24)),
        "close": plain(_("Cancel") if submit else _("Close")),
        "blocks": blocks[:100],
        "private_metadata": private_metadata[:3000],
    }
    if submit:
        view["submit"] = plain(_fit(submit, 24))
    return view


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (a refusal, a confirmation) and can be closed."""
    return modal(title, [section(text)], callback_id="notice")


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
