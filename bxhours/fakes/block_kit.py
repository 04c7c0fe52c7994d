"""What Slack refuses in Block Kit, checked in one place for the fake Slack and the test helpers.

Slack refuses a view (``views.open/update/push/publish``) with ``invalid_arguments`` and a message
(``chat.postMessage/update/postEphemeral``, ``response_url``) with ``invalid_blocks``, each with
``response_metadata.messages`` such as ``[ERROR] … [json-pointer:/view/blocks/3/…]``. Our fakes used
to accept almost anything, so a view Slack refuses (two buttons with one ``action_id`` in the App
Home's week navigation) passed every test and never appeared on a real workspace.

Two layers:

* slack_sdk's own Block Kit models (``View``, ``Block.parse``, ``to_dict()``/``validate_json()``):
  text lengths, titles, ``private_metadata``, 100 blocks per view, 25 elements per actions block,
  10 context elements, 10 section fields, button ``value`` ≤ 2000, option ``value`` ≤ 150 and text
  ≤ 75, at most 100 options and 100 option groups in a static select, 1–5 overflow options, a
  section needs ``text`` or ``fields``, date formats.
* The documented rules the SDK misses (each a function below, named after what it checks). Sources
  are Slack's reference pages on docs.slack.dev (blocks, text object, option object, option group
  object, checkboxes, radio buttons, select menus, modals) unless a rule says otherwise.

Every problem is reported in Slack's own wording style: ``[ERROR] <what> [json-pointer:<where>]``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement, DividerBlock, StaticSelectElement
from slack_sdk.models.views import View

MESSAGE_BLOCK_LIMIT = 50  # "up to 50 blocks in each message, and 100 blocks in modals or Home tabs"
OPTION_VALUE_MAX, OPTION_TEXT_MAX = 150, 75  # option object reference
CHOICE_LIMIT = {"checkboxes": 10, "radio_buttons": 10}  # "A maximum of 10 options are allowed."
NEEDS_OPTIONS = ("checkboxes", "radio_buttons", "static_select", "multi_static_select", "overflow")
SELECTS_WITH_PLAIN_OPTIONS = ("static_select", "multi_static_select", "overflow")
TEXT_FIELDS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
OPTION_FIELDS = {"text", "value", "description", "url"}
OPTION_GROUP_FIELDS = {"label", "options"}
CONFIRM_FIELDS = {"title", "text", "confirm", "deny", "style"}

Json = dict[str, Any]


def problem(pointer: str, what: str) -> str:
    """One refusal line as Slack writes it in ``response_metadata.messages``."""
    return f"[ERROR] {what} [json-pointer:{pointer}]"


# --- entry points ----------------------------------------------------------------------------


def view_problems(view: Any, *, where: str = "/view") -> list[str]:
    """Why Slack would refuse this view with ``invalid_arguments`` (empty: it would accept it)."""
    if not isinstance(view, Mapping):
        return [problem(where, "must be a view object")]
    out: list[str] = []
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [problem(f"{where}/blocks", "a view needs a blocks array")]
    out += _sdk_view(view, where)
    out += modal_needs_title(view, where)
    out += modal_with_inputs_needs_submit(view, where)
    for key in ("title", "submit", "close"):
        if isinstance(view.get(key), Mapping):
            out += _text(view[key], f"{where}/{key}", plain_only=True)
    out += _blocks(blocks, f"{where}/blocks")
    out += at_most_one_focus_on_load(blocks, f"{where}/blocks")
    return out


def message_problems(message: Mapping[str, Any], *, where: str = "") -> list[str]:
    """Why Slack would refuse the blocks of this message with ``invalid_blocks``."""
    blocks = message.get("blocks")
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [problem(f"{where}/blocks", "blocks must be an array")]
    return message_block_limit(blocks, f"{where}/blocks") + _blocks(blocks, f"{where}/blocks")


def missing_fallback_text(message: Mapping[str, Any]) -> bool:
    """Blocks without a top-level ``text``: Slack accepts it, but notifications and screen readers
    get nothing (chat.postMessage: "the text field … is used as a fallback"), so our tests fail it."""
    return bool(message.get("blocks")) and not str(message.get("text") or "").strip()


def options_problems(answer: Any) -> list[str]:
    """Why Slack would not show the options an external select loaded (a ``block_suggestion`` ack).

    The answer holds ``options`` or ``option_groups``, checked as the static select they fill (the
    limit of 100 for a loaded list is inferred from the static select's: Slack does not state it
    for external selects).
    """
    if not isinstance(answer, Mapping) or ("options" in answer) == ("option_groups" in answer):
        return [problem("/", "answer with exactly one of options or option_groups")]
    filled = {"type": "static_select", "action_id": "loaded", **answer}
    try:
        with _quiet_sdk():
            StaticSelectElement(**{k: v for k, v in filled.items() if k != "type"}).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return [problem("/", str(exc) or type(exc).__name__)]
    out = _option_list(answer, "", plain_only=True)
    if answer.get("option_groups"):  # none at all is "no match", not a refusal
        out += options_present(filled, "")
    return out


def submission_ack_problems(answer: Any, submitted_view: Mapping[str, Any]) -> list[str]:
    """Why Slack would refuse what bxhours answered to a ``view_submission``."""
    if answer is None:
        return []
    if not isinstance(answer, Mapping):
        return [problem("/", "a view_submission answer is empty or a JSON object")]
    action = answer.get("response_action")
    if action in ("update", "push"):
        view = answer.get("view")
        out = view_problems(view)
        if isinstance(view, Mapping) and view.get("type") != "modal":
            out.append(problem("/view/type", f"response_action {action} needs a modal"))
        return out
    if action == "errors":
        return errors_name_input_blocks(answer.get("errors"), submitted_view)
    if action == "clear":
        return []
    return [problem("/response_action", f"unknown response_action {action!r}")]


def command_ack_problems(answer: Any) -> list[str]:
    """Why Slack would refuse the JSON reply a slash command got in its acknowledgement."""
    if not isinstance(answer, Mapping):
        return []
    return message_problems(answer)


# --- the SDK's layer -------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_sdk() -> Iterator[None]:
    """The SDK logs a warning for every block it cannot parse; we report those ourselves."""
    loggers = [logging.getLogger(name) for name in ("slack_sdk.models.blocks.blocks", "slack_sdk.models")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _sdk_view(view: Mapping[str, Any], where: str) -> list[str]:
    """The view's own fields through ``View``; its blocks are checked one by one (so that each
    problem names its block), here they only count."""
    stand_ins = [DividerBlock() for _ in view["blocks"]]
    try:
        View(**{**view, "blocks": stand_ins}).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return [problem(where, str(exc))]
    return []


def _sdk_block(block: Mapping[str, Any], where: str) -> tuple[Block | None, list[str]]:
    try:
        with _quiet_sdk():
            parsed = Block.parse(dict(block))
        if parsed is None:
            return None, [problem(f"{where}/type", f"unknown block type {block.get('type')!r}")]
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return None, [problem(where, str(exc) or type(exc).__name__)]
    return parsed, []


# --- our layer: one function per documented rule -------------------------------------------


def message_block_limit(blocks: Sequence[Any], where: str) -> list[str]:
    """At most 50 blocks in a message (the SDK knows only the 100 of views)."""
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        return [problem(where, f"no more than {MESSAGE_BLOCK_LIMIT} items allowed, got {len(blocks)}")]
    return []


def modal_needs_title(view: Mapping[str, Any], where: str) -> list[str]:
    """A modal's ``title`` is required (the SDK checks only its length when it is there)."""
    if view.get("type") == "modal" and not view.get("title"):
        return [problem(f"{where}/title", "a modal must have a title")]
    return []


