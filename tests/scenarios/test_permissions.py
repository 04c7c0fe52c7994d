"""Issue 12 §5: no read leaks to people who may not invoice, no action from a view of another kind.

The cases the issue found (the invoice modal's customer options and its refresh, the account
mapping's income accounts), and then the class: every handler bxhours registers — commands,
actions, options loads, views — refuses who lacks its surface's permission, and every action and
options load refuses to run for a view of another kind. Both sweeps read the registry, so a surface
added later is covered.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import account_mapping, hours_modal, invoice_modal
from bot.views.sealed import ChoiceSeal
from bxhours.fakes.master_data import seed_master_data
from bxhours.fakes.slack_client import option, text_value
from bxhours.fakes.stack import ANDREA, MIA, Stack
from tests.surface_catalog import Entry, catalog

WRITES = ("views.open", "views.update", "views.push", "views.publish")
"""What a handler that ran would have called; a refused request calls none of them."""


def _key(stack: Stack) -> str:
    key = stack.runtime.settings.bxhours_encryption_key
    assert key is not None
    return key.get_secret_value()


def _entries(stack: Stack) -> list[Entry]:
    return catalog(stack.runtime.services, _key(stack))


def _view(callback_id: str, *, kind: str = "modal", view_id: str = "V0FORGED") -> dict[str, Any]:
    return {
        "id": view_id,
        "type": kind,
        "callback_id": callback_id,
        "hash": "1.a",
        "private_metadata": "",
        "blocks": [{"type": "input", "block_id": "first", "element": {"type": "plain_text_input"}}],
    }


def _home_view() -> dict[str, Any]:
    return {"id": "V0HOME", "type": "home", "callback_id": "", "blocks": []}


def _origin_of(surface: Surface) -> dict[str, Any] | None:
    """A view the surface's elements live in (None: a message)."""
    if surface.views:
        return _view(sorted(surface.views)[0])
    if surface.home:
        return _home_view()
    return None


async def _writes(stack: Stack) -> int:
    await stack.runtime.drain(10)
    return sum(len(stack.fake.calls_to(method)) for method in WRITES)


async def test_invoice_customer_options_answer_only_who_may_invoice(stack: Stack) -> None:
    view = _view(invoice_modal.CALLBACK_ID)
    refused = await stack.slack.options(MIA, invoice_modal.CUSTOMER_ACTION, "", view=view)
    assert refused.status == 200 and refused.json == {"options": []}
    allowed = await stack.slack.options(ANDREA, invoice_modal.CUSTOMER_ACTION, "", view=view)
    assert allowed.status == 200 and "option_groups" in allowed.json


async def test_income_account_options_answer_only_admins(stack: Stack) -> None:
    view = _view(account_mapping.CALLBACK_ID)
    refused = await stack.slack.options(MIA, account_mapping.ACCOUNT_ACTION, "", view=view)
    assert refused.json == {"options": []}
    allowed = await stack.slack.options(ANDREA, account_mapping.ACCOUNT_ACTION, "", view=view)
    assert "options" in allowed.json


