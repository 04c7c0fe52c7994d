"""Which language a person reads bxhours in (issue 14 §2): their own choice, else their Slack
language, else the workspace's setting, else BXHOURS_LANGUAGE."""

from __future__ import annotations

import pytest

from bxhours.fakes.stack import Stack
from services.languages import LanguageService


@pytest.fixture
def languages(stack: Stack) -> LanguageService:
    found = stack.runtime.services.languages
    assert found is not None
    return found


async def test_the_order_is_choice_then_slack_then_workspace_then_deployment(
    stack: Stack, languages: LanguageService
) -> None:
    fake, tenant = stack.fake, stack.tenant_id
    fake.add_user("U0FRANCINE", "francine@alpenblick.example", "Francine Favre", locale="fr-FR")
    fake.add_user("U0PIETRO", "pietro@alpenblick.example", "Pietro Rossi", locale="it-CH")
    fake.add_user("U0KEIKO", "keiko@alpenblick.example", "Keiko Sato", locale="ja-JP")
    assert await languages.for_person(tenant, "U0FRANCINE") == "fr"  # Slack's fr-FR
    assert await languages.for_person(tenant, "U0PIETRO") == "it"
    # A Slack language bxhours does not speak: the deployment's default (the tests' English) …
    assert await languages.for_person(tenant, "U0KEIKO") == "en"
    # … until the workspace sets one.
    await stack.runtime.services.settings.set(tenant, "language", "fr", actor="test")
    assert await languages.for_person(tenant, "U0KEIKO") == "fr"
    # A person's own choice beats Slack's.
    assert await languages.choose(tenant, "U0FRANCINE", "de-CH") == "de"
    assert await languages.for_person(tenant, "U0FRANCINE") == "de"
    assert await languages.choose(tenant, "U0FRANCINE", None) is None  # back to Slack's
    assert await languages.for_person(tenant, "U0FRANCINE") == "fr"


async def test_the_slack_language_is_asked_once_and_remembered(
    stack: Stack, languages: LanguageService
) -> None:
    stack.fake.add_user("U0FRANCINE", "francine@alpenblick.example", "Francine Favre", locale="fr-CH")
    for _ in range(3):
        assert await languages.for_person(stack.tenant_id, "U0FRANCINE") == "fr"
    asked = [
        call
        for call in stack.fake.calls_to("users.info")
        if call.params.get("user") == "U0FRANCINE"
        and str(call.params.get("include_locale")).lower() in ("1", "true")
    ]
    assert len(asked) == 1


async def test_the_workspace_setting_is_validated(stack: Stack) -> None:
    settings = stack.runtime.services.settings
    with pytest.raises(Exception, match="de, fr, it, en"):
        await settings.set(stack.tenant_id, "language", "klingon", actor="test")
    assert await settings.set(stack.tenant_id, "language", "IT", actor="test") == "it"


async def test_a_person_reads_their_slack_language_and_can_choose_another(stack: Stack) -> None:
    stack.fake.add_user("U0GRETA", "greta@alpenblick.example", "Greta Graf", locale="de-CH")
    german = await stack.slack.command("/log-hours", "hilfe", user_id="U0GRETA")
    assert "Dauer" in german.text or "DAUER" in german.text, german.text
    chosen = await stack.slack.command("/log-hours", "language fr", user_id="U0GRETA")
    assert chosen.text == "bxhours te parle désormais en Français."
    french = await stack.slack.command("/log-hours", "aide", user_id="U0GRETA")
    assert french.text != german.text and "/log-hours" in french.text
    back = await stack.slack.command("/log-hours", "sprache auto", user_id="U0GRETA")
    assert "Slack" in back.text and "Deutsch" in back.text
    wrong = await stack.slack.command("/log-hours", "language klingon", user_id="U0GRETA")
    assert "`/log-hours language de`" in wrong.text