def modal_with_inputs_needs_submit(view: Mapping[str, Any], where: str) -> list[str]:
    """``[ERROR] must define submit to use input block`` (slack-notes.md §5)."""
    has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in view.get("blocks", []))
    if view.get("type") == "modal" and has_input and not view.get("submit"):
        return [problem(f"{where}/submit", "must define submit to use input block")]
    return []


def block_ids_unique(blocks: Sequence[Any], where: str) -> list[str]:
    """A ``block_id`` names one block of a message or view (the blocks reference: "should be
    unique for each message and each iteration of a message")."""
    seen: set[str] = set()
    out = []
    for index, block in enumerate(blocks):
        block_id = block.get("block_id") if isinstance(block, Mapping) else None
        if block_id is None:
            continue
        if block_id in seen:
            out.append(problem(f"{where}/{index}/block_id", f"duplicate block_id {block_id!r}"))
        seen.add(block_id)
    return out


def action_ids_unique_in_block(elements: Sequence[Any], where: str) -> list[str]:
    """Every element's ``action_id`` "should be unique among all other action_ids in the
    containing block" — Slack refuses the block otherwise (the App Home's ``week_nav``)."""
    seen: set[str] = set()
    out = []
    for index, element in enumerate(elements):
        action_id = element.get("action_id") if isinstance(element, Mapping) else None
        if action_id is None:
            continue
        if action_id in seen:
            out.append(
                problem(f"{where}/{index}/action_id", f"duplicate action_id {action_id!r} in one block")
            )
        seen.add(action_id)
    return out