async def test_the_invoice_refresh_cannot_turn_another_modal_into_a_preview(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Andrea has the hours form open; a refresh of the invoice modal naming that view changes nothing."""
    await seed_master_data(stack.runtime.db, stack.tenant_id)
    response = await stack.slack.command("/log-hours", "", user_id=ANDREA)
    assert response.status == 200
    await stack.fake.wait_for("views.update")
    hours_form = stack.fake.modal()
    assert hours_form["callback_id"] == hours_modal.CALLBACK_ID
    before = await _writes(stack)
    caplog.set_level(logging.INFO, "bxhours.bot")
    response = await stack.slack.block_action(
        ANDREA,
        invoice_modal.CUSTOMER_ACTION,
        view=hours_form,
        block_id=invoice_modal.CUSTOMER_BLOCK,
        selected_option=option("c:1", "Alpen Bau AG"),
    )
    assert response.status == 200
    assert await _writes(stack) == before
    assert stack.fake.modal(hours_form["id"])["callback_id"] == hours_modal.CALLBACK_ID
    assert "from a log_hours_modal view" in caplog.text


async def test_the_invoice_refresh_answers_only_who_may_invoice(stack: Stack) -> None:
    before = await _writes(stack)
    response = await stack.slack.block_action(
        MIA,
        invoice_modal.GROUPING_ACTION,
        view=_view(invoice_modal.CALLBACK_ID),
        block_id=invoice_modal.GROUPING_BLOCK,
        selected_option=option("by_day", "By day"),
    )
    assert response.status == 200
    assert await _writes(stack) == before
    [dm] = await stack.fake.wait_for("chat.postMessage")
    assert "Only admins and the people in the setting `billing_users`" in dm.params["text"]


async def test_every_surface_refuses_who_lacks_its_permission(stack: Stack) -> None:
    """Mia is a member: she may log, not invoice, not administer."""
    checked: list[str] = []
    for entry in _entries(stack):
        pairs: list[tuple[str, Surface]] = [("", entry.surface)]
        if entry.kind == "command":
            pairs += list(entry.registration.words.items())
        for word, surface in pairs:
            if surface.permission is Permission.ANYONE:
                continue
            checked.append(f"{entry.kind} {entry.name} {word} ({surface.name})")
            await _assert_refused(stack, entry, surface, word)
    assert len(checked) >= 14, checked


async def _assert_refused(stack: Stack, entry: Entry, surface: Surface, word: str) -> None:
    what = f"{entry.kind} {entry.name} {word}"
    before = await _writes(stack)
    if entry.kind == "command":
        response = await stack.slack.command(entry.name, word, user_id=MIA)
        assert response.text == surface.refusal, what
    elif entry.kind == "options":
        response = await stack.slack.options(MIA, entry.name, "", view=_origin_of(surface))
        assert response.json == {"options": []}, what
    elif entry.kind == "view":
        response = await stack.slack.submit_view(MIA, _view(entry.name), {})
        assert response.json == {"response_action": "errors", "errors": {"first": surface.refusal}}, what
    elif entry.kind == "action":
        dms, hooks = len(stack.fake.calls_to("chat.postMessage")), len(stack.fake.hooks)
        origin = _origin_of(surface)
        response = await stack.slack.block_action(MIA, entry.name, value="1", view=origin)
        assert response.status == 200, what
        if origin is None:  # a message: answered where she clicked
            body = await stack.fake.wait_for_hook(lambda b: any(b is h for _p, h in stack.fake.hooks[hooks:]))
            assert body["text"] == surface.refusal, what
        else:
            calls = await stack.fake.wait_for("chat.postMessage", count=dms + 1)
            assert calls[-1].params["text"] == surface.refusal, what
    assert await _writes(stack) == before, f"{what} did something for Mia"


async def test_every_action_and_options_load_refuses_a_view_of_another_kind(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Andrea is an admin, so only the origin can be the reason for a refusal."""
    caplog.set_level(logging.INFO, "bxhours.bot")
    checked = 0
    for entry in _entries(stack):
        if entry.kind not in ("action", "options"):
            continue
        foreign = [_view("bxhours_other_modal")]
        if not entry.surface.home:
            foreign.append(_home_view())
        for view in foreign:
            before = await _writes(stack)
            caplog.clear()
            if entry.kind == "options":
                response = await stack.slack.options(ANDREA, entry.name, "a", view=view)
                assert response.json == {"options": []}, entry.name
            else:
                response = await stack.slack.block_action(ANDREA, entry.name, value="1", view=view)
                assert response.status == 200
            assert await _writes(stack) == before, entry.name
            assert f"refused {entry.kind} '{entry.name}' from a" in caplog.text, entry.name
            checked += 1
    assert checked >= 30


async def test_a_modal_action_refuses_to_come_from_a_message(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bxhours.bot")
    before = await _writes(stack)
    response = await stack.slack.block_action(ANDREA, invoice_modal.GROUPING_ACTION, value="by_day")
    assert response.status == 200
    assert await _writes(stack) == before
    assert "refused action 'invoice_grouping' from a message" in caplog.text


async def test_registration_refuses_a_handler_without_a_surface(stack: Stack) -> None:
    app = AsyncApp(client=AsyncWebClient(token="xoxb-test"), signing_secret="test")
    surfaces = Surfaces(app, BotDeps(stack.runtime.services, ChoiceSeal(_key(stack))))

    async def handler() -> None:
        return None

    with pytest.raises(TypeError, match="needs a Surface"):
        surfaces.action("some_action", None)(handler)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="names no origin"):
        surfaces.action("some_action", Surface("nowhere", Permission.ANYONE))(handler)
    with pytest.raises(ValueError, match="does not name it"):
        surfaces.view("some_view", Surface("form", Permission.ANYONE, views=frozenset({"other"})))(handler)
    with pytest.raises(ValueError, match="needs a refusal text"):
        Surface("admin things", Permission.ADMIN)
    surfaces.action("fine", Surface("form", Permission.ANYONE, messages=True))(handler)
    surfaces.verify()
    app.action("around_the_registry")(handler)
    with pytest.raises(RuntimeError, match="registered without a surface"):
        surfaces.verify()


async def test_a_member_still_logs_and_sees_their_week(stack: Stack) -> None:
    """The sweep refuses only what needs more than membership: Mia's own surfaces answer her."""
    response = await stack.slack.command("/log-hours", "help", user_id=MIA)
    assert "/log-hours DURATION" in response.text
    response = await stack.slack.command("/bx-sync", "status", user_id=MIA)
    assert response.status == 200 and "Only admins" not in response.text
    response = await stack.slack.command("/invoice", "help", user_id=MIA)
    assert "draft invoice" in response.text, "every command's help is for everyone"
    values = {"x": {"value": text_value("y")}}
    response = await stack.slack.submit_view(MIA, _view(hours_modal.CALLBACK_ID), values)
    assert response.status == 200
