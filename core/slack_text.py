"""Undo Slack's escaping of message text, so notes are stored as the person wrote them.

Slack entity-encodes exactly `&`, `<` and `>` and wraps mentions, channels and links in
`<...>` control sequences. Bolt passes the text on untouched.
"""

import re

_CONTROL = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_BROADCASTS = frozenset({"here", "channel", "everyone"})


def decode_slack_text(text: str) -> str:
    """Plain text for a Slack-escaped string: `<@U1|bob>` → `@bob`, `<https://x|label>` → `label`,
    `&amp;` → `&`. Entities are decoded in a single pass after the control sequences, so
    `&amp;lt;` stays the literal `&lt;` its author typed."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], _CONTROL.sub(_control, text))


def _control(m: re.Match[str]) -> str:
    body = m.group(1)
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        command = target[1:]
        if command in _BROADCASTS:
            return f"@{command}"
        return label or f"@{command}"
    return label or target.removeprefix("mailto:")