def at_most_one_focus_on_load(blocks: Sequence[Any], where: str) -> list[str]:
    """``focus_on_load``: "Only one element can be set to true" in a view."""
    focused = [pointer for pointer, element in _elements(blocks, where) if element.get("focus_on_load")]
    return [problem(pointer, "only one element of a view may set focus_on_load") for pointer in focused[1:]]


def text_not_empty(text: Mapping[str, Any], where: str) -> list[str]:
    """A text object's ``text``: "The minimum length is 1" — an empty section, button or option
    text is refused (the SDK checks only maximum lengths)."""
    value = text.get("text")
    if not isinstance(value, str) or not value:
        return [problem(f"{where}/text", "must be more than 0 characters")]
    return []


def known_fields(obj: Mapping[str, Any], allowed: set[str] | frozenset[str], where: str) -> list[str]:
    """No fields a block, element or composition object does not define: Slack's Block Kit JSON
    schema has ``additionalProperties: false`` everywhere (a misspelt field is refused, not
    ignored). The SDK's classes only log such fields at debug level."""
    return [
        problem(f"{where}/{key}", f"invalid additional property: {key}") for key in obj if key not in allowed
    ]


def plain_text_only(text: Mapping[str, Any], where: str) -> list[str]:
    """Headers, buttons, labels, hints, placeholders, modal title/submit/close, confirm dialog
    title/confirm/deny, option group labels and the options of selects and overflow menus take
    ``plain_text`` only (mrkdwn is refused there)."""
    if text.get("type") != "plain_text":
        return [problem(f"{where}/type", "must be a plain_text text object")]
    return []


def options_present(element: Mapping[str, Any], where: str) -> list[str]:
    """Checkboxes, radio buttons, overflow menus and static selects need at least one option
    (``options`` is required; the SDK accepts an empty list)."""
    if element.get("type") not in NEEDS_OPTIONS:
        return []
    groups = element.get("option_groups")
    if groups is not None and element.get("type") in ("static_select", "multi_static_select"):
        if not groups:
            return [problem(f"{where}/option_groups", "must have at least one option group")]
        return [
            problem(f"{where}/option_groups/{index}/options", "an option group needs at least one option")
            for index, group in enumerate(groups)
            if isinstance(group, Mapping) and not group.get("options")
        ]
    if not element.get("options"):
        return [problem(f"{where}/options", "must have at least one option")]
    return []


def choice_limit(element: Mapping[str, Any], where: str) -> list[str]:
    """Checkboxes and radio buttons: "A maximum of 10 options are allowed" (unchecked by the SDK)."""
    limit = CHOICE_LIMIT.get(str(element.get("type")))
    options = element.get("options") or []
    if limit is not None and len(options) > limit:
        return [problem(f"{where}/options", f"no more than {limit} items allowed, got {len(options)}")]
    return []


def initial_options_among_options(element: Mapping[str, Any], where: str) -> list[str]:
    """``initial_option(s)`` must "exactly match" options of the element (static selects, checkboxes,
    radio buttons); external selects bring their own, so anything goes there."""
    if element.get("type") not in NEEDS_OPTIONS:
        return []
    offered = {_option_key(option) for option in _all_options(element)}
    out = []
    initial = element.get("initial_option")
    if isinstance(initial, Mapping) and _option_key(initial) not in offered:
        out.append(problem(f"{where}/initial_option", "must match one of the options"))
    for index, option in enumerate(element.get("initial_options") or []):
        if isinstance(option, Mapping) and _option_key(option) not in offered:
            out.append(problem(f"{where}/initial_options/{index}", "must match one of the options"))
    return out


