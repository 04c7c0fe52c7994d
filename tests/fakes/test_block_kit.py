"""The Block Kit rules of the fake Slack (bxhours.fakes.block_kit): valid views and messages pass,
and each rule — the SDK's and ours — refuses what Slack refuses. Every rule has a test here that
fails when the rule is taken out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.views import week as week_view
from bxhours.fakes import block_kit as bk
from services.week import WeekDay, WeekItem, WeekView

Json = dict[str, Any]


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str | None = None) -> Json:
    return {"text": plain(text), "value": value if value is not None else text.lower()}


def button(text: str, action_id: str, value: str = "v") -> Json:
    return {"type": "button", "text": plain(text), "action_id": action_id, "value": value}


def section(text: str = "Hello", **extra: Any) -> Json:
    return {"type": "section", "text": mrkdwn(text), **extra}


def actions(*elements: Json, block_id: str = "nav") -> Json:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def select(options: list[Json], **extra: Any) -> Json:
    return {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": plain("Pick"),
        "options": options,
        **extra,
    }


def input_block(element: Json, block_id: str = "in", label: Json | None = None) -> Json:
    return {"type": "input", "block_id": block_id, "label": label or plain("Label"), "element": element}


def modal(*blocks: Json, **extra: Any) -> Json:
    view: Json = {
        "type": "modal",
        "callback_id": "cb",
        "title": plain("Log hours"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": list(blocks),
    }
    view.update(extra)
    return view


def home(*blocks: Json) -> Json:
    return {"type": "home", "blocks": list(blocks)}


def refused(problems: list[str], fragment: str) -> bool:
    return any(fragment in line for line in problems)


# --- valid things pass -----------------------------------------------------------------------


def test_a_rich_valid_modal_passes() -> None:
    view = modal(
        {"type": "header", "text": plain("New entry")},
        section("*Website* — 2:30 h", accessory=button("Undo", "undo")),
        section(fields=[mrkdwn("*Net*"), mrkdwn("CHF 100.00")], text=None),
        {"type": "divider"},
        actions(button("◀", "prev"), button("▶", "next"), block_id="nav"),
        {"type": "context", "elements": [mrkdwn("Week total *4:00 h*")]},
        input_block(
            select([option("Umsetzung", "1"), option("Meeting", "2")], initial_option=option("Meeting", "2")),
            block_id="activity",
        ),
        input_block(
            {
                "type": "checkboxes",
                "action_id": "billable",
                "options": [{"text": mrkdwn("*billable*"), "value": "billable"}],
                "initial_options": [{"text": mrkdwn("*billable*"), "value": "billable"}],
            },
            block_id="billable",
        ),
        input_block(
            {
                "type": "external_select",
                "action_id": "project",
                "placeholder": plain("Project"),
                "initial_option": option("Anything", "42"),
            },
            block_id="project",
        ),
        input_block({"type": "plain_text_input", "action_id": "note", "multiline": True}, block_id="note"),
        input_block({"type": "datepicker", "action_id": "day", "initial_date": "2026-11-23"}, block_id="day"),
        private_metadata='{"week": "2026-11-23"}',
    )
    view["blocks"][2].pop("text")
    assert bk.view_problems(view) == []


def test_a_valid_home_and_message_pass() -> None:
    assert bk.view_problems(home(section(), actions(button("A", "a"), button("B", "b")))) == []
    message = {"text": "Your week", "blocks": [section(), actions(button("A", "a"))]}
    assert bk.message_problems(message) == []
    assert not bk.missing_fallback_text(message)


def test_the_same_action_id_in_different_blocks_is_fine() -> None:
    view = home(actions(button("A", "go"), block_id="one"), actions(button("B", "go"), block_id="two"))
    assert bk.view_problems(view) == []


# --- the SDK's layer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "fragment"),
    [
        (modal(section(), title=plain("A title longer than 24 chars")), "title must be between 1 and 24"),
        (modal(section(), private_metadata="x" * 3001), "private_metadata cannot exceed 3000"),
        (home(*[section(f"{n}") for n in range(101)]), "between 1 and 100 blocks"),
        ({**home(section()), "submit": plain("Save")}, "home view cannot have submit"),
    ],
)
def test_the_sdk_checks_the_view_itself(view: Json, fragment: str) -> None:
    assert refused(bk.view_problems(view), fragment)


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        (actions(button("Go", "go", value="x" * 2001)), "value attribute cannot exceed 2000"),
        ({"type": "header", "text": plain("x" * 151)}, "cannot exceed 150"),
        (section("x" * 3001), "cannot exceed 3000"),
        (actions(*[button(f"{n}", f"b{n}") for n in range(26)]), "cannot exceed 25 elements"),
        (section(accessory=select([option(f"o{n}") for n in range(101)])), "cannot exceed 100 elements"),
        ({"type": "section", "block_id": "empty"}, "text or fields attribute must be specified"),
    ],
)
def test_the_sdk_checks_each_block(block: Json, fragment: str) -> None:
    assert refused(bk.view_problems(home(block)), fragment)
    assert refused(bk.message_problems({"text": "t", "blocks": [block]}), fragment)


def test_an_option_group_select_is_limited_to_100_groups_by_the_sdk() -> None:
    groups = [{"label": plain(f"G{n}"), "options": [option(f"o{n}")]} for n in range(101)]
    block = section(accessory={"type": "static_select", "action_id": "pick", "option_groups": groups})
    assert refused(bk.view_problems(home(block)), "option_groups attribute cannot exceed 100")


def test_an_unknown_block_type_is_refused_not_dropped() -> None:
    assert refused(bk.view_problems(home({"type": "sektion", "text": mrkdwn("x")})), "unknown block type")


# --- our layer ---------------------------------------------------------------------------------


def test_duplicate_action_ids_in_one_block_are_refused() -> None:
    problems = bk.view_problems(home(actions(button("◀", "week_nav"), button("▶", "week_nav"))))
    assert problems == [
        "[ERROR] duplicate action_id 'week_nav' in one block [json-pointer:/view/blocks/0/elements/1/action_id]"
    ]


def test_the_week_navigation_is_accepted_in_the_home_and_in_a_message() -> None:
    """The App Home's navigation once gave all its buttons one action_id (issue 11)."""
    item = WeekItem("time", 1, date(2026, 11, 16), "Website", "Umsetzung", 90, None, True, "", None)
    week = WeekView(date(2026, 11, 16), date(2026, 11, 25), (WeekDay(date(2026, 11, 16), (item,)),))
    blocks = week_view.blocks(week, budget=week_view.HOME_BLOCK_LIMIT)
    nav = next(b for b in blocks if b.get("block_id") == week_view.NAV_BLOCK)
    assert [e["action_id"] for e in nav["elements"][:3]] == list(week_view.NAV_ACTIONS)
    assert bk.view_problems(home(*blocks)) == []
    assert bk.message_problems(week_view.message(week)) == []


