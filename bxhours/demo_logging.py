"""The demo's logging part: hours and an expense logged in Slack, then the week they make.

It runs after the import and uses whatever project the import brought in; a build without the
import seeds the demo company's master data directly, and says so in the transcript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bxhours.fakes.master_data import seed_master_data
from bxhours.fakes.stack import ANDREA, Stack
from storage.models import Project

if TYPE_CHECKING:
    from bxhours.demo import Transcript


async def logging_tour(stack: Stack, transcript: Transcript) -> None:
    transcript.section("Logging hours and an expense")
    project = await _demo_project(stack)
    if project is None:
        transcript.note("No projects were imported in this build — seeding the demo company's master data.")
        await seed_master_data(stack.runtime.db, stack.tenant_id, stack.runtime.services.now)
        project = await _demo_project(stack)
        assert project is not None
    name = _typed(project.name)
    for command, text in (
        ("/log-hours", f"2h30 {name} / Umsetzung: checkout bug"),
        ("/log-hours", f"1.5h yesterday {project.nr or name}"),
        ("/log-hours", f"45m nb {name} / Umsetzung: internal review"),
        ("/log-expense", f"84.50 yesterday {name} / Reisekosten: train Bern–Zürich"),
        ("/log-hours", "week"),
    ):
        transcript.request("Andrea", f"{command} {text}")
        await _show(stack, transcript, command, text)


async def _demo_project(stack: Stack) -> Project | None:
    """An active project billed per activity, so the confirmation shows a rate and an amount."""
    async with stack.runtime.db.session(stack.tenant_id) as session:
        return await session.scalar(
            select(Project)
            .where(Project.active.is_(True))
            .order_by((Project.invoice_type == 1).desc(), Project.bexio_id, Project.id)
            .limit(1)
        )


def _typed(name: str) -> str:
    return f'"{name}"' if " / " in name or ":" in name else name


async def _show(stack: Stack, transcript: Transcript, command: str, text: str) -> None:
    hooks = stack.fake.hooks
    before = len(hooks)
    response = await stack.slack.command(command, text, user_id=ANDREA)
    if response.text:
        transcript.reply(response)
        return
    body = await stack.fake.wait_for_hook(lambda b: any(b is h for _p, h in hooks[before:]))
    transcript.note("← " + _visible(body))


def _visible(message: dict[str, Any]) -> str:
    """The message as a person reads it: its blocks' text, one line per block."""
    lines = []
    for block in message.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict):
            lines.append(text.get("text", ""))
        for element in block.get("elements", []) or []:
            if block.get("type") == "context" and isinstance(element, dict):
                lines.append(element.get("text", ""))
    return "\n".join(line for line in lines if line) or str(message.get("text", ""))
