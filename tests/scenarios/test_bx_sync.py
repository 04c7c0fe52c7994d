"""`/bx-sync` end to end: signed Slack requests, the real server and worker, the bexio sandbox."""

from __future__ import annotations

from bxhours.fakes.stack import ANDREA, Stack


def finished(call) -> bool:  # type: ignore[no-untyped-def]
    text = call.params.get("text", "")
    return "finished" in text or "failed" in text


async def test_admin_imports_and_sees_the_summary(stack: Stack) -> None:
    response = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert response.status == 200
    assert "started" in response.text
    calls = await stack.fake.wait_for("chat.update", finished, timeout=30)
    print(calls[-1].params["text"])
    print([c.params["text"] for c in stack.fake.calls_to("chat.update")])
    assert "finished" in calls[-1].params["text"]