def test_duplicate_block_ids_are_refused_in_views_and_messages() -> None:
    blocks = [section(block_id="same"), section(block_id="same")]
    assert refused(bk.view_problems(home(*blocks)), "duplicate block_id 'same'")
    assert refused(bk.message_problems({"text": "t", "blocks": blocks}), "duplicate block_id 'same'")


def test_a_message_holds_at_most_50_blocks() -> None:
    assert bk.message_problems({"text": "t", "blocks": [section(f"{n}") for n in range(50)]}) == []
    problems = bk.message_problems({"text": "t", "blocks": [section(f"{n}") for n in range(51)]})
    assert refused(problems, "no more than 50 items allowed, got 51")
    assert bk.view_problems(home(*[section(f"{n}") for n in range(51)])) == [], "views take 100"


def test_a_modal_needs_a_title() -> None:
    view = modal(section())
    del view["title"]
    assert refused(bk.view_problems(view), "a modal must have a title")


def test_a_modal_with_inputs_needs_submit() -> None:
    view = modal(input_block({"type": "plain_text_input", "action_id": "note"}))
    del view["submit"]
    assert refused(bk.view_problems(view), "must define submit to use input block")
    assert bk.view_problems(modal(section(), submit=None) | {"submit": None}) == []


def test_only_one_element_may_take_the_focus() -> None:
    first = input_block({"type": "plain_text_input", "action_id": "a", "focus_on_load": True}, block_id="a")
    second = input_block({"type": "plain_text_input", "action_id": "b", "focus_on_load": True}, block_id="b")
    assert bk.view_problems(modal(first)) == []
    assert refused(bk.view_problems(modal(first, second)), "only one element of a view may set focus_on_load")


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (section(""), "/view/blocks/0/text/text"),
        (actions(button("", "go")), "/view/blocks/0/elements/0/text/text"),
        (section(accessory=select([option("", "x")])), "/view/blocks/0/accessory/options/0/text/text"),
        ({"type": "header", "text": plain("")}, "/view/blocks/0/text/text"),
    ],
)
def test_empty_texts_are_refused(block: Json, pointer: str) -> None:
    assert f"[ERROR] must be more than 0 characters [json-pointer:{pointer}]" in bk.view_problems(home(block))


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        (actions({**button("Go", "go"), "actionid": "x"}), "invalid additional property: actionid"),
        (section(block_id="s", colour="red"), "invalid additional property: colour"),
        (section(text=None) | {"text": {**mrkdwn("x"), "emoji": True}}, "invalid additional property: emoji"),
        (section(accessory=select([{**option("A"), "label": "A"}])), "invalid additional property: label"),
    ],
)
def test_unknown_fields_are_refused(block: Json, fragment: str) -> None:
    assert refused(bk.view_problems(home(block)), fragment)


