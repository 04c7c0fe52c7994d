"""Finding bexio people in Slack: users.list paged, stopping once everyone asked for is found."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_directory import SlackDirectory
from bxhours.fakes.slack_api import FakeSlack
from services.importing.people import DirectoryUnavailable


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    for number in range(450):
        slack.add_user(f"U{number:05d}", f"Person.{number}@Example.CH", f"Person {number}")
    runner = await slack.start()
    yield slack
    await runner.cleanup()


async def test_pages_until_everyone_is_found(fake: FakeSlack) -> None:
    directory = SlackDirectory(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url))
    found = await directory.people_by_email(["person.3@example.ch", "PERSON.250@example.ch"])
    assert found == {"person.3@example.ch": "U00003", "person.250@example.ch": "U00250"}
    assert len(fake.calls_to("users.list")) == 2  # 450 members, but the second page had them all


async def test_deleted_members_and_bots_do_not_match(fake: FakeSlack) -> None:
    fake.users["U00001"].deleted = True
    fake.users["U00002"].is_bot = True
    directory = SlackDirectory(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url))
    found = await directory.people_by_email(
        ["person.1@example.ch", "person.2@example.ch", "nobody@example.ch"]
    )
    assert found == {}
    assert len(fake.calls_to("users.list")) == 3  # someone was not found: every page was read


async def test_refusal_is_a_directory_error(fake: FakeSlack) -> None:
    fake.fail_next("users.list", "missing_scope")
    directory = SlackDirectory(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url))
    with pytest.raises(DirectoryUnavailable, match="missing_scope"):
        await directory.people_by_email(["person.1@example.ch"])