def option_lengths(option: Mapping[str, Any], where: str) -> list[str]:
    """An option's ``value`` is a string of at most 150 characters, its ``text`` and
    ``description`` at most 75. The SDK checks this only for checkboxes and multi-selects: static
    selects, radio buttons and overflow menus keep their options unparsed."""
    out = []
    value = option.get("value")
    if not isinstance(value, str) or len(value) > OPTION_VALUE_MAX:
        out.append(problem(f"{where}/value", f"must be a string of at most {OPTION_VALUE_MAX} characters"))
    for key in ("text", "description"):
        text = option.get(key)
        if isinstance(text, Mapping) and len(str(text.get("text", ""))) > OPTION_TEXT_MAX:
            out.append(problem(f"{where}/{key}/text", f"must be at most {OPTION_TEXT_MAX} characters"))
    return out


def errors_name_input_blocks(errors: Any, submitted_view: Mapping[str, Any]) -> list[str]:
    """``response_action: errors``: a non-empty object whose keys are ``block_id``s of *input*
    blocks of the submitted view (Slack shows each message under that input)."""
    if not isinstance(errors, Mapping) or not errors:
        return [problem("/errors", "errors must be a non-empty object")]
    inputs = {
        b.get("block_id")
        for b in submitted_view.get("blocks", [])
        if isinstance(b, Mapping) and b.get("type") == "input"
    }
    out = []
    for key, message in errors.items():
        if key not in inputs:
            out.append(problem(f"/errors/{key}", f"{key!r} is not an input block of the view"))
        if not isinstance(message, str) or not message:
            out.append(problem(f"/errors/{key}", "an error message must be a non-empty string"))
    return out


# --- walking blocks --------------------------------------------------------------------------


def _blocks(blocks: Sequence[Any], where: str) -> list[str]:
    out = block_ids_unique(blocks, where)
    for index, block in enumerate(blocks):
        pointer = f"{where}/{index}"
        if not isinstance(block, Mapping):
            out.append(problem(pointer, "a block must be an object"))
            continue
        parsed, sdk_problems = _sdk_block(block, pointer)
        out += sdk_problems
        if parsed is not None:
            out += known_fields(block, set(parsed.attributes), pointer)
        out += _block_parts(block, pointer)
    return out


def _block_parts(block: Mapping[str, Any], where: str) -> list[str]:
    kind = block.get("type")
    out: list[str] = []
    if kind == "section":
        if isinstance(block.get("text"), Mapping):
            out += _text(block["text"], f"{where}/text")
        for index, field in enumerate(block.get("fields") or []):
            out += _text(field, f"{where}/fields/{index}")
        if isinstance(block.get("accessory"), Mapping):
            out += _element(block["accessory"], f"{where}/accessory")
    elif kind == "header" and isinstance(block.get("text"), Mapping):
        out += _text(block["text"], f"{where}/text", plain_only=True)
    elif kind == "context":
        for index, element in enumerate(block.get("elements") or []):
            if isinstance(element, Mapping) and element.get("type") in TEXT_FIELDS:
                out += _text(element, f"{where}/elements/{index}")
    elif kind == "actions":
        elements = block.get("elements") or []
        out += action_ids_unique_in_block(elements, f"{where}/elements")
        for index, element in enumerate(elements):
            if isinstance(element, Mapping):
                out += _element(element, f"{where}/elements/{index}")
    elif kind == "input":
        for key in ("label", "hint"):
            if isinstance(block.get(key), Mapping):
                out += _text(block[key], f"{where}/{key}", plain_only=True)
        if isinstance(block.get("element"), Mapping):
            out += _element(block["element"], f"{where}/element")
    return out


