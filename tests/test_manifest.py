"""manifest.yml asks Slack for what bxhours asks at install, and every setting is documented."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack_oauth import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from bxhours.settings import EXPECTATIONS, Settings

ROOT = Path(__file__).resolve().parent.parent


def manifest() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def test_the_manifest_asks_for_the_scopes_the_install_asks_for() -> None:
    oauth = manifest()["oauth_config"]
    assert sorted(oauth["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert {"files:write", "chat:write.public"} <= set(BOT_SCOPES)
    assert [url.endswith(REDIRECT_PATH) for url in oauth["redirect_urls"]] == [True]


def test_the_manifest_subscribes_to_the_events_that_end_an_installation() -> None:
    settings = manifest()["settings"]
    assert {"app_home_opened", "app_uninstalled", "tokens_revoked"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    assert settings["org_deploy_enabled"] is True  # an org-wide install is one tenant


def test_every_setting_is_documented_in_env_example_and_the_readme() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        variable = name.upper()
        assert variable in readme, f"{variable} is not in README.md"
        if variable != "BXHOURS_WORKSPACE":  # a per-command choice, not a deployment's
            assert variable in example, f"{variable} is not in .env.example"
    assert INSTALL_PATH in readme
    for variable in ("PUBLIC_URL", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_AUTHORIZE_URL"):
        assert variable in EXPECTATIONS


def test_the_manifest_declares_log_absence_with_escaped_mentions() -> None:
    """`/log-absence @person …` (admins) needs Slack to send mentions as `<@U…>` (issue 16 §6)."""
    commands = {entry["command"]: entry for entry in manifest()["features"]["slash_commands"]}
    assert commands["/log-absence"]["should_escape"] is True
    assert commands["/log-absence"]["url"] == commands["/log-hours"]["url"]
