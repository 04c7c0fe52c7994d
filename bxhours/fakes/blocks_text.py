"""Block Kit as plain text: what a person would read in Slack, for a terminal.

Headers are underlined, sections keep their mrkdwn (``*bold*``, ``_italic_``), fields sit one per
line, context lines are indented, dividers are a rule, and everything a person can press shows in
brackets: buttons as ``[Label]``, menus as ``[Label ▾]``, overflow menus as ``[⋯ Edit | Delete]``.
Inputs of a modal show their label and current value. Mentions, links and dates are written out
the way Slack shows them. ``clickables`` lists what can be pressed, for `bxhours try click`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Json = Mapping[str, Any]
RULE = "─" * 60
SELECTS = (
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
)


@dataclass(frozen=True)
class Clickable:
    """One thing a person can press: a button, or one option of an overflow menu or a select."""

    label: str
    block_id: str
    element: Json
    option: Json | None = None

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id", ""))


# -- text ---------------------------------------------------------------------------------------

# The shortcodes bxhours writes (Slack shows them as emoji), and a few common ones.
EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "warning": "⚠️",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "lock": "🔒",
    "receipt": "🧾",
    "information_source": "ℹ️",
    "tada": "🎉",
}
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_MENTION = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")


def mrkdwn(text: str, people: Mapping[str, str] | None = None) -> str:
    """Slack's escapes and angle-bracket syntax as a person sees them: ``<@U01ANDREA>`` → ``@Andrea
    Keller``, ``<https://…|Open in bexio>`` → ``Open in bexio <https://…>``, ``<!date^…|5 Dec>`` → ``5 Dec``."""
    people = people or {}

    def link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        return f"{label} <{url}>" if label else url

    def mention(match: re.Match[str]) -> str:
        kind, target, label = match.groups()
        if kind == "@":
            return "@" + (label or people.get(target, target))
        if kind == "#":
            return "#" + (label or target)
        return label or "@" + target.split("^")[0]

    text = _LINK.sub(link, text)
    text = _MENTION.sub(mention, text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return html.unescape(text)


def text_of(obj: Any, people: Mapping[str, str] | None = None) -> str:
    if isinstance(obj, str):
        return mrkdwn(obj, people)
    if isinstance(obj, Mapping):
        raw = str(obj.get("text", ""))
        return mrkdwn(raw, people) if obj.get("type") == "mrkdwn" else html.unescape(raw)
    return ""


# -- elements -----------------------------------------------------------------------------------


def _option_text(option: Any) -> str:
    return text_of(option.get("text")) if isinstance(option, Mapping) else ""


def _all_options(element: Json) -> list[Json]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += list(group.get("options") or [])
    return [option for option in options if isinstance(option, Mapping)]


def element_text(element: Any, people: Mapping[str, str] | None = None) -> str:
    """One interactive element (or a context element) on one line."""
    if not isinstance(element, Mapping):
        return ""
    kind = element.get("type")
    if kind in ("mrkdwn", "plain_text"):
        return text_of(element, people)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "button":
        arrow = " ↗" if element.get("url") else ""
        return f"[{text_of(element.get('text'))}{arrow}]"
    if kind == "overflow":
        return "[⋯ " + " | ".join(_option_text(o) for o in _all_options(element)) + "]"
    if kind in SELECTS:
        chosen = element.get("initial_option")
        many = element.get("initial_options")
        if isinstance(chosen, Mapping):
            shown = _option_text(chosen)
        elif many:
            shown = ", ".join(_option_text(o) for o in many)
        elif element.get("initial_user"):
            shown = "@" + (people or {}).get(element["initial_user"], element["initial_user"])
        else:
            shown = text_of(element.get("placeholder")) or "choose"
        return f"[{shown} ▾]"
    if kind == "datepicker":
        return f"[📅 {element.get('initial_date') or text_of(element.get('placeholder')) or 'pick a date'}]"
    if kind == "timepicker":
        return f"[🕒 {element.get('initial_time') or 'pick a time'}]"
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        value = element.get("initial_value")
        return f"[{value}]" if value else f"[{text_of(element.get('placeholder')) or '…'}]"
    if kind in ("checkboxes", "radio_buttons"):
        chosen_values = {
            o.get("value")
            for o in (element.get("initial_options") or [element.get("initial_option") or {}])
            if isinstance(o, Mapping)
        }
        on, off = ("☑", "☐") if kind == "checkboxes" else ("◉", "○")
        return "\n".join(
            f"{on if o.get('value') in chosen_values else off} {_option_text(o)}"
            for o in _all_options(element)
        )
    if kind == "rich_text_section":
        return "".join(str(part.get("text", "")) for part in element.get("elements") or [])
    return f"[{kind}]"


# -- blocks -------------------------------------------------------------------------------------


def block_lines(block: Any, people: Mapping[str, str] | None = None) -> list[str]:
    if not isinstance(block, Mapping):
        return []
    kind = block.get("type")
    if kind == "header":
        title = text_of(block.get("text"))
        return [title, "═" * min(60, max(len(title), 3))]
    if kind == "divider":
        return [RULE]
    if kind == "section":
        lines = text_of(block.get("text"), people).splitlines() if block.get("text") else []
        for item in block.get("fields") or []:
            lines += ["  " + line for line in text_of(item, people).splitlines()]
        accessory = block.get("accessory")
        if accessory:
            shown = element_text(accessory, people)
            if lines:
                lines[0] = f"{lines[0]}   {shown}"
            else:
                lines = [shown]
        return lines
    if kind == "context":
        parts = [element_text(e, people) for e in block.get("elements") or []]
        return ["  " + line for line in " · ".join(p for p in parts if p).splitlines()]
    if kind == "actions":
        return ["  ".join(element_text(e, people) for e in block.get("elements") or [])]
    if kind == "input":
        label = text_of(block.get("label"))
        optional = " (optional)" if block.get("optional") else ""
        value = element_text(block.get("element"), people)
        if "\n" in value:  # checkboxes and radio buttons: one option a line
            lines = [f"{label}{optional}:"] + ["  " + line for line in value.splitlines()]
        else:
            lines = [f"{label}{optional}: {value}"]
        if block.get("hint"):
            lines.append("  " + text_of(block.get("hint")))
        return lines
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return [element_text(e, people) for e in block.get("elements") or []]
    return [f"[{kind} block]"]


def render_blocks(blocks: Sequence[Any], people: Mapping[str, str] | None = None) -> str:
    lines: list[str] = []
    for block in blocks:
        if lines and isinstance(block, Mapping) and block.get("type") == "header":
            lines.append("")
        lines += block_lines(block, people)
    return "\n".join(lines)


def render_message(message: Json, people: Mapping[str, str] | None = None) -> str:
    """A message (chat.* parameters, a response_url body, a command's JSON reply): its blocks,
    or its text when it has none."""
    blocks = message.get("blocks") or []
    if blocks:
        return render_blocks(blocks, people)
    return mrkdwn(str(message.get("text", "")), people)


def render_view(view: Json, people: Mapping[str, str] | None = None) -> str:
    """A modal (title, blocks, its submit and close buttons) or the App Home."""
    lines: list[str] = []
    if view.get("type") == "modal":
        title = text_of(view.get("title"))
        lines += [f"┌ {title} ┐"]
    body = render_blocks(view.get("blocks") or [], people)
    if body:
        lines.append(body)
    if view.get("type") == "modal":
        buttons = [f"[{text_of(view[key])}]" for key in ("close", "submit") if view.get(key)]
        if buttons:
            lines.append("  ".join(buttons))
    return "\n".join(lines)


# -- what can be pressed -----------------------------------------------------------------------


def clickables(blocks: Sequence[Any]) -> Iterator[Clickable]:
    """Buttons, and the options of overflow menus and static selects, in the order shown."""
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        block_id = str(block.get("block_id", ""))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if block.get("type") == "section" and isinstance(block.get("accessory"), Mapping):
            elements = [block["accessory"]]
        for element in elements:
            if not isinstance(element, Mapping) or element.get("url"):
                continue
            kind = element.get("type")
            if kind == "button":
                yield Clickable(text_of(element.get("text")), block_id, element)
            elif kind in ("overflow", "static_select"):
                for option in _all_options(element):
                    yield Clickable(_option_text(option), block_id, element, option)
