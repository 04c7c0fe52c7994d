"""A person chooses their language in the App Home, and "+ New customer" asks for the customer's
(issue 14 §2, §5) — through signed Slack requests; the select's value is the sender's and is
checked against the languages bxhours offers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bot.views import home as home_view
from bot.views import invoice_modal, new_customer
from bxhours.fakes.invoicing_seed import SeededCompany, WorkLog, mirror_sandbox
from bxhours.fakes.slack_client import option, text_value
from bxhours.fakes.stack import ANDREA, MIA, Stack
from core.dates import end_of_last_month
from services.languages import LanguageService
from storage.models import Customer, Language, Project
from tests.invoicing_fixtures import PERSON_RATES, SLACK_IDS
from tests.scenarios import test_invoice_modal as invoice_flow

FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _texts(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def _languages(stack: Stack) -> LanguageService:
    found = stack.runtime.services.languages
    assert found is not None
    return found


def _select(view: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == home_view.LANGUAGE_BLOCK)
    return block["accessory"]


async def _home(stack: Stack, user: str) -> dict[str, Any]:
    before = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(user)
    await stack.fake.wait_for("views.publish", count=before + 1)
    return stack.fake.home[user]


async def _choose(stack: Stack, user: str, value: str, text: str = "Deutsch") -> int:
    before = len(stack.fake.calls_to("views.publish"))
    response = await stack.slack.block_action(
        user,
        home_view.LANGUAGE_ACTION,
        block_id=home_view.LANGUAGE_BLOCK,
        selected_option={"value": value, "text": {"type": "plain_text", "text": text}},
        view=stack.fake.home[user],
    )
    assert response.status == 200
    return before


async def test_a_person_chooses_their_language_in_the_app_home(stack: Stack) -> None:
    home = await _home(stack, MIA)  # a member, not an admin: the select is for everyone
    select = _select(home)
    assert [o["value"] for o in select["options"]] == ["auto", "de", "fr", "it", "en"]
    assert select["initial_option"]["value"] == "auto"
    assert select["initial_option"]["text"]["text"] == "Automatic (Slack: English)"  # Slack's en-US

    before = await _choose(stack, MIA, "de")
    await stack.fake.wait_for("views.publish", count=before + 1)
    assert await _languages(stack).chosen(stack.tenant_id, MIA) == "de"
    german = stack.fake.home[MIA]
    assert "Deine Sprache" in _texts(german) and "Your language" not in _texts(german)
    assert _select(german)["initial_option"]["value"] == "de"
    assert _select(german)["initial_option"]["text"]["text"] == "Deutsch"
    assert "Automatisch (Slack: English)" in _texts(_select(german))

    before = await _choose(stack, MIA, "auto", "Automatisch (Slack: English)")
    await stack.fake.wait_for("views.publish", count=before + 1)
    assert await _languages(stack).chosen(stack.tenant_id, MIA) is None
    english = stack.fake.home[MIA]
    assert "Your language" in _texts(english)
    assert _select(english)["initial_option"]["value"] == "auto"


async def test_a_forged_language_is_refused_and_changes_nothing(stack: Stack) -> None:
    await _home(stack, ANDREA)
    await _choose(stack, ANDREA, "fr", "Français")
    await stack.fake.wait_for("views.publish", lambda c: "Votre langue" in _texts(c.params["view"]))
    for forged in ("xx", "de; DROP", "de-CH", "", "FR"):
        published = len(stack.fake.calls_to("views.publish"))
        await _choose(stack, ANDREA, forged, "Deutsch")
        assert await _languages(stack).chosen(stack.tenant_id, ANDREA) == "fr", forged
        assert len(stack.fake.calls_to("views.publish")) == published, forged
    assert "Votre langue" in _texts(stack.fake.home[ANDREA])


@pytest.fixture
async def company(stack: Stack, sandbox: RunningSandbox) -> SeededCompany:
    return await mirror_sandbox(
        stack.runtime.db, stack.tenant_id, sandbox.state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES
    )


async def _import_languages(stack: Stack, sandbox: RunningSandbox) -> None:
    """bexio's languages list, as the import stores it."""
    async with stack.runtime.db.session(stack.tenant_id) as session:
        for row in sandbox.state.tables["language"].values():
            session.add(
                Language(bexio_id=row["id"], name=row["name"], iso_639_1=row.get("iso_639_1"), active=True)
            )


