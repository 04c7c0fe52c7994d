"""Logging hours and expenses in German, French and Italian (issue 14 §1, §6): replies, errors,
field errors, help, both forms and the "which one?" choices read in the person's language, no
English word leaks into the German screens, and Slack's Block Kit limits hold in every language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.views import choices, expense_modal, hours_modal, log_expense, log_hours
from bot.views import help as help_texts
from bot.views.form_state import ModalContext
from bxhours.fakes import block_kit
from bxhours.fakes.stack import ANDREA
from core.entry_rules import entry_problems, expense_problems
from core.i18n import language_scope
from core.quick_entry import ParseError, parse_log_expense, parse_log_hours
from services.entry_outcomes import Choice, ChooseOne, Invalid, Refusal
from services.expenses import ExpenseRequest, StoredExpense
from services.time_entries import HoursRequest, StoredEntry
from storage.db import Database
from tests.factories import LoggingStack, click, entries, logging_stack, send

LANGUAGES = ("de", "fr", "it")
MONDAY = date(2026, 11, 23)
ENGLISH_ONLY = ("Logged", "billable", "Undo", "project", "activity", "Nothing to log", "Usage", "Pick")
"""Words that would give an untranslated German screen away (example names like "Website
Relaunch" and command names like `/log-hours` stay as they are)."""
KNOWN = {
    # language → (a confirmation word, the undo button, the help's first line, a parse error)
    "de": ("verrechenbar", "Rückgängig", "Zeit erfassen", "Nichts zu erfassen"),
    "fr": ("facturable", "Annuler", "saisir du temps", "Rien à saisir"),
    "it": ("fatturabile", "Annulla", "registrare tempo", "Niente da registrare"),
}


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    with language_scope(request.param) as chosen:
        yield chosen


def _seal(payload: dict[str, Any]) -> str:
    return "sealed"


def _texts(node: Any) -> list[str]:
    """Every text a person reads in a message, a view or a plain string."""
    if isinstance(node, str):
        return [node]
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "submit", "close", "label", "placeholder", "hint") and isinstance(
                value, str
            ):
                found.append(value)
            elif key not in ("value", "action_id", "block_id", "callback_id", "private_metadata"):
                found += _texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item)
    return found


def _assert_no_english(language: str, *screens: Any) -> None:
    if language != "de":
        return
    for screen in screens:
        for text in _texts(screen):
            leaked = [word for word in ENGLISH_ONLY if re.search(rf"\b{re.escape(word)}\b", text)]
            assert not leaked, f"English {leaked} in a German screen: {text!r}"


def _assert_valid_message(message: dict[str, Any]) -> None:
    assert block_kit.message_problems(message) == [], message
    assert not block_kit.missing_fallback_text(message)
    for text in _texts(message.get("blocks", [])):
        assert "{" not in text, f"a placeholder was left unfilled: {text!r}"


def _assert_valid_view(view: dict[str, Any]) -> None:
    assert block_kit.view_problems(view) == [], view
    title = view["title"]["text"]
    assert not title.endswith("…"), f"the title {title!r} was cut to fit 24 characters"


def _entry(**overrides: Any) -> StoredEntry:
    values: dict[str, Any] = {
        "entry_id": 7,
        "minutes": 150,
        "day": MONDAY,
        "project": "Website Relaunch",
        "activity": "Umsetzung",
        "billable": True,
        "rate": Decimal("150.00"),
        "amount": Decimal("375.00"),
        "fixed_price": False,
        "missing_rate": None,
    }
    return StoredEntry(**{**values, **overrides})


def _hours_request() -> HoursRequest:
    return HoursRequest(minutes=150, day=MONDAY, billable=None, note="", project_query="web")


