"""`make demo` bills the hours it logged as a draft in the sandbox, then follows bexio changing it."""

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
    # The demo bills what it logged through Slack, not work stored behind the product's back.
    assert "this build has no" not in transcript
    assert "Website Relaunch 1 · Umsetzung · " in transcript
    assert "4.00 h × 150.00 = 600.00   account 3400 · UN81" in transcript
    # It ends following bexio: a signed notification re-reads the renamed contact, the poller
    # finds the draft paid and the App Home says so.
    assert '← HTTP 202 {"accepted": 1, "jobs": 1}' in transcript
    assert "the customer as Steiner-Keller" in transcript
    assert re.search(rf"{draft.group(1)}\|?[^\n]*paid ✓", transcript), transcript
