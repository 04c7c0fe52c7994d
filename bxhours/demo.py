"""`bxhours demo`: the whole product end to end on the embedded defaults, as a readable transcript.

It starts the real server on SQLite in a temporary folder, with the bexio sandbox (demo company) and a
fake Slack, then plays a team's morning: import from bexio, log hours and an expense, create a draft
invoice, and follow changes made in bexio (a signed webhook, the poller). Every Slack request it sends
and what came back is printed; it exits 0 by itself.
"""

from __future__ import annotations

import asyncio
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from bexio.sandbox import build_state, serve_sandbox
from bxhours.demo_changes import changes_tour
from bxhours.demo_invoice import invoice_tour
from bxhours.demo_logging import logging_tour
from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.slack_client import SlackResponse
from bxhours.fakes.stack import ANDREA, GUEST, MIA, Stack, run_stack

WIDTH = 100


class Transcript:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self._seen_calls = 0

    def section(self, title: str) -> None:
        print(f"\n== {title} " + "=" * max(0, WIDTH - len(title) - 4), flush=True)

    def request(self, who: str, what: str) -> None:
        print(f"→ {who}: {what}", flush=True)

    def reply(self, response: SlackResponse) -> None:
        text = response.message_text or "(acknowledged)"
        print(f"← HTTP {response.status}: " + _indent(text), flush=True)

    def note(self, text: str) -> None:
        print("  " + _indent(text), flush=True)

    def slack_calls(self, stack: Stack, methods: tuple[str, ...] = ()) -> None:
        """Print the Web API calls the bot made since the last time (what people would see)."""
        calls = stack.fake.calls[self._seen_calls :]
        self._seen_calls = len(stack.fake.calls)
        for call in calls:
            if methods and call.method not in methods:
                continue
            print(f"  ⇢ bot called {call.method}: " + _indent(_describe(call)), flush=True)


def _describe(call: SlackCall) -> str:
    params = call.params
    if call.method in ("chat.postMessage", "chat.update"):
        return str(params.get("text", ""))
    if call.method.startswith("views."):
        view = params.get("view") or {}
        title = (view.get("title") or {}).get("text", view.get("type", ""))
        return f"{title} ({len(view.get('blocks', []))} blocks)"
    return ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("blocks", "view"))


def _indent(text: str) -> str:
    lines = text.splitlines() or [""]
    wrapped = [textwrap.shorten(line, WIDTH) if len(line) > WIDTH else line for line in lines]
    return ("\n    ").join(wrapped)


async def run_demo(*, database_url: str | None = None) -> int:
    transcript = Transcript()
    with tempfile.TemporaryDirectory(prefix="bxhours-demo-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bxhours.db'}"
        transcript.section("Starting bxhours on SQLite with a fake Slack and the bexio sandbox")
        async with (
            serve_sandbox(build_state("demo")) as sandbox,
            run_stack(url, bexio_url=sandbox.url, bexio_token=sandbox.token) as stack,
        ):
            transcript.note(f"server {stack.url} · database {url} · bexio sandbox {sandbox.url}")
            await _help_tour(stack, transcript)
            await _import_tour(stack, transcript)
            await logging_tour(stack, transcript)
            await invoice_tour(stack, transcript, sandbox)
            await changes_tour(stack, transcript, sandbox)
    transcript.section(f"Done in {time.monotonic() - transcript.started:.1f} s")
    return 0


async def _help_tour(stack: Stack, transcript: Transcript) -> None:
    transcript.section("Slack plumbing")
    for command, text in (("/log-hours", "help"), ("/bx-sync", "help"), ("/timesheet", "")):
        transcript.request("Andrea", f"{command} {text}".strip())
        transcript.reply(await stack.slack.command(command, text, user_id=ANDREA))
    transcript.request("Andrea", "opens the bxhours App Home")
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish")
    transcript.slack_calls(stack, ("views.publish",))


async def _import_tour(stack: Stack, transcript: Transcript) -> None:
    transcript.section("Import from bexio")
    transcript.request("Mia (not an admin)", "/bx-sync")
    transcript.reply(await stack.slack.command("/bx-sync", "", user_id=MIA))
    transcript.request("Andrea (admin)", "/bx-sync")
    transcript.reply(await stack.slack.command("/bx-sync", "", user_id=ANDREA))
    transcript.request("Andrea, right after", "/bx-sync")
    transcript.reply(await stack.slack.command("/bx-sync", "", user_id=ANDREA))
    done = await stack.fake.wait_for("chat.update", _import_over, timeout=60)
    transcript.note("The worker posts to Andrea's DM and updates that one message per phase:")
    transcript.slack_calls(stack, ("conversations.open", "chat.postMessage", "chat.update"))
    transcript.note("What Andrea reads at the end:")
    transcript.note(describe_blocks(done[-1].params.get("blocks") or []))
    await _until_no_job_runs(stack)
    transcript.request("Andrea", "/bx-sync status")
    transcript.reply(await stack.slack.command("/bx-sync", "status", user_id=ANDREA))
    transcript.request("Andrea", "/bx-sync link @Gina lea.weber@alpenblick.example")
    transcript.reply(
        await stack.slack.command(
            "/bx-sync", f"link <@{GUEST}|gina> lea.weber@alpenblick.example", user_id=ANDREA
        )
    )


async def _until_no_job_runs(stack: Stack) -> None:
    """The summary is posted just before the worker marks its job done; wait for that too."""
    for _ in range(100):
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            return
        await asyncio.sleep(0.05)


def _import_over(call: SlackCall) -> bool:
    text = str(call.params.get("text", ""))
    return "finished" in text or "failed" in text


def describe_blocks(blocks: list[dict[str, Any]]) -> str:
    texts = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            texts.append(text.get("text", ""))
    return "\n".join(t for t in texts if t)
