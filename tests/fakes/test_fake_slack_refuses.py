"""The fake Slack answers over HTTP as Slack does when Block Kit is invalid, remembers every refusal,
and fails when it stops unless the test expected the refusal; the signed-request helper checks what
an app answers in its acknowledgements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bxhours.fakes.slack_api import FakeSlack
from bxhours.fakes.slack_client import SlackSimulator

TWIN_BUTTONS = {
    "type": "actions",
    "block_id": "week_nav",
    "elements": [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "◀"},
            "action_id": "week_nav",
            "value": "a",
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "▶"},
            "action_id": "week_nav",
            "value": "b",
        },
    ],
}
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    slack.add_user("U1", "a@example.ch", "Anna Muster")
    runner = await slack.start(strict=False)  # each test looks at the refusals itself
    yield slack
    await runner.cleanup()


def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def test_an_invalid_view_gets_invalid_arguments_with_slacks_messages(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client(fake).views_publish(user_id="U1", view={"type": "home", "blocks": [TWIN_BUTTONS]})
    assert refused.value.response["error"] == "invalid_arguments"
    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] duplicate action_id 'week_nav' in one block [json-pointer:/view/blocks/0/elements/1/action_id]"
    ]
    assert "U1" not in fake.home, "a refused view is not shown"
    [refusal] = fake.refusals
    assert (refusal.method, refusal.error) == ("views.publish", "invalid_arguments")


@pytest.mark.parametrize("method", ["views_open", "views_push"])
async def test_views_open_and_push_are_checked(fake: FakeSlack, method: str) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [TWIN_BUTTONS]}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await getattr(client(fake), method)(trigger_id="1.2.3", view=view)
    assert "1.2.3" not in fake.used_triggers, "a refused view leaves its trigger unused"


async def test_views_update_is_checked(fake: FakeSlack) -> None:
    web_client = client(fake)
    opened = await web_client.views_open(
        trigger_id="1.2.3",
        view={"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [SECTION]},
    )
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await web_client.views_update(
            view_id=opened["view"]["id"],
            view={
                "type": "modal",
                "title": {"type": "plain_text", "text": "Hi"},
                "blocks": [SECTION, SECTION | {"text": {"type": "mrkdwn", "text": ""}}],
            },
        )
    assert fake.modal()["blocks"] == [SECTION], "the modal keeps showing what it showed"


async def test_invalid_messages_get_invalid_blocks(fake: FakeSlack) -> None:
    web_client = client(fake)
    too_many = [SECTION] * 51
    for call in (
        web_client.chat_postMessage(channel="D1", text="t", blocks=too_many),
        web_client.chat_postEphemeral(channel="C1", user="U1", text="t", blocks=[TWIN_BUTTONS]),
    ):
        with pytest.raises(SlackApiError) as refused:
            await call
        assert refused.value.response["error"] == "invalid_blocks"
        assert refused.value.response["response_metadata"]["messages"]
    posted = await web_client.chat_postMessage(channel="D1", text="t", blocks=[SECTION])
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await web_client.chat_update(channel="D1", ts=posted["ts"], text="t", blocks=[TWIN_BUTTONS])
    assert fake.messages[("D1", posted["ts"])]["blocks"] == [SECTION]
    assert [r.method for r in fake.refusals] == ["chat.postMessage", "chat.postEphemeral", "chat.update"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_blocks_without_fallback_text_pass_slack_but_fail_our_tests(fake: FakeSlack) -> None:
    answer = await client(fake).chat_postMessage(channel="D1", blocks=[SECTION])
    assert answer["ok"], "Slack accepts it"
    [violation] = fake.refusals
    assert (violation.method, violation.error) == ("chat.postMessage", "violation")
    with pytest.raises(AssertionError, match="blocks without fallback text"):
        fake.assert_clean()


async def test_a_response_url_post_with_invalid_blocks_gets_400(fake: FakeSlack) -> None:
    url = fake.response_url()
    async with httpx.AsyncClient() as http:
        refused = await http.post(url, json={"text": "t", "replace_original": True, "blocks": [TWIN_BUTTONS]})
        accepted = await http.post(url, json={"text": "t", "blocks": [SECTION]})
    assert (refused.status_code, refused.text) == (400, "invalid_blocks")
    assert (accepted.status_code, accepted.text) == (200, "ok")
    assert [body["blocks"] for _path, body in fake.hooks] == [[SECTION]]
    assert [r.method for r in fake.refusals] == ["response_url"]


async def test_an_expected_refusal_keeps_the_fake_clean_and_a_missing_one_does_not(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError):
        await client(fake).views_publish(user_id="U1", view={"type": "home", "blocks": [TWIN_BUTTONS]})
    with pytest.raises(AssertionError, match="duplicate action_id"):
        fake.assert_clean()
    fake.expect_refusal("views.publish", "duplicate action_id")
    fake.assert_clean()
    fake.expect_refusal("chat.postMessage")
    with pytest.raises(AssertionError, match=r"expected a refusal of chat\.postMessage"):
        fake.assert_clean()


async def test_a_strict_fake_fails_when_it_stops() -> None:
    strict = FakeSlack()
    strict.add_user("U1", "a@example.ch", "Anna Muster")
    runner = await strict.start()
    with pytest.raises(SlackApiError):
        await client(strict).views_publish(user_id="U1", view={"type": "home", "blocks": [TWIN_BUTTONS]})
    with pytest.raises(AssertionError, match=r"views\.publish → invalid_arguments"):
        await runner.cleanup()


# --- what an app answers in its acknowledgement --------------------------------------------


def app_answering(answer: dict[str, Any]) -> web.Application:
    async def events(_request: web.Request) -> web.Response:
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


@pytest.mark.parametrize(
    ("answer", "kind", "fragment"),
    [
        ({"text": "", "blocks": [TWIN_BUTTONS]}, "command", "duplicate action_id"),
        (
            {
                "response_action": "update",
                "view": {
                    "type": "modal",
                    "title": {"type": "plain_text", "text": "x" * 25},
                    "blocks": [SECTION],
                },
            },
            "view_submission",
            "title must be between 1 and 24",
        ),
        (
            {"response_action": "errors", "errors": {"not_an_input": "No"}},
            "view_submission",
            "not an input block",
        ),
        (
            {"options": [{"text": {"type": "plain_text", "text": "A"}, "value": "v" * 151}]},
            "block_suggestion",
            "at most 150",
        ),
    ],
)
async def test_the_simulator_checks_acknowledgements(
    fake: FakeSlack, answer: dict[str, Any], kind: str, fragment: str
) -> None:
    runner = web.AppRunner(app_answering(answer))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    view = {"id": "V1", "type": "modal", "blocks": [SECTION]}
    try:
        async with SlackSimulator(f"http://127.0.0.1:{port}", "secret", fake) as slack:
            if kind == "command":
                await slack.command("/log-hours", "week", user_id="U1")
            elif kind == "view_submission":
                await slack.submit_view("U1", view, {})
            else:
                await slack.options("U1", "project", "web", view=view)
    finally:
        await runner.cleanup()
    [refusal] = fake.refusals
    assert refusal.method == f"ack:{kind}"
    assert any(fragment in message for message in refusal.messages), refusal
