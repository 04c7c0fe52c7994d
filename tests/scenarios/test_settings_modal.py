"""Admins change settings from the App Home; wrong values come back as field errors, nothing is lost."""

from __future__ import annotations

from bot.views import settings_modal
from bxhours.fakes.slack_client import text_value
from bxhours.fakes.stack import ANDREA, MIA, Stack


async def _open_settings(stack: Stack, user_id: str) -> dict:  # type: ignore[type-arg]
    await stack.slack.open_home(user_id)
    await stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == user_id)
    response = await stack.slack.block_action(
        user_id, settings_modal.OPEN_ACTION, value="open", view=stack.fake.home[user_id]
    )
    assert response.status == 200
    await stack.fake.wait_for("views.open")
    return stack.fake.modal()


async def test_admin_sees_settings_button_member_does_not(stack: Stack) -> None:
    await stack.slack.open_home(ANDREA)
    await stack.slack.open_home(MIA)
    await stack.fake.wait_for("views.publish", count=2)
    assert "Settings" in str(stack.fake.home[ANDREA]["blocks"])
    assert "Settings" not in str(stack.fake.home[MIA]["blocks"])


async def test_settings_modal_saves_and_reports_field_errors(stack: Stack) -> None:
    view = await _open_settings(stack, ANDREA)
    state = {
        settings_modal.block_id_for("time_rounding"): {"value": text_value("7:sideways")},
        settings_modal.block_id_for("default_sales_tax"): {"value": text_value("UN81")},
        settings_modal.NEW_KEY_BLOCK: {"value": text_value("activity_rate:Umsetzung")},
        settings_modal.NEW_VALUE_BLOCK: {"value": text_value("150")},
    }
    response = await stack.slack.submit_view(ANDREA, view, state)
    assert response.status == 200
    body = response.json
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {settings_modal.block_id_for("time_rounding")}
    assert "time_rounding" in body["errors"][settings_modal.block_id_for("time_rounding")]
    # The valid parts of the same submission were kept.
    rows = {row.key: row for row in await stack.runtime.services.settings.list(stack.tenant_id)}
    assert rows["activity_rate:umsetzung"].value == "150.00"

    state[settings_modal.block_id_for("time_rounding")] = {"value": text_value("15:up")}
    response = await stack.slack.submit_view(ANDREA, view, state)
    assert response.status == 200
    assert response.text == ""
    rows = {row.key: row for row in await stack.runtime.services.settings.list(stack.tenant_id)}
    assert rows["time_rounding"].value == "15:up"
    assert rows["time_rounding"].is_set


async def test_member_cannot_open_or_submit_settings(stack: Stack) -> None:
    response = await stack.slack.block_action(
        MIA, settings_modal.OPEN_ACTION, value="open", view={"id": "VHOME", "type": "home"}
    )
    assert response.status == 200
    assert stack.fake.calls_to("views.open") == []
    state = {settings_modal.block_id_for("time_rounding"): {"value": text_value("30:up")}}
    # A forged submission of the settings modal as an admin would see it (Slack shows errors only
    # under input blocks of the submitted view, so the view carries its blocks).
    rows = await stack.runtime.services.settings.list(stack.tenant_id)
    forged = {**settings_modal.build(rows), "id": "V1"}
    response = await stack.slack.submit_view(MIA, forged, state)
    assert response.json["response_action"] == "errors"
    rows = {row.key: row for row in await stack.runtime.services.settings.list(stack.tenant_id)}
    assert not rows["time_rounding"].is_set