async def _new_customer_form(stack: Stack) -> dict[str, Any]:
    await _home(stack, ANDREA)
    before = len(stack.fake.calls_to("views.open"))
    response = await stack.slack.block_action(
        ANDREA,
        new_customer.OPEN_ACTION,
        value="open",
        block_id="home_invoicing",
        view=stack.fake.home[ANDREA],
    )
    assert response.status == 200
    await stack.fake.wait_for("views.open", count=before + 1)
    form = stack.fake.modal()
    assert form["callback_id"] == new_customer.CALLBACK_ID
    return form


def _language_of(form: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in form["blocks"] if b.get("block_id") == new_customer.LANGUAGE_BLOCK)
    return block["element"]


async def test_a_new_french_customer_is_created_in_french_and_invoiced_in_french(
    stack: Stack, sandbox: RunningSandbox, company: SeededCompany
) -> None:
    await _import_languages(stack, sandbox)
    await stack.runtime.services.settings.set(stack.tenant_id, "language", "it", actor="test")
    form = await _new_customer_form(stack)
    select_ = _language_of(form)
    assert [o["value"] for o in select_["options"]] == ["de", "fr", "it", "en"]
    assert select_["initial_option"]["value"] == "it"  # the workspace's language is proposed
    french = {"type": "static_select", "selected_option": option("fr", "Français")}
    values = invoice_flow.state_of(
        form,
        **{
            new_customer.NAME_BLOCK: text_value("Hôtel du Lac SA"),
            new_customer.PROJECT_BLOCK: text_value("Site web"),
            new_customer.LANGUAGE_BLOCK: french,
        },
    )
    response = await stack.slack.submit_view(ANDREA, form, values)
    assert response.json.get("response_action") == "update", response.text
    async with stack.runtime.db.session(stack.tenant_id) as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Hôtel du Lac SA"))
        assert customer is not None and customer.language_id == 2  # bexio's Français
        project = await session.scalar(select(Project).where(Project.customer_id == customer.id))
        assert project is not None
        customer_id, project_id = customer.id, project.id

    last = end_of_last_month(stack.runtime.services.invoicing.today())
    await WorkLog(stack.runtime.db, stack.tenant_id).entry(
        user_id=company.users[1],
        project_id=project_id,
        activity_id=company.activities[4],
        day=last,
        minutes=90,
    )
    modal = invoice_flow.InvoiceModal(stack)
    await modal.open()
    await modal.choose_customer(customer_id)
    to_day = {"type": "datepicker", "selected_date": last.isoformat()}
    await modal.choose(
        invoice_modal.TO_BLOCK, invoice_modal.TO_ACTION, to_day, selected_date=last.isoformat()
    )
    # Submitted as shown: the title the modal proposed before the customer was chosen (in the
    # workspace's language) is still a proposal, so the draft gets the customer's language.
    await modal.submit()
    assert "created" in invoice_flow._texts(await modal.result())
    [created] = sandbox.state.calls_to("POST", "/2.0/contact")
    assert created.json_body["language_id"] == 2
    contact = sandbox.state.tables["contact"][max(sandbox.state.tables["contact"])]
    drafts = [d for d in sandbox.state.tables["kb_invoice"].values() if d.get("contact_id") == contact["id"]]
    assert [d["title"] for d in drafts] == [f"Prestations {FRENCH_MONTHS[last.month - 1]} {last.year}"]


async def test_without_bexios_languages_list_no_language_is_sent(
    stack: Stack, company: SeededCompany
) -> None:
    form = await _new_customer_form(stack)
    assert _language_of(form)["initial_option"]["value"] == "en"  # the tests' deployment default
    values = invoice_flow.state_of(form, **{new_customer.NAME_BLOCK: text_value("Albergo Sole SA")})
    values[new_customer.LANGUAGE_BLOCK] = {
        "value": {"type": "static_select", "selected_option": option("it", "Italiano")}
    }
    response = await stack.slack.submit_view(ANDREA, form, values)
    assert response.json.get("response_action") == "update"
    async with stack.runtime.db.session(stack.tenant_id) as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Albergo Sole SA"))
    assert customer is not None and customer.language_id is None


async def test_a_forged_customer_language_is_a_field_error(stack: Stack, company: SeededCompany) -> None:
    form = await _new_customer_form(stack)
    forged = {"type": "static_select", "selected_option": option("xx", "Deutsch")}
    values = invoice_flow.state_of(
        form, **{new_customer.NAME_BLOCK: text_value("Falsch AG"), new_customer.LANGUAGE_BLOCK: forged}
    )
    response = await stack.slack.submit_view(ANDREA, form, values)
    assert response.json["response_action"] == "errors"
    assert new_customer.LANGUAGE_BLOCK in response.json["errors"]
    async with stack.runtime.db.session(stack.tenant_id) as session:
        assert await session.scalar(select(Customer).where(Customer.name == "Falsch AG")) is None