@pytest.mark.parametrize(
    "block",
    [
        {"type": "header", "text": mrkdwn("Week")},
        actions({**button("Go", "go"), "text": mrkdwn("Go")}),
        section(accessory=select([{"text": mrkdwn("*A*"), "value": "a"}])),
        section(
            accessory={"type": "overflow", "action_id": "o", "options": [{"text": mrkdwn("A"), "value": "a"}]}
        ),
    ],
)
def test_plain_text_is_required_where_slack_wants_it(block: Json) -> None:
    assert refused(bk.view_problems(home(block)), "must be a plain_text text object")


def test_mrkdwn_is_fine_in_checkbox_options_and_input_labels_are_plain() -> None:
    checkboxes = {"type": "checkboxes", "action_id": "c", "options": [{"text": mrkdwn("*A*"), "value": "a"}]}
    assert bk.view_problems(modal(input_block(checkboxes))) == []
    labelled = input_block({"type": "plain_text_input", "action_id": "n"}, label=mrkdwn("Note"))
    assert refused(bk.view_problems(modal(labelled)), "must be a plain_text text object")


@pytest.mark.parametrize(
    "element",
    [
        {"type": "checkboxes", "action_id": "c", "options": []},
        {"type": "radio_buttons", "action_id": "r", "options": []},
        select([]),
        {"type": "static_select", "action_id": "s", "placeholder": plain("P"), "option_groups": []},
    ],
)
def test_choices_need_options(element: Json) -> None:
    assert refused(bk.view_problems(modal(input_block(element))), "must have at least one option")


def test_an_option_group_needs_options() -> None:
    element = {
        "type": "static_select",
        "action_id": "s",
        "option_groups": [{"label": plain("G"), "options": []}],
    }
    assert refused(bk.view_problems(modal(input_block(element))), "an option group needs at least one option")


@pytest.mark.parametrize("kind", ["checkboxes", "radio_buttons"])
def test_checkboxes_and_radio_buttons_hold_at_most_10_options(kind: str) -> None:
    ten = {"type": kind, "action_id": "c", "options": [option(f"o{n}") for n in range(10)]}
    assert bk.view_problems(modal(input_block(ten))) == []
    eleven = {**ten, "options": [option(f"o{n}") for n in range(11)]}
    assert refused(bk.view_problems(modal(input_block(eleven))), "no more than 10 items allowed, got 11")


@pytest.mark.parametrize(
    ("element", "key"),
    [
        (select([option("A"), option("B")], initial_option=option("C")), "initial_option"),
        (select([option("A")], initial_option=option("A", "other value")), "initial_option"),
        (
            {
                "type": "radio_buttons",
                "action_id": "r",
                "options": [option("A")],
                "initial_option": option("B"),
            },
            "initial_option",
        ),
        (
            {
                "type": "checkboxes",
                "action_id": "c",
                "options": [option("A")],
                "initial_options": [option("A"), option("B")],
            },
            "initial_options/1",
        ),
        (
            {
                "type": "static_select",
                "action_id": "s",
                "option_groups": [{"label": plain("G"), "options": [option("A")]}],
                "initial_option": option("B"),
            },
            "initial_option",
        ),
    ],
)
def test_initial_options_must_be_among_the_options(element: Json, key: str) -> None:
    problems = bk.view_problems(modal(input_block(element)))
    assert f"[ERROR] must match one of the options [json-pointer:/view/blocks/0/element/{key}]" in problems


