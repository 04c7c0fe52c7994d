"""The App Home's "Log absence" button and the admin's person picker (issue 16 §6); bexio payroll's
absence rules as the sandbox enforces them (`/work/shared/bexio-api.md` §6, docs.bexio.com)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bot.views import absence as absence_view
from bxhours.fakes.master_data import seed_master_data
from bxhours.fakes.slack_client import date_value, select_value
from bxhours.fakes.stack import ANDREA, MIA, run_stack
from core.clock import ManualClock
from storage.db import Database
from storage.models import Absence, User
from tests.factories import MONDAY_MORNING, LoggingStack


@pytest.fixture
async def ls(db: Database, database_url: str, sandbox: RunningSandbox) -> AsyncIterator[LoggingStack]:
    clock = ManualClock(MONDAY_MORNING)
    async with run_stack(
        database_url, bexio_url=sandbox.url, bexio_token=sandbox.token, now=clock.now
    ) as stack:
        company = await seed_master_data(stack.runtime.db, stack.tenant_id, clock.now)
        yield LoggingStack(stack, company, clock)


async def _home(ls: LoggingStack, user: str) -> dict[str, Any]:
    before = len(ls.stack.fake.calls_to("views.publish"))
    await ls.stack.slack.open_home(user)
    await ls.stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == user, count=before + 1)
    return ls.stack.fake.home[user]


async def test_the_home_button_opens_the_form_and_an_admin_picks_the_person(ls: LoggingStack) -> None:
    home = await _home(ls, ANDREA)
    block = next(b for b in home["blocks"] if b.get("block_id") == "home_absence")
    [button] = block["elements"]
    assert (button["text"]["text"], button["action_id"]) == ("Log absence", absence_view.OPEN_FORM_ACTION)

    before = len(ls.stack.fake.calls_to("views.update"))
    response = await ls.stack.slack.block_action(
        ANDREA, absence_view.OPEN_FORM_ACTION, value="open", view=home, block_id="home_absence"
    )
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update", count=before + 1)
    form = ls.stack.fake.modal()
    picker = next(b for b in form["blocks"] if b.get("block_id") == absence_view.PERSON_BLOCK)
    assert picker["element"] == {"type": "users_select", "action_id": "person", "initial_user": ANDREA}
    state = {
        absence_view.PERSON_BLOCK: {
            absence_view.PERSON_ACTION: {"type": "users_select", "selected_user": MIA}
        },
        absence_view.KIND_BLOCK: {absence_view.KIND_ACTION: select_value("sick")},
        absence_view.FROM_BLOCK: {absence_view.FROM_ACTION: date_value("2026-11-23")},
        absence_view.TO_BLOCK: {absence_view.TO_ACTION: date_value(None)},
        absence_view.HALF_BLOCK: {absence_view.HALF_ACTION: select_value("morning")},
    }
    answer = await ls.stack.slack.submit_view(ANDREA, form, state)
    assert answer.json["response_action"] == "update"
    assert "Sick for Mia Schmid · Mon 23.11. morning · half a day" in str(answer.json["view"])
    async with ls.db.session(ls.tenant_id) as session:
        [row] = list(await session.scalars(select(Absence)))
        owner = await session.get(User, row.user_id)
    assert owner is not None and owner.slack_user_id == MIA
    assert (row.kind, row.first_day, row.last_day, row.half, row.created_by) == (
        "sick",
        date(2026, 11, 23),
        date(2026, 11, 23),
        "morning",
        ANDREA,
    )


async def test_the_home_button_is_there_in_german(ls: LoggingStack) -> None:
    await ls.stack.runtime.services.languages.choose(ls.tenant_id, MIA, "de")  # type: ignore[union-attr]
    home = await _home(ls, MIA)
    block = next(b for b in home["blocks"] if b.get("block_id") == "home_absence")
    assert block["elements"][0]["text"]["text"] == "Absenz erfassen"


async def test_bexio_payroll_absence_rules_in_the_sandbox(sandbox: RunningSandbox) -> None:
    """Create needs reason and start_date only; the figures are numbers; PUT needs every field;
    ``businessYear`` and ``date`` are required; errors are problem+json."""
    employee = next(iter(sandbox.state.payroll_employees))
    base = f"{sandbox.url}/4.0/payroll/employees/{employee}"
    headers = {"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"}
    async with httpx.AsyncClient(headers=headers) as api:
        minimal = await api.post(f"{base}/absences", json={"reason": "Sickness", "start_date": "2026-11-23"})
        assert minimal.status_code == 201
        assert (minimal.json()["end_date"], minimal.json()["half_day"]) == ("2026-11-23", False)
        as_flag = await api.post(
            f"{base}/absences", json={"reason": "Vacation", "start_date": "2026-11-24", "continued_pay": True}
        )
        assert as_flag.status_code == 400
        assert as_flag.headers["Content-Type"].startswith("application/problem+json")
        unknown = await api.post(f"{base}/absences", json={"reason": "Holiday", "start_date": "2026-11-24"})
        assert unknown.status_code == 400
        path = f"{base}/absences/{minimal.json()['id']}"
        partial = await api.put(path, json={"reason": "Sickness", "start_date": "2026-11-23"})
        assert partial.status_code == 400
        full = {
            "reason": "Injury",
            "start_date": "2026-11-23",
            "end_date": "2026-11-24",
            "half_day": False,
            "continued_pay": 80,
            "disability": 0,
            "paid_hours": 0,
        }
        assert (await api.put(path, json=full)).status_code == 204
        assert (await api.get(path)).json()["reason"] == "Injury"
        no_year = await api.get(f"{base}/absences")
        assert no_year.status_code == 400
        assert no_year.json()["title"] == "Malformed request (missing or invalid parameters)"
        assert (await api.get(base)).status_code == 400  # the employee's state needs ?date=
        assert (await api.get(base, params={"date": "2026-11-23"})).status_code == 200
