"""Hours imported from bexio cover a reminded day (issue 17 §1, §6): the open reminder is updated in
place after the import job (here: a webhook's change job re-reading one timesheet) — never a
second message."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import select

from bexio.sandbox import RunningSandbox, build_state
from bxhours.fakes.stack import NOAH, Stack
from storage.models import Nudge, User
from tests.scenarios.test_changes import imported, notify
from tests.scenarios.test_webhook import http

__all__ = ["http", "imported"]

WEDNESDAY = date(2026, 12, 2)


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo", timesheets=60)


async def test_imported_hours_update_the_open_reminder_in_place(
    http: httpx.AsyncClient, imported: Stack, sandbox: RunningSandbox
) -> None:
    reminders = imported.runtime.services.reminders
    assert reminders is not None
    result = await reminders.run(imported.tenant_id, WEDNESDAY)
    assert NOAH in result.sent
    channel = "D" + NOAH.lstrip("U")
    [posted] = await imported.fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel)
    assert posted.params["text"] == "Hours missing: 0:00 h logged on Wed 02.12."

    async with imported.runtime.db.session(imported.tenant_id) as session:
        bexio_id = await session.scalar(select(User.bexio_id).where(User.slack_user_id == NOAH))
    timesheets = sandbox.state.tables["timesheet"]
    template = next(iter(timesheets.values()))
    new_id = max(timesheets) + 1
    timesheets[new_id] = {
        **template,
        "id": new_id,
        "user_id": bexio_id,
        "date": WEDNESDAY.isoformat(),
        "duration": "6:30",
        "tracking": {"type": "duration", "date": WEDNESDAY.isoformat(), "duration": "06:30"},
    }
    await notify(http, imported, {"resource": "timesheet", "id": new_id, "action": "created"})

    [updated] = await imported.fake.wait_for(
        "chat.update", lambda c: c.params.get("channel") == channel and "✓" in str(c.params.get("text"))
    )
    assert updated.params["text"] == "✓ 6:30 h logged on Wed 02.12."
    async with imported.runtime.db.session(imported.tenant_id) as session:
        nudge = await session.scalar(select(Nudge).where(Nudge.slack_user_id == NOAH))
    assert nudge is not None and (nudge.channel, nudge.ts, nudge.state) == (
        channel,
        updated.params["ts"],
        "covered",
    )
    assert (
        len([c for c in imported.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel])
        == 1
    )