def test_the_log_hours_reply_speaks_the_language(language: str) -> None:
    billable_word, undo_word, _help, _error = KNOWN[language]
    for stored in (
        _entry(),
        _entry(billable=False),
        _entry(amount=None, rate=None, fixed_price=True),
        _entry(amount=None, rate=None),
    ):
        message = log_hours.reply(stored, seal=_seal)
        _assert_valid_message(message)
        _assert_no_english(language, message)
        assert message["blocks"][0]["accessory"]["text"]["text"] == undo_word
    assert billable_word in log_hours.reply(_entry(), seal=_seal)["text"]


def test_the_log_expense_reply_speaks_the_language(language: str) -> None:
    billable_word, undo_word, _help, _error = KNOWN[language]
    stored = StoredExpense(7, Decimal("84.50"), "CHF", MONDAY, "Website Relaunch", "Reisekosten", True)
    message = log_expense.reply(stored, seal=_seal)
    _assert_valid_message(message)
    _assert_no_english(language, message)
    assert billable_word in message["text"]
    assert message["blocks"][0]["accessory"]["text"]["text"] == undo_word


def test_choices_and_refusals_speak_the_language(language: str) -> None:
    request = _hours_request()
    several = [Choice(i, f"Website {i} · 00004{i}") for i in range(5)]
    screens = [
        log_hours.reply(ChooseOne("project", "web", tuple(several), True, request), seal=_seal),
        log_hours.reply(
            ChooseOne("activity", None, tuple(several[:3]), False, request, subject="Website Relaunch"),
            seal=_seal,
        ),
        log_expense.reply(
            ChooseOne(
                "category",
                "reise",
                (Choice(1, "Reisekosten"), Choice(2, "Reisespesen")),
                False,
                ExpenseRequest(amount=Decimal("84.50"), day=MONDAY, note=""),
            ),
            seal=_seal,
        ),
        log_hours.reply(
            Invalid("too long", {"duration": "too long"}, request), seal=_seal, typed="/log-hours 30h web"
        ),
        log_hours.reply(Refusal("nope"), seal=_seal),
        choices.undone("2:30 h · Website Relaunch / Umsetzung · Mon 23.11."),
    ]
    for screen in screens:
        _assert_valid_message(screen)
    _assert_no_english(language, *screens)
    expected = {
        "de": ("Mehrere Projekte passen", "Formular öffnen", "Deine Eingabe", "Rückgängig gemacht"),
        "fr": ("Plusieurs projets correspondent", "Ouvrir le formulaire", "Tu as tapé", "Annulé"),
        "it": ("Più progetti corrispondono", "Apri il modulo", "Hai scritto", "Annullato"),
    }[language]
    shown = "\n".join(text for screen in screens for text in _texts(screen))
    for phrase in expected:
        assert phrase in shown, phrase


def test_help_and_parse_errors_speak_the_language(language: str) -> None:
    _billable, _undo, help_line, nothing = KNOWN[language]
    log_hours_help = help_texts.text("/log-hours")
    assert help_line in log_hours_help
    helps = [help_texts.text(command) for command in help_texts.BY_COMMAND]
    helps += [help_texts.unknown_subcommand("/log-hours", "bogus"), help_texts.unknown_command("/nope")]
    errors = []
    for line in ("", "xyz Website", "2h", "2h Website /", "84.50 EUR Website", '2h "Website'):
        parsed = parse_log_hours(line, MONDAY)
        assert isinstance(parsed, ParseError), line
        errors.append(parsed.message)
    for line in ("", "abc Website", "84.50 EUR Website", "84.50 Website /", "84.555 Website"):
        parsed = parse_log_expense(line, MONDAY)
        assert isinstance(parsed, ParseError), line
        errors.append(parsed.message)
    assert errors[0].startswith(nothing)
    _assert_no_english(language, *helps, *errors)
    for text in (*helps, *errors):
        assert "{" not in text, text
        assert block_kit.command_ack_problems({"text": text}) == []


