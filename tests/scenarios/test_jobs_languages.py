"""Jobs speak the language of the person they report to (issue 14 §2), not the workspace's."""

from __future__ import annotations

import asyncio

from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.stack import ANDREA, Stack


def _over(call: SlackCall) -> bool:
    text = str(call.params.get("text", ""))
    return text.startswith(("Importation depuis bexio terminée", "L’importation depuis bexio a échoué"))


async def test_an_import_started_by_a_french_speaker_reports_to_them_in_french(stack: Stack) -> None:
    languages = stack.runtime.services.languages
    assert languages is not None
    assert await languages.for_workspace(stack.tenant_id) == "en"  # the workspace speaks English
    await languages.choose(stack.tenant_id, ANDREA, "fr")

    response = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert response.status == 200
    assert "Importation depuis bexio lancée" in response.text, response.text  # the handler: her language

    finished = await stack.fake.wait_for("chat.update", _over, timeout=60)
    assert str(finished[-1].params["text"]).startswith("Importation depuis bexio terminée"), finished[
        -1
    ].params
    started = [
        call
        for call in stack.fake.calls_to("chat.postMessage")
        if str(call.params.get("text", "")).startswith("Importation depuis bexio")
    ]
    assert started, "the progress DM was not posted in French"
    english = [
        call
        for call in stack.fake.calls_to("chat.postMessage") + stack.fake.calls_to("chat.update")
        if str(call.params.get("text", "")).startswith("Import from bexio")
    ]
    assert not english, [call.params["text"] for call in english]
    for _attempt in range(200):  # let the job settle before the stack stops
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            break
        await asyncio.sleep(0.05)
