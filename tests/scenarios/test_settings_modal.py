"""Admins change settings from the App Home; wrong values come back as field errors, nothing is lost."""

from __future__ import annotations

import pytest

from bexio.sandbox import RunningSandbox
from bot.views import settings_modal
from bxhours.fakes.invoicing_seed import SeededCompany, mirror_sandbox
from bxhours.fakes.slack_client import text_value
from bxhours.fakes.stack import ANDREA, MIA, Stack
from core.settings_schema import SettingError
from tests.invoicing_fixtures import PERSON_RATES, SLACK_IDS


@pytest.fixture
async def company(stack: Stack, sandbox: RunningSandbox) -> SeededCompany:
    return await mirror_sandbox(
        stack.runtime.db, stack.tenant_id, sandbox.state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES
    )


async def _open_settings(stack: Stack, user_id: str) -> dict:  # type: ignore[type-arg]
    published = len(stack.fake.calls_to("views.publish"))
    opened = len(stack.fake.calls_to("views.open"))
    await stack.slack.open_home(user_id)
    await stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == user_id, count=published + 1)
    response = await stack.slack.block_action(
        user_id, settings_modal.OPEN_ACTION, value="open", view=stack.fake.home[user_id]
    )
    assert response.status == 200
    await stack.fake.wait_for("views.open", count=opened + 1)
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


def _block(view: dict, key: str) -> dict:  # type: ignore[type-arg]
    return next(b for b in view["blocks"] if b.get("block_id") == settings_modal.block_id_for(key))


async def test_settings_are_inputs_for_people(stack: Stack, company: SeededCompany) -> None:
    """Checkboxes, user pickers, date pickers, a select of the imported activities, sentences as
    labels and the polling intervals under "Advanced" (issue 15 §9)."""
    view = await _open_settings(stack, ANDREA)
    assert _block(view, "allow_future_dates")["element"]["type"] == "checkboxes"
    assert _block(view, "allow_future_dates")["label"]["text"] == "Hours may be logged for days after today"
    assert _block(view, "billing_users")["element"]["type"] == "multi_users_select"
    assert _block(view, "invoice_imported_hours_since")["element"]["type"] == "datepicker"
    activity = _block(view, "default_activity")["element"]
    assert activity["type"] == "static_select"
    names = [o["text"]["text"] for o in activity["options"]]
    assert "Umsetzung" in names and "Meeting" in names
    write_back = _block(view, "write_back_hours")
    assert write_back["label"]["text"].startswith("Write hours logged in bxhours to bexio")
    assert "no effect" not in str(write_back)
    block_ids = [b.get("block_id") for b in view["blocks"]]
    headers = [i for i, b in enumerate(view["blocks"]) if b["type"] == "header"]
    advanced = next(i for i in headers if view["blocks"][i]["text"]["text"] == "Advanced")
    assert block_ids.index(settings_modal.block_id_for("poll_contacts_seconds")) > advanced
    assert block_ids.index(settings_modal.block_id_for("allow_future_dates")) < advanced
    for block in view["blocks"]:
        if block["type"] == "input" and block["block_id"].startswith(settings_modal.SETTING_BLOCK_PREFIX):
            assert "_" not in block["label"]["text"].split(" ")[0], block["label"]  # a sentence, not a key

    yes = {"text": {"type": "plain_text", "text": "Yes"}, "value": settings_modal.YES}
    umsetzung = next(o for o in activity["options"] if o["value"] == "Umsetzung")
    state = {
        settings_modal.block_id_for("allow_future_dates"): {
            "value": {"type": "checkboxes", "selected_options": [yes]}
        },
        settings_modal.block_id_for("use_bexio_numbering"): {
            "value": {"type": "checkboxes", "selected_options": [yes]}  # the default: stays unset
        },
        settings_modal.block_id_for("billing_users"): {
            "value": {"type": "multi_users_select", "selected_users": [MIA]}
        },
        settings_modal.block_id_for("invoice_imported_hours_since"): {
            "value": {"type": "datepicker", "selected_date": "2026-10-01"}
        },
        settings_modal.block_id_for("default_activity"): {
            "value": {"type": "static_select", "selected_option": umsetzung}
        },
    }
    response = await stack.slack.submit_view(ANDREA, view, state)
    assert response.text == "", response.json
    rows = {row.key: row for row in await stack.runtime.services.settings.list(stack.tenant_id)}
    assert rows["allow_future_dates"].value == "true"
    assert not rows["use_bexio_numbering"].is_set
    assert rows["billing_users"].value == MIA
    assert rows["invoice_imported_hours_since"].value == "2026-10-01"
    assert rows["default_activity"].value == "Umsetzung"

    view = await _open_settings(stack, ANDREA)
    assert _block(view, "allow_future_dates")["element"]["initial_options"][0]["value"] == "true"
    assert _block(view, "billing_users")["element"]["initial_users"] == [MIA]
    assert _block(view, "invoice_imported_hours_since")["element"]["initial_date"] == "2026-10-01"
    unticked = {
        settings_modal.block_id_for("allow_future_dates"): {
            "value": {"type": "checkboxes", "selected_options": []}
        }
    }
    response = await stack.slack.submit_view(ANDREA, view, unticked)
    assert response.text == ""
    rows = {row.key: row for row in await stack.runtime.services.settings.list(stack.tenant_id)}
    assert rows["allow_future_dates"].value == "false"


async def test_a_default_activity_that_does_not_exist_is_refused(
    stack: Stack, company: SeededCompany
) -> None:
    view = await _open_settings(stack, ANDREA)
    forged = {"text": {"type": "plain_text", "text": "Golf"}, "value": "Golf"}
    state = {
        settings_modal.block_id_for("default_activity"): {
            "value": {"type": "static_select", "selected_option": forged}
        }
    }
    response = await stack.slack.submit_view(ANDREA, view, state)
    error = response.json["errors"][settings_modal.block_id_for("default_activity")]
    assert "there is no active activity 'Golf'" in error and "Umsetzung" in error
    with pytest.raises(SettingError):
        await stack.runtime.services.settings.set(stack.tenant_id, "default_activity", "Golf", actor="cli")
    # Typed in another case, the activity is stored as bexio spells it.
    stored = await stack.runtime.services.settings.set(
        stack.tenant_id, "default_activity", "umsetzung", actor="cli"
    )
    assert stored == "Umsetzung"


async def test_dates_typed_the_swiss_way_are_accepted(stack: Stack) -> None:
    stored = await stack.runtime.services.settings.set(
        stack.tenant_id, "invoice_imported_hours_since", "01.10.2026", actor="cli"
    )
    assert stored == "2026-10-01"


@pytest.mark.parametrize("language", ["de", "fr", "it"])
async def test_settings_labels_speak_the_admins_language(stack: Stack, language: str) -> None:
    languages = stack.runtime.services.languages
    assert languages is not None
    await languages.choose(stack.tenant_id, ANDREA, language)  # Andrea's own choice in the App Home
    view = await _open_settings(stack, ANDREA)
    label = _block(view, "allow_future_dates")["label"]["text"]
    assert label != "Hours may be logged for days after today"
    assert _block(view, "allow_future_dates")["element"]["options"][0]["text"]["text"] != "Yes"
    assert not any(b["type"] == "header" and b["text"]["text"] == "Advanced" for b in view["blocks"])
