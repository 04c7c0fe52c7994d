"""What a Slack payload may carry, read once before any handler sees it.

A signed request is Slack's, but what it carries is not to be trusted: a button's value, a modal's
state, the blocks of a view can hold any JSON (a list where an object belongs, a number where text
belongs, no user at all). ``normalize`` brings every interactive body into the shape the handlers
and view readers expect — dropping what has the wrong type instead of failing on it — or raises
``PayloadError`` with a sentence for the person when the request cannot be acted on at all. The
readers below (``action_value``, ``action_int``, …) raise the same error for a value that is not
what its button or menu was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.i18n import N_, _

Kind = Literal["command", "action", "options", "view", "event"]

NO_USER = N_("Slack did not say who sent this, so bxhours did nothing. Please try again.")
NUL = N_(
    "What you sent contains a NUL character (\\0), which no text in bxhours can hold, so nothing "
    "was saved. Remove it — it usually comes with text pasted from another program — and send it again."
)
DAMAGED = N_(
    "That request arrived damaged ({what}), so bxhours did nothing. "
    "If it came from a button, the message may be out of date — run the command again."
)


@dataclass(frozen=True)
class Phrase:
    """A text inside another (what arrived damaged), translated when the outer one is read, so
    that a German sentence does not carry an English detail; ``str()`` gives it in the current
    language, ``english`` for the log."""

    text: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return _(self.text, **{key: str(value) for key, value in self.params.items()})

    @property
    def english(self) -> str:
        return self.text.format(
            **{key: v.english if isinstance(v, Phrase) else v for key, v in self.params.items()}
        )


class PayloadError(Exception):
    """A request that cannot be acted on; ``message`` is for the person (in the language spoken
    when it is read), ``detail`` for the log."""

    def __init__(self, message: str, detail: str = "", **params: object) -> None:
        super().__init__(detail or message)
        self.text = message
        self.params = params
        self.detail = detail or message

    @property
    def message(self) -> str:
        return _(self.text, **self.params)


def damaged(what: str, /, **params: object) -> PayloadError:
    """``what`` arrived damaged: an English phrase marked for the catalogs (``N_``), with its own
    ``{placeholders}``; told in the reader's language, logged in English."""
    detail = Phrase(what, params)
    return PayloadError(DAMAGED, detail.english, what=detail)


def normalize(body: dict[str, Any], kind: Kind) -> str | None:
    """Bring ``body`` into shape in place; the Slack user id it comes from (None for an event
    without one). Raises ``PayloadError`` when there is nobody or nothing to act on."""
    if kind == "event":
        event = body.get("event")
        if not isinstance(event, dict):
            raise damaged(N_("no event"))
        user = event.get("user")
        if user is not None and not _word(user):
            raise damaged(N_("the event's user"))
        return user if isinstance(user, str) else None
    if kind == "command":
        for key in ("text", "command", "trigger_id", "response_url", "channel_id"):
            if key in body and not isinstance(body[key], str):
                body[key] = ""
        user = body.get("user_id")
        if not _word(user):
            raise PayloadError(NO_USER, "a command without user_id")
        _no_nul(body.get("text"))
        return str(user)
    user_field = body.get("user")
    user = user_field.get("id") if isinstance(user_field, dict) else None
    if not _word(user):
        raise PayloadError(NO_USER, f"a {kind} without user.id")
    for key in ("trigger_id", "response_url"):
        if key in body and not isinstance(body[key], str):
            del body[key]
    if not isinstance(body.get("container"), dict):
        body["container"] = {}
    if "view" in body or kind == "view":
        body["view"] = _view(body.get("view"))
    if kind == "action":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            raise damaged(N_("a click without its action"))
        body["actions"] = [_action(actions[0])]
    elif kind == "options":
        body["value"] = body["value"] if isinstance(body.get("value"), str) else ""
        _no_nul(body["value"])
        if not isinstance(body.get("action_id"), str):
            raise damaged(N_("an options request without its action"))
    return str(user)


def envelope_problem(body: object) -> str | None:
    """What makes a verified body unusable before any handler could look at it — the fields Bolt
    itself reads to route a request (the request path answers 400 with this; ``None``: usable)."""
    if not isinstance(body, dict):
        return "the body is not an object"
    kind = body.get("type")
    if "command" in body and kind is None:
        if not isinstance(body["command"], str):
            return "command is not text"
        return None
    if kind is not None and not isinstance(kind, str):
        return "type is not text"
    for key in ("user", "team", "enterprise", "channel", "container", "view", "event", "message"):
        if (
            body.get(key) is not None
            and not isinstance(body[key], dict)
            and not (key == "view" and kind == "block_actions")
        ):
            return f"{key} is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return "actions is not a list of objects"
        if not isinstance(actions[0].get("action_id"), str):
            return "the action has no action_id"
    elif kind == "block_suggestion":
        if not isinstance(body.get("action_id"), str) or not isinstance(body.get("value", ""), str):
            return "action_id or value is not text"
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return "the view has no callback_id"
    elif kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "the event has no type"
        for key in ("user", "channel", "item", "message", "previous_message"):
            if event.get(key) is not None and not isinstance(event[key], str | dict):
                return f"the event's {key} is neither text nor an object"
    for key in ("authorizations", "response_urls"):
        listed = body.get(key)
        if listed is not None and not (isinstance(listed, list) and all(isinstance(i, dict) for i in listed)):
            return f"{key} is not a list of objects"
    return None


