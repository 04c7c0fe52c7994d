"""A person chooses their language in the App Home, and "+ New customer" asks for the customer's
(issue 14 §2, §5) — through signed Slack requests; the select's value is the sender's and is
checked against the languages bxhours offers."""

from __future__ import annotations

import json
from typing import Any

from bot.views import home as home_view
from bxhours.fakes.stack import ANDREA, MIA, Stack
from services.languages import LanguageService


def _texts(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def _languages(stack: Stack) -> LanguageService:
    found = stack.runtime.services.languages
    assert found is not None
    return found


def _select(view: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == home_view.LANGUAGE_BLOCK)
    return block["accessory"]


async def _home(stack: Stack, user: str) -> dict[str, Any]:
    before = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(user)
    await stack.fake.wait_for("views.publish", count=before + 1)
    return stack.fake.home[user]


async def _choose(stack: Stack, user: str, value: str, text: str = "Deutsch") -> int:
    before = len(stack.fake.calls_to("views.publish"))
    response = await stack.slack.block_action(
        user,
        home_view.LANGUAGE_ACTION,
        block_id=home_view.LANGUAGE_BLOCK,
        selected_option={"value": value, "text": {"type": "plain_text", "text": text}},
        view=stack.fake.home[user],
    )
    assert response.status == 200
    return before


async def test_a_person_chooses_their_language_in_the_app_home(stack: Stack) -> None:
    home = await _home(stack, MIA)  # a member, not an admin: the select is for everyone
    select = _select(home)
    assert [o["value"] for o in select["options"]] == ["auto", "de", "fr", "it", "en"]
    assert select["initial_option"]["value"] == "auto"
    assert select["initial_option"]["text"]["text"] == "Automatic (Slack: English)"  # Slack's en-US

    before = await _choose(stack, MIA, "de")
    await stack.fake.wait_for("views.publish", count=before + 1)
    assert await _languages(stack).chosen(stack.tenant_id, MIA) == "de"
    german = stack.fake.home[MIA]
    assert "Deine Sprache" in _texts(german) and "Your language" not in _texts(german)
    assert _select(german)["initial_option"]["value"] == "de"
    assert _select(german)["initial_option"]["text"]["text"] == "Deutsch"
    assert "Automatisch (Slack: English)" in _texts(_select(german))

    before = await _choose(stack, MIA, "auto", "Automatisch (Slack: English)")
    await stack.fake.wait_for("views.publish", count=before + 1)
    assert await _languages(stack).chosen(stack.tenant_id, MIA) is None
    english = stack.fake.home[MIA]
    assert "Your language" in _texts(english)
    assert _select(english)["initial_option"]["value"] == "auto"


async def test_a_forged_language_is_refused_and_changes_nothing(stack: Stack) -> None:
    await _home(stack, ANDREA)
    await _choose(stack, ANDREA, "fr", "Français")
    await stack.fake.wait_for("views.publish", lambda c: "Votre langue" in _texts(c.params["view"]))
    for forged in ("xx", "de; DROP", "de-CH", "", "FR"):
        published = len(stack.fake.calls_to("views.publish"))
        await _choose(stack, ANDREA, forged, "Deutsch")
        assert await _languages(stack).chosen(stack.tenant_id, ANDREA) == "fr", forged
        assert len(stack.fake.calls_to("views.publish")) == published, forged
    assert "Votre langue" in _texts(stack.fake.home[ANDREA])
