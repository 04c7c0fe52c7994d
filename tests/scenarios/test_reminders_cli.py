"""`bxhours reminders run` (issue 17 §2): the command line against the running stack's database and
fake Slack — the JSON contract, --dry-run sending and recording nothing, --day."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bxhours.fakes.stack import ANDREA, MIA, NOAH
from storage.db import Database
from storage.models import Nudge
from tests.factories import LoggingStack, add_entry, logging_stack
from tests.processes import BXHOURS, service_env
from tests.scenarios.test_reminders import LEA, THURSDAY, THURSDAY_EVENING


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url, now=THURSDAY_EVENING) as running:
        yield running


async def cli(ls: LoggingStack, database_url: str, cwd: Path, *args: str) -> tuple[int, str, str]:
    env = service_env(ls.stack.fake, database_url)
    process = await asyncio.create_subprocess_exec(
        *BXHOURS, *args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def nudges(ls: LoggingStack) -> int:
    async with ls.db.session(ls.tenant_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Nudge)) or 0)


async def test_reminders_run_prints_the_contract_and_dry_run_sends_nothing(
    ls: LoggingStack, database_url: str, tmp_path: Path
) -> None:
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=ls.company.users["andrea.keller@alpenblick.example"],
        project=ls.company.projects["Website Relaunch"],
        activity=ls.company.activities["Umsetzung"],
        day=THURSDAY,
        minutes=480,
    )
    day = ["--day", THURSDAY.isoformat()]
    code, out, err = await cli(ls, database_url, tmp_path, "reminders", "run", *day, "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "sent": [MIA, NOAH],
        "skipped": {ANDREA: "enough_hours", LEA: "unlinked"},
    }
    assert ls.stack.fake.calls_to("chat.postMessage") == [] and await nudges(ls) == 0

    code, out, err = await cli(ls, database_url, tmp_path, "reminders", "run", *day, "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [MIA, NOAH]
    assert len(ls.stack.fake.calls_to("chat.postMessage")) == 2 and await nudges(ls) == 2

    code, out, err = await cli(ls, database_url, tmp_path, "reminders", "run", *day, "--json")
    assert json.loads(out)["skipped"] == {
        ANDREA: "enough_hours",
        MIA: "already_reminded",
        NOAH: "already_reminded",
        LEA: "unlinked",
    }
    code, out, err = await cli(ls, database_url, tmp_path, "reminders", "run", "--day", "2026-11-29")
    assert code == 0, err
    assert f"skipped {NOAH}: weekend" in out
    code, out, err = await cli(ls, database_url, tmp_path, "reminders", "run", "--day", "29.11.")
    assert code == 2 and "Traceback" not in err
    assert date(2026, 11, 29).weekday() == 6
