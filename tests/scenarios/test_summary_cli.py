"""`bxhours summary run --week … --json` (issue 17 §5): the command line against the stack's database
and fake Slack prints exactly ``{"sent": [...], "charts": N}``, and the charts went up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bxhours.fakes.stack import ANDREA, MIA, NOAH
from services.charts import png_size
from storage.db import Database
from tests.factories import LoggingStack, logging_stack
from tests.scenarios.test_reminders_cli import cli
from tests.scenarios.test_summary import NEXT_MONDAY_9, noahs_week


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url, now=NEXT_MONDAY_9) as running:
        yield running


async def test_summary_run_json(ls: LoggingStack, database_url: str, tmp_path: Path) -> None:
    await noahs_week(ls)
    code, out, err = await cli(ls, database_url, tmp_path, "summary", "run", "--week", "2026-W48", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {"sent", "charts"}
    assert sorted(result["sent"]) == sorted([ANDREA, MIA, NOAH]) and result["charts"] == 3
    charts = ls.stack.fake.uploaded_files("D03NOAH")
    assert [c.filename for c in charts] == ["week-2026-W48.png"]
    assert charts[0].content is not None and png_size(charts[0].content) == (800, 400)
    code, out, err = await cli(ls, database_url, tmp_path, "summary", "run", "--week", "2026-48")
    assert code == 2 and "ISO week like 2026-W48" in err and "Traceback" not in err
