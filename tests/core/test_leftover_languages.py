"""Texts that were left English on translated screens (issue 14 §1) read in German, French and Italian."""

from __future__ import annotations

import pytest

from bot.views.payload import PayloadError, damaged
from core.customers_rule import ContactRef, GroupRef, decide_customer_rule
from core.i18n import language_scope
from core.invoice_status import CANCELLED, PAID, invoice_status_label

EXPECTED_PAID = {"de": "bezahlt ✓", "fr": "payée ✓", "it": "pagata ✓", "en": "paid ✓"}


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_invoice_status_labels(language: str) -> None:
    with language_scope(language):
        assert invoice_status_label("created", PAID) == EXPECTED_PAID[language]
        cancelled = invoice_status_label("created", CANCELLED)
        pending = invoice_status_label("pending", None)
        unknown = invoice_status_label("created", 77)
    assert "77" in unknown
    if language == "en":
        assert (cancelled, pending, unknown) == ("cancelled", "being created in bexio…", "status 77 in bexio")
    else:
        assert cancelled != "cancelled" and pending != "being created in bexio…"


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_a_damaged_request_is_told_in_the_readers_language(language: str) -> None:
    error = damaged("no view to update")
    english = error.message  # read outside a scope: English
    with language_scope(language):
        shown = error.message
    assert english.startswith("That request arrived damaged (no view to update)")
    assert shown != english and "no view to update" not in shown, "the detail is told in the language too"
    assert error.detail == "no view to update", "the log stays English"
    with language_scope(language):
        assert PayloadError(
            "Slack did not say who sent this, so bxhours did nothing. Please try again."
        ).message
        assert (
            "Slack"
            in PayloadError(
                "Slack did not say who sent this, so bxhours did nothing. Please try again."
            ).message
        )


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_customer_rules_reason(language: str) -> None:
    with language_scope("en"):
        english = decide_customer_rule([], [], "Kunden").reason
    with language_scope(language):
        shown = decide_customer_rule([], [], "Kunden").reason
    assert english.startswith("No contact group is named Kunden")
    assert "Kunden" in shown and shown != english and "customer_category" in shown
    if language == "de":
        assert "ß" not in shown
    contacts = [ContactRef(1, "3", False), ContactRef(2, None, False)]
    with language_scope(language):
        few = decide_customer_rule([GroupRef(3, "Kunden")], contacts, "Kunden").reason
    assert few != "" and "“Kunden”" in few and not few.startswith("Only")


EXPECTED_NOT_AN_ID = {"de": "der Eintrag “x7” ist keine ID", "fr": "l’entrée “x7” n’est pas un identifiant"}


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_a_damaged_button_value_is_named_in_the_readers_language(language: str) -> None:
    from bot.views.payload import action_int

    with pytest.raises(PayloadError) as caught:
        action_int({"actions": [{"value": "x7"}]}, "the entry")
    assert caught.value.detail == "the entry “x7” is not an id"
    with language_scope(language):
        shown = caught.value.message
    assert "“x7”" in shown
    if language == "en":
        assert "(the entry “x7” is not an id)" in shown
    else:
        assert "is not an id" not in shown and "the entry" not in shown
    if language in EXPECTED_NOT_AN_ID:
        assert EXPECTED_NOT_AN_ID[language] in shown