def _element(element: Mapping[str, Any], where: str) -> list[str]:
    out: list[str] = []
    with _quiet_sdk(), contextlib.suppress(Exception):  # the SDK's own verdict came with the block
        parsed = BlockElement.parse(dict(element))
        if parsed is not None:
            out += known_fields(element, set(parsed.attributes), where)
    kind = element.get("type")
    if kind == "button" and isinstance(element.get("text"), Mapping):
        out += _text(element["text"], f"{where}/text", plain_only=True)
    if isinstance(element.get("placeholder"), Mapping):
        out += _text(element["placeholder"], f"{where}/placeholder", plain_only=True)
    if isinstance(element.get("confirm"), Mapping):
        out += _confirm(element["confirm"], f"{where}/confirm")
    if kind in NEEDS_OPTIONS:
        out += options_present(element, where)
        out += choice_limit(element, where)
        out += _option_list(element, where, plain_only=kind in SELECTS_WITH_PLAIN_OPTIONS)
        out += initial_options_among_options(element, where)
    elif isinstance(element.get("initial_option"), Mapping):  # an external select brings its own
        out += _option(element["initial_option"], f"{where}/initial_option", plain_only=True)
    return out


def _confirm(confirm: Mapping[str, Any], where: str) -> list[str]:
    out = known_fields(confirm, CONFIRM_FIELDS, where)
    for key in ("title", "confirm", "deny"):
        if isinstance(confirm.get(key), Mapping):
            out += _text(confirm[key], f"{where}/{key}", plain_only=True)
    if isinstance(confirm.get("text"), Mapping):
        out += _text(confirm["text"], f"{where}/text")
    return out


def _option_list(holder: Mapping[str, Any], where: str, *, plain_only: bool) -> list[str]:
    """Our rules for the options (or option groups) of an element or an options-load answer; their
    counts and value lengths are the SDK's."""
    out: list[str] = []
    for index, group in enumerate(holder.get("option_groups") or []):
        pointer = f"{where}/option_groups/{index}"
        if not isinstance(group, Mapping):
            out.append(problem(pointer, "an option group must be an object"))
            continue
        out += known_fields(group, OPTION_GROUP_FIELDS, pointer)
        if isinstance(group.get("label"), Mapping):
            out += _text(group["label"], f"{pointer}/label", plain_only=True)
        out += _options(group.get("options") or [], f"{pointer}/options", plain_only=True)
    out += _options(holder.get("options") or [], f"{where}/options", plain_only=plain_only)
    return out


def _options(options: Sequence[Any], where: str, *, plain_only: bool) -> list[str]:
    out: list[str] = []
    for index, option in enumerate(options):
        out += _option(option, f"{where}/{index}", plain_only=plain_only)
    return out


def _option(option: Any, where: str, *, plain_only: bool) -> list[str]:
    if not isinstance(option, Mapping):
        return [problem(where, "an option must be an object")]
    out = known_fields(option, OPTION_FIELDS, where)
    out += option_lengths(option, where)
    out += _text(option.get("text"), f"{where}/text", plain_only=plain_only)
    if isinstance(option.get("description"), Mapping):
        out += _text(option["description"], f"{where}/description", plain_only=plain_only)
    return out


def _text(text: Any, where: str, *, plain_only: bool = False) -> list[str]:
    if not isinstance(text, Mapping):
        return [problem(where, "must be a text object")]
    kind = text.get("type")
    if kind not in TEXT_FIELDS:
        return [problem(f"{where}/type", "a text object is plain_text or mrkdwn")]
    out = known_fields(text, TEXT_FIELDS[str(kind)], where)
    out += text_not_empty(text, where)
    if plain_only:
        out += plain_text_only(text, where)
    return out


def _elements(blocks: Sequence[Any], where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for index, block in enumerate(blocks):
        if not isinstance(block, Mapping):
            continue
        if isinstance(block.get("accessory"), Mapping):
            yield f"{where}/{index}/accessory", block["accessory"]
        if isinstance(block.get("element"), Mapping):
            yield f"{where}/{index}/element", block["element"]
        if block.get("type") == "actions":
            for n, element in enumerate(block.get("elements") or []):
                if isinstance(element, Mapping):
                    yield f"{where}/{index}/elements/{n}", element


def _all_options(element: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from (o for o in element.get("options") or [] if isinstance(o, Mapping))
    for group in element.get("option_groups") or []:
        if isinstance(group, Mapping):
            yield from (o for o in group.get("options") or [] if isinstance(o, Mapping))


def _option_key(option: Mapping[str, Any]) -> tuple[str, str]:
    """What "exactly matches" compares: the value and the text shown."""
    text = option.get("text")
    shown = text.get("text", "") if isinstance(text, Mapping) else str(text or "")
    return str(option.get("value")), str(shown)
