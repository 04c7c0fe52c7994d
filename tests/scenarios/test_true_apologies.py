"""Issue 12 §10: the apology must be true, and the person must hear back.

When the entry was stored and a later step failed (the App Home refresh, Slack answering 500, the
confirmation itself), the person is told it was saved — never "nothing was changed". When the
``response_url`` is unreachable or answers an error, the answer arrives as a direct message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.views import hours_modal, log_hours
from bxhours.fakes.slack_client import checkboxes_value, date_value, select_value, text_value
from bxhours.fakes.stack import ANDREA
from storage.db import Database
from tests.factories import LoggingStack, entries, logging_stack, send

NOTHING_CHANGED = "nothing was changed"
DM = "D01ANDREA"


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url) as running:
        yield running


def _everything_said(ls: LoggingStack) -> list[str]:
    said = [str(call.params.get("text", "")) for call in ls.stack.fake.calls_to("chat.postMessage")]
    return said + [str(body.get("text", "")) for _path, body in ls.stack.fake.hooks]


async def _dm(ls: LoggingStack, fragment: str) -> str:
    calls = await ls.stack.fake.wait_for(
        "chat.postMessage", lambda c: c.params.get("channel") == DM and fragment in str(c.params.get("text"))
    )
    return str(calls[-1].params["text"])


@pytest.mark.parametrize("where", ["unreachable", "answers-404"])
async def test_a_logged_line_is_confirmed_by_dm_when_the_response_url_fails(
    ls: LoggingStack, where: str
) -> None:
    url = "http://127.0.0.1:9/hooks/x" if where == "unreachable" else ls.stack.fake.base_url + "/nothing/here"
    response = await ls.stack.slack.command(
        "/log-hours", "1h Website Relaunch / Umsetzung: review", user_id=ANDREA, response_url=url
    )
    assert response.status == 200
    text = await _dm(ls, "✓ 1:00 h")
    assert text.startswith("✓ 1:00 h · Website Relaunch / Umsetzung")
    assert len(await entries(ls.db, ls.tenant_id)) == 1


async def test_a_failure_after_the_entry_was_stored_says_it_was_saved(
    ls: LoggingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("the confirmation could not be written")

    monkeypatch.setattr(log_hours, "confirmation_line", broken)
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    assert reply.text.startswith("✓ Your hours: saved.")
    assert "no need to do it again" in reply.text and "reference" in reply.text
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    await ls.stack.runtime.drain(10)
    assert not any(NOTHING_CHANGED in text for text in _everything_said(ls))


async def test_an_undo_that_went_through_is_never_called_a_failure(
    ls: LoggingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = await send(ls, ANDREA, "/log-hours", "1h Website Relaunch / Umsetzung")
    undo = reply.button(log_hours.UNDO_ACTION)

    def broken(_summary: str) -> dict[str, Any]:
        raise RuntimeError("the undone message could not be written")

    monkeypatch.setattr("bot.views.choices.undone", broken)
    before = len(ls.stack.fake.hooks)
    await ls.stack.slack.block_action(ANDREA, log_hours.UNDO_ACTION, value=undo["value"])
    answer = await ls.stack.fake.wait_for_hook(
        lambda b: any(b is h for _p, h in ls.stack.fake.hooks[before:])
    )
    assert answer["text"].startswith("✓ Your hours: saved."), "the deletion is the change that was saved"
    assert await entries(ls.db, ls.tenant_id) == []
    assert not any(NOTHING_CHANGED in text for text in _everything_said(ls))


async def _open_form(ls: LoggingStack, week: str | None = None) -> dict[str, Any]:
    response = await ls.stack.slack.command("/log-hours", "", user_id=ANDREA)
    assert response.status == 200
    await ls.stack.fake.wait_for("views.update")
    view = ls.stack.fake.modal()
    if week is not None:  # opened from the App Home showing that week
        meta = json.loads(view["private_metadata"] or "{}")
        view = {**view, "private_metadata": json.dumps({**meta, "w": week})}
    return view


def _state(ls: LoggingStack, view: dict[str, Any]) -> dict[str, Any]:
    blocks = {str(b.get("block_id", "")).split(".")[0]: b for b in view["blocks"]}
    return {
        hours_modal.DAY_BLOCK: {hours_modal.DAY_ACTION: date_value("2026-11-23")},
        hours_modal.PROJECT_BLOCK: {
            hours_modal.PROJECT_ACTION: select_value(
                str(ls.company.projects["Website Relaunch"]), kind="external_select"
            )
        },
        blocks[hours_modal.ACTIVITY_BLOCK]["block_id"]: {
            hours_modal.ACTIVITY_ACTION: select_value(str(ls.company.activities["Umsetzung"]))
        },
        hours_modal.DURATION_BLOCK: {hours_modal.DURATION_ACTION: text_value("2h")},
        hours_modal.NOTE_BLOCK: {hours_modal.NOTE_ACTION: text_value("")},
        blocks[hours_modal.BILLABLE_BLOCK]["block_id"]: {hours_modal.BILLABLE_ACTION: checkboxes_value([])},
    }


async def test_a_failed_app_home_refresh_after_a_form_save_is_no_failure(ls: LoggingStack) -> None:
    view = await _open_form(ls, week="2026-11-23")
    ls.stack.fake.fail_next("views.publish", "internal_error", status=500)
    response = await ls.stack.slack.submit_view(ANDREA, view, _state(ls, view))
    assert response.json["response_action"] == "update"
    assert "Hours logged" in json.dumps(response.json["view"])
    await ls.stack.fake.wait_for("views.publish")
    await ls.stack.runtime.drain(10)
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    assert not any(NOTHING_CHANGED in text for text in _everything_said(ls))


async def test_a_failure_after_a_form_save_says_it_was_saved(
    ls: LoggingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = await _open_form(ls)

    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("the confirmation could not be written")

    monkeypatch.setattr(log_hours, "confirmation_line", broken)
    response = await ls.stack.slack.submit_view(ANDREA, view, _state(ls, view))
    assert response.status == 200
    text = await _dm(ls, "saved")
    assert text.startswith("✓ Your hours: saved.")
    assert len(await entries(ls.db, ls.tenant_id)) == 1
    assert not any(NOTHING_CHANGED in text for text in _everything_said(ls))


async def test_undo_in_a_modal_slack_no_longer_shows_is_confirmed_by_dm(ls: LoggingStack) -> None:
    view = await _open_form(ls)
    response = await ls.stack.slack.submit_view(ANDREA, view, _state(ls, view))
    done = response.json["view"]
    [entry] = await entries(ls.db, ls.tenant_id)
    ls.stack.fake.fail_next("views.update", "not_found")
    done_view = {**done, "id": view["id"], "type": "modal"}
    response = await ls.stack.slack.block_action(
        ANDREA, hours_modal.UNDO_ACTION, value=str(entry.id), view=done_view
    )
    assert response.status == 200
    text = await _dm(ls, "Undone")
    assert text.startswith("↩️ Undone — 2:00 h · Website Relaunch / Umsetzung")
    assert await entries(ls.db, ls.tenant_id) == []