MAX_ID = 2**63 - 1
"""Ids are 64-bit in both databases; anything larger names no record."""


def record_id(value: object) -> int | None:
    """A record id as a payload carries it (an int, or ASCII digits as text); None for anything
    else — a sign, a unicode digit, 400 digits, a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_ID else None
    if isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        number = int(value)
        return number if number <= MAX_ID else None
    return None


def optional_id(value: object) -> int | None:
    """``record_id`` for a field that may be empty; ``ValueError`` for one that is not an id."""
    if value is None:
        return None
    found = record_id(value)
    if found is None:
        raise ValueError(f"not an id: {value!r}"[:80])
    return found


def action_value(body: dict[str, Any]) -> str:
    """The value the clicked button was given ("" when none)."""
    value = body["actions"][0].get("value")
    return value if isinstance(value, str) else ""


def action_int(body: dict[str, Any], what: str) -> int:
    """A button value that names a record by its id (an undo button's entry); ``what`` is marked
    for the catalogs (``N_("the entry")``)."""
    value = action_value(body)
    found = record_id(value)
    if found is None:
        raise damaged(N_("{what} {value} is not an id"), what=Phrase(what), value=_shown(value))
    return found


def selected_value(body: dict[str, Any]) -> str:
    """The value of the option chosen in a menu or select ("" when none)."""
    option = body["actions"][0].get("selected_option")
    return option["value"] if isinstance(option, dict) else ""


def view_id(body: dict[str, Any]) -> str:
    """The id of the view an action came from (a modal to update)."""
    found = (body.get("view") or {}).get("id")
    if not found:
        raise damaged(N_("no view to update"))
    return str(found)


def trigger_id(body: dict[str, Any]) -> str:
    found = body.get("trigger_id")
    if not found:
        raise damaged(N_("no trigger to open a form with"))
    return str(found)


def _word(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable()


def _shown(value: str) -> str:
    shown = value if len(value) <= 20 else value[:19] + "…"
    return f"“{shown}”"


def _view(view: object) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise damaged(N_("a view that is not an object"))
    for key in ("id", "callback_id", "type", "private_metadata"):
        if not isinstance(view.get(key), str):
            view[key] = ""
    if "hash" in view and not isinstance(view["hash"], str):
        del view["hash"]
    blocks = view.get("blocks")
    view["blocks"] = [_block(b) for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    clean: dict[str, dict[str, dict[str, Any]]] = {}
    if isinstance(values, dict):
        for block_id, elements in values.items():
            if isinstance(block_id, str) and isinstance(elements, dict):
                clean[block_id] = {
                    action_id: _element(element)
                    for action_id, element in elements.items()
                    if isinstance(action_id, str) and isinstance(element, dict)
                }
    view["state"] = {"values": clean}
    return view


def _block(block: dict[str, Any]) -> dict[str, Any]:
    """A block of a view as the readers look at it: its id, type and element's options."""
    out: dict[str, Any] = {}
    for key in ("block_id", "type"):
        if isinstance(block.get(key), str):
            out[key] = block[key]
    element = block.get("element")
    if isinstance(element, dict):
        clean: dict[str, Any] = {key: value for key, value in element.items() if isinstance(value, str)}
        options = element.get("options")
        if isinstance(options, list):
            clean["options"] = [o for o in map(_option, options) if o is not None]
        out["element"] = clean
    return out


def _element(element: dict[str, Any]) -> dict[str, Any]:
    """One input's state: strings stay strings, options stay options, everything else goes."""
    out: dict[str, Any] = {}
    for key, value in element.items():
        if key == "selected_option":
            out[key] = _option(value)
            _no_nul(out[key]["value"] if out[key] else None)
        elif key == "selected_options":
            out[key] = [o for o in map(_option, value) if o is not None] if isinstance(value, list) else []
            for chosen in out[key]:
                _no_nul(chosen["value"])
        elif key in ("selected_users", "selected_conversations", "selected_channels"):
            # A multi-select of people (the setting billing_users) or channels: Slack ids, strings only.
            items = value if isinstance(value, list) else []
            out[key] = [item for item in items if isinstance(item, str)][:100]
            for chosen in out[key]:
                _no_nul(chosen)
        elif isinstance(value, str) or value is None:
            _no_nul(value)
            out[key] = value
    return out


def _no_nul(text: object) -> None:
    """PostgreSQL cannot store a NUL character in text, and Slack's inputs never send one."""
    if isinstance(text, str) and "\x00" in text:
        raise PayloadError(NUL, "a NUL character in a text field")


def _action(action: dict[str, Any]) -> dict[str, Any]:
    action_id = action.get("action_id")
    if not isinstance(action_id, str):
        raise damaged(N_("a click without its action id"))
    out = _element(action)
    out["action_id"] = action_id
    out["block_id"] = action.get("block_id") if isinstance(action.get("block_id"), str) else ""
    return out


def _option(option: object) -> dict[str, Any] | None:
    if not isinstance(option, dict):
        return None
    value, text = option.get("value"), option.get("text")
    label = text.get("text") if isinstance(text, dict) else None
    if not isinstance(value, str) or not isinstance(label, str):
        return None
    out: dict[str, Any] = {"text": {"type": "plain_text", "text": label}, "value": value}
    description = option.get("description")
    if isinstance(description, dict) and isinstance(description.get("text"), str):
        out["description"] = {"type": "plain_text", "text": description["text"]}
    return out