def test_the_rules_speak_the_language(language: str) -> None:
    problems = {
        **entry_problems(
            minutes=25 * 60,
            day=date(2027, 1, 1),
            note="tab\there",
            today=MONDAY,
            allow_future=False,
            logged_that_day=0,
        ),
        **expense_problems(
            amount=Decimal("200000"), day=date(1999, 1, 1), note="x" * 1001, today=MONDAY, allow_future=False
        ),
    }
    assert set(problems) == {"day", "duration", "note", "amount"}
    _assert_no_english(language, *problems.values())
    assert "allow_future_dates" in entry_problems(
        minutes=60, day=date(2027, 1, 1), note="", today=MONDAY, allow_future=False, logged_that_day=0
    ).get("day", "")


def test_the_forms_speak_the_language_and_fit_slack(language: str) -> None:
    activities = (Choice(1, "Umsetzung"), Choice(2, "Beratung"))
    categories = (Choice(1, "Spesen"), Choice(2, "Reisekosten"))
    views = [
        hours_modal.build(hours_modal.HoursModal(day=MONDAY)),
        hours_modal.build(hours_modal.HoursModal(day=MONDAY, activities=())),
        hours_modal.build(hours_modal.HoursModal(day=MONDAY, activities=activities, activity_id=1)),
        hours_modal.build(
            hours_modal.HoursModal(day=MONDAY, activities=activities, context=ModalContext(entry_id=3))
        ),
        expense_modal.build(expense_modal.ExpenseModal(day=MONDAY)),
        expense_modal.build(expense_modal.ExpenseModal(day=MONDAY, categories=())),
        expense_modal.build(expense_modal.ExpenseModal(day=MONDAY, categories=categories, category_id=1)),
        expense_modal.build(
            expense_modal.ExpenseModal(day=MONDAY, categories=categories, context=ModalContext(entry_id=3))
        ),
        hours_modal.done("Stunden", "✓ 2:30 h", undo=7, ctx=ModalContext()),
    ]
    for view in views:
        _assert_valid_view(view)
    _assert_no_english(language, *views)
    title = {"de": "Stunden erfassen", "fr": "Saisir des heures", "it": "Registra ore"}[language]
    assert views[0]["title"]["text"] == title


async def test_a_german_speaking_person_logs_hours_and_undoes_them(database_url: str, db: Database) -> None:
    async with logging_stack(database_url) as ls:
        await _speaks(ls, "de")
        help_reply = await send(ls, ANDREA, "/log-hours", "hilfe")
        assert "Zeit erfassen" in help_reply.inline
        error = await send(ls, ANDREA, "/log-hours", "zwei Stunden Website")
        assert "ist keine Dauer" in error.inline and "So geht’s" in error.inline
        reply = await send(ls, ANDREA, "/log-hours", "2h30 gestern Website Relaunch / Umsetzung")
        assert reply.hook is not None
        assert reply.text.endswith("CHF 375.00 verrechenbar"), reply.text
        _assert_valid_message(reply.hook)
        _assert_no_english("de", reply.hook)
        [entry] = await entries(ls.db, ls.tenant_id)
        assert entry.day == date(2026, 11, 22)
        undone = await click(ls, ANDREA, reply.button(log_hours.UNDO_ACTION, "Rückgängig"))
        assert undone.text.startswith("↩️ Rückgängig gemacht"), undone.text
        assert await entries(ls.db, ls.tenant_id) == []


async def test_a_french_speaking_person_is_asked_which_project(database_url: str, db: Database) -> None:
    async with logging_stack(database_url) as ls:
        await _speaks(ls, "fr")
        reply = await send(ls, ANDREA, "/log-expense", "84.50 hier zzzz-nothing")
        assert "Aucun projet ne correspond" in reply.text, reply.text
        reply = await send(ls, ANDREA, "/log-expense", "84.50 hier Website Relaunch")
        assert reply.text.endswith("· facturable") or reply.text.endswith("· non facturable"), reply.text
        assert reply.hook is not None
        _assert_valid_message(reply.hook)


async def _speaks(ls: LoggingStack, language: str) -> None:
    languages = ls.stack.runtime.services.languages
    assert languages is not None
    assert await languages.choose(ls.tenant_id, ANDREA, language) == language
