"""The fake Slack's three-step file upload (``files_upload_v2``) is as strict as Slack: the scope,
a length, the bytes before the completion, exactly the announced size, a DM that exists, and each
file shared once (issue 15 §3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bxhours.fakes.slack_api import FakeSlack

PDF = b"%PDF-1.4 a timesheet report\n%%EOF"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    slack.add_user("U1", "a@example.ch", "Anna Muster")
    runner = await slack.start()
    yield slack
    await runner.cleanup()


def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def dm(fake: FakeSlack, user: str = "U1") -> str:
    opened = await client(fake).conversations_open(users=user)
    return str(opened["channel"]["id"])


async def test_files_upload_v2_shares_the_bytes_in_the_dm_with_its_comment(fake: FakeSlack) -> None:
    channel = await dm(fake)
    answer = await client(fake).files_upload_v2(
        channel=channel,
        filename="Leistungsrapport-RE-00042.pdf",
        content=PDF,
        title="Leistungsrapport RE-00042",
        initial_comment="The report of draft RE-00042",
    )
    assert answer["file"]["name"] == "Leistungsrapport-RE-00042.pdf"
    assert [c.method for c in fake.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    [shared] = fake.uploaded_files(channel)
    assert (shared.content, shared.title, shared.filename) == (
        PDF,
        "Leistungsrapport RE-00042",
        "Leistungsrapport-RE-00042.pdf",
    )
    assert shared.as_slack()["mimetype"] == "application/pdf"
    [message] = fake.dm_messages("U1")
    assert message["text"] == "The report of draft RE-00042"
    assert message["files"][0]["id"] == shared.id


async def test_without_files_write_every_step_is_refused(fake: FakeSlack) -> None:
    fake.grants[fake.bot_token].scopes.remove("files:write")
    channel = await dm(fake)
    with pytest.raises(SlackApiError) as refused:
        await client(fake).files_upload_v2(channel=channel, filename="r.pdf", content=PDF, title="r")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "files:write"
    assert fake.uploaded_files() == []


async def test_a_file_never_uploaded_cannot_be_completed(fake: FakeSlack) -> None:
    slack = client(fake)
    channel = await dm(fake)
    announced = await slack.files_getUploadURLExternal(filename="r.pdf", length=len(PDF))
    with pytest.raises(SlackApiError) as refused:
        await slack.files_completeUploadExternal(
            files=[{"id": announced["file_id"], "title": "r"}], channel_id=channel
        )
    assert refused.value.response["error"] == "file_not_found"


async def test_the_upload_must_have_the_announced_size_and_happens_once(fake: FakeSlack) -> None:
    slack = client(fake)
    channel = await dm(fake)
    announced = await slack.files_getUploadURLExternal(filename="r.pdf", length=len(PDF))
    async with httpx.AsyncClient() as http:
        short = await http.post(str(announced["upload_url"]), content=PDF[:-1])
        assert short.status_code == 400
        assert (await http.post(str(announced["upload_url"]), content=PDF)).status_code == 200
        assert (await http.post(str(announced["upload_url"]), content=PDF)).status_code == 404
    files = [{"id": announced["file_id"], "title": "r"}]
    done = await slack.files_completeUploadExternal(files=files, channel_id=channel)
    assert done["files"][0]["size"] == len(PDF)
    with pytest.raises(SlackApiError) as again:
        await slack.files_completeUploadExternal(files=files, channel_id=channel)
    assert again.value.response["error"] == "file_not_found"


async def test_arguments_are_checked(fake: FakeSlack) -> None:
    slack = client(fake)
    with pytest.raises(SlackApiError) as empty:
        await slack.files_getUploadURLExternal(filename="r.pdf", length=0)
    assert empty.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as nameless:
        await slack.files_getUploadURLExternal(filename="", length=3)
    assert nameless.value.response["error"] == "invalid_arguments"
    announced = await slack.files_getUploadURLExternal(filename="r.pdf", length=3)
    async with httpx.AsyncClient() as http:
        await http.post(str(announced["upload_url"]), content=b"abc")
    files = [{"id": announced["file_id"]}]
    with pytest.raises(SlackApiError) as unknown_dm:
        await slack.files_completeUploadExternal(files=files, channel_id="D0NOBODY")
    assert unknown_dm.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as both:
        await slack.files_completeUploadExternal(files=files, channel_id=await dm(fake), channels=["C1"])
    assert both.value.response["error"] == "invalid_arguments"
