"""`make demo` ends with a draft created in the sandbox: its number, lines, accounts and total."""

from __future__ import annotations

import re

import pytest

from bxhours.demo import run_demo


async def test_demo_ends_with_a_draft_in_the_sandbox(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_demo(database_url=database_url) == 0
    transcript = capsys.readouterr().out
    draft = re.search(r"== The draft in bexio: (RE-\d+) \(status 7 = draft\)", transcript)
    assert draft is not None, transcript
    assert f"✓ Draft {draft.group(1)} created" in transcript
    assert "account 3400 · UN81" in transcript
    totals = re.search(r"total (CHF [\d'.]+) \(preview: (CHF [\d'.]+)\)", transcript)
    assert totals is not None and totals.group(1) == totals.group(2)
