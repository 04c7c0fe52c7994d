"""Quick entry in German, French, Italian and English (issue 14 §4), whatever the person's language."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.dates import parse_date_token
from core.durations import parse_duration
from core.quick_entry import LogExpenseInput, LogHoursInput, parse_log_expense, parse_log_hours

TODAY = date(2026, 12, 5)  # a Saturday


@pytest.mark.parametrize(
    ("word", "days_back"),
    [
        *[(w, 0) for w in ("heute", "aujourd'hui", "aujourd’hui", "oggi", "today", "HEUTE")],
        *[(w, 1) for w in ("gestern", "hier", "ieri", "yesterday")],
        *[(w, 2) for w in ("vorgestern", "avant-hier", "altroieri")],
    ],
)
def test_relative_days_in_every_language(word: str, days_back: int) -> None:
    assert parse_date_token(word, TODAY) == TODAY - timedelta(days=days_back)


@pytest.mark.parametrize(
    ("word", "weekday"),
    [
        *[(w, 0) for w in ("Mo", "lu", "lun", "Mon", "MON")],
        *[(w, 2) for w in ("Mi", "me", "mer", "Wed")],
        *[(w, 3) for w in ("je", "jeu", "gi", "gio", "Thu")],
        *[(w, 4) for w in ("Fr", "ve", "ven", "Fri")],
    ],
)
def test_weekdays_in_every_language(word: str, weekday: int) -> None:
    found = parse_date_token(word, TODAY)
    assert found is not None and found.weekday() == weekday and TODAY - timedelta(days=6) <= found <= TODAY


@pytest.mark.parametrize(
    ("word", "language", "weekday"),
    [("Di", "de", 1), ("di", "fr", 6), ("Do", "de", 3), ("do", "it", 6), ("di", "it", 1), ("Do", "en", 3)],
)
def test_words_two_languages_read_differently_follow_the_persons_language(
    word: str, language: str, weekday: int
) -> None:
    found = parse_date_token(word, TODAY, language)
    assert found is not None and found.weekday() == weekday


def test_german_words_that_are_not_weekdays_stay_words() -> None:
    for word in ("mit", "die", "don", "son", "Montag", "lundi", "lunedì"):
        assert parse_date_token(word, TODAY) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1h hier Website Relaunch", TODAY - timedelta(days=1)),
        ("1h l'altro ieri Website Relaunch", TODAY - timedelta(days=2)),
        ("1h l’altro ieri Website Relaunch", TODAY - timedelta(days=2)),
        ("2h30 nb avant-hier Website", TODAY - timedelta(days=2)),
        ("90min oggi Website", TODAY),
        ("2 Std gestern Website", TODAY - timedelta(days=1)),
        ("1 ora ieri Website", TODAY - timedelta(days=1)),
        ("2 heures jeu Website", date(2026, 12, 3)),
    ],
)
def test_a_day_word_right_after_the_duration_is_the_day(text: str, day: date) -> None:
    parsed = parse_log_hours(text, TODAY, "fr")
    assert isinstance(parsed, LogHoursInput), parsed
    assert parsed.day == day
    assert parsed.project_query.startswith("Website")


def test_a_day_word_elsewhere_is_part_of_the_project_name() -> None:
    parsed = parse_log_hours("1h Projekt hier / Umsetzung", TODAY)
    assert isinstance(parsed, LogHoursInput)
    assert parsed.day == TODAY and parsed.project_query == "Projekt hier"


def test_expenses_take_day_words_too() -> None:
    parsed = parse_log_expense("84.50 l'altro ieri Website / Spesen: Zug", TODAY, "it")
    assert isinstance(parsed, LogExpenseInput), parsed
    assert parsed.day == TODAY - timedelta(days=2) and parsed.project_query == "Website"


@pytest.mark.parametrize(
    ("text", "minutes"), [("2 Std", 120), ("1,5h", 90), ("1:30", 90), ("90 minuti", 90), ("2 ore", 120)]
)
def test_units_in_every_language(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Sat 05.12."), ("de", "Sa 05.12."), ("fr", "sam. 05.12."), ("it", "sab 05.12.")],
)
def test_the_day_a_reply_shows_is_in_the_readers_language(language: str, shown: str) -> None:
    from core.dates import format_day
    from core.i18n import language_scope

    with language_scope(language):
        assert format_day(TODAY) == shown