def test_an_initial_option_inside_an_option_group_is_found() -> None:
    element = {
        "type": "static_select",
        "action_id": "s",
        "option_groups": [{"label": plain("G"), "options": [option("A")]}],
        "initial_option": option("A"),
    }
    assert bk.view_problems(modal(input_block(element))) == []


@pytest.mark.parametrize(
    ("element", "fragment"),
    [
        (select([option("A", "v" * 151)]), "/options/0/value"),
        (
            {"type": "radio_buttons", "action_id": "r", "options": [option("x" * 76, "a")]},
            "/options/0/text/text",
        ),
        ({"type": "overflow", "action_id": "o", "options": [option("A", "v" * 151)]}, "/options/0/value"),
    ],
)
def test_option_values_and_texts_have_their_limits_where_the_sdk_does_not_look(
    element: Json, fragment: str
) -> None:
    problems = bk.view_problems(home(section(accessory=element)))
    assert any(fragment in line and "at most" in line for line in problems), problems


def test_an_external_selects_own_initial_option_follows_the_option_rules() -> None:
    external = {"type": "external_select", "action_id": "p", "placeholder": plain("Project")}
    empty = input_block({**external, "initial_option": option("", "42")})
    assert refused(bk.view_problems(modal(empty)), "must be more than 0 characters")
    long_value = input_block({**external, "initial_option": option("Web", "v" * 151)})
    assert refused(bk.view_problems(modal(long_value)), "at most 150")


def test_a_button_value_of_2000_characters_is_the_limit() -> None:
    assert bk.view_problems(home(actions(button("Go", "go", value="x" * 2000)))) == []


# --- acknowledgements ------------------------------------------------------------------------


def test_errors_must_name_input_blocks_of_the_submitted_view() -> None:
    submitted = modal(
        section(block_id="intro"),
        input_block({"type": "plain_text_input", "action_id": "n"}, block_id="note"),
    )
    assert (
        bk.submission_ack_problems({"response_action": "errors", "errors": {"note": "Too long"}}, submitted)
        == []
    )
    problems = bk.submission_ack_problems({"response_action": "errors", "errors": {"intro": "No"}}, submitted)
    assert refused(problems, "'intro' is not an input block of the view")
    assert refused(
        bk.submission_ack_problems({"response_action": "errors", "errors": {}}, submitted), "non-empty"
    )


def test_update_and_push_answers_carry_a_valid_modal() -> None:
    bad = modal(actions(button("A", "same"), button("B", "same")))
    assert refused(
        bk.submission_ack_problems({"response_action": "update", "view": bad}, modal()), "duplicate action_id"
    )
    assert refused(
        bk.submission_ack_problems({"response_action": "push", "view": home(section())}, modal()),
        "needs a modal",
    )
    assert refused(
        bk.submission_ack_problems({"response_action": "replace"}, modal()), "unknown response_action"
    )
    assert bk.submission_ack_problems({"response_action": "clear"}, modal()) == []
    assert bk.submission_ack_problems({"response_action": "update", "view": modal(section())}, modal()) == []


def test_a_command_reply_with_blocks_follows_the_message_rules() -> None:
    reply = {"text": "", "blocks": [section(block_id="x"), section(block_id="x")]}
    assert refused(bk.command_ack_problems(reply), "duplicate block_id")
    assert bk.command_ack_problems(None) == []


def test_loaded_options_follow_the_static_select_rules() -> None:
    assert bk.options_problems({"options": [option("A"), option("B")]}) == []
    assert bk.options_problems({"options": []}) == [], "no match is an empty list, not a refusal"
    assert bk.options_problems({"option_groups": []}) == []
    assert refused(
        bk.options_problems({"options": [option(f"o{n}") for n in range(101)]}), "cannot exceed 100"
    )
    assert refused(bk.options_problems({"options": [option("A", "v" * 151)]}), "at most 150")
    assert refused(bk.options_problems({"options": [{"text": mrkdwn("A"), "value": "a"}]}), "plain_text")
    groups = {"option_groups": [{"label": plain("G"), "options": []}]}
    assert refused(bk.options_problems(groups), "an option group needs at least one option")
    assert refused(bk.options_problems({"options": [], "option_groups": []}), "exactly one of")


def test_blocks_without_fallback_text_are_noticed() -> None:
    assert bk.missing_fallback_text({"blocks": [section()]})
    assert bk.missing_fallback_text({"text": " ", "blocks": [section()]})
    assert not bk.missing_fallback_text({"text": "Hi"})
