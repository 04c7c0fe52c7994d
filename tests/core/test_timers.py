"""The pure rules of timers (issue 17 §4): the day a timer belongs to, when that day ends (daylight
saving included), the real minutes, what stopping does, the answer after midnight, `start …`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import timers
from core.i18n import language_scope
from core.keywords import keyword
from core.quick_entry import ParseError

ZURICH = "Europe/Zurich"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_day_ends_at_local_midnight_in_winter_summer_and_on_the_change_days() -> None:
    assert timers.day_end(date(2026, 11, 23), ZURICH) == _utc(2026, 11, 23, 23, 0)  # CET
    assert timers.day_end(date(2026, 7, 1), ZURICH) == _utc(2026, 7, 1, 22, 0)  # CEST
    assert timers.day_end(date(2026, 3, 29), ZURICH) == _utc(2026, 3, 29, 22, 0)  # 23-hour day
    assert timers.day_end(date(2026, 10, 25), ZURICH) == _utc(2026, 10, 25, 23, 0)  # 25-hour day


def test_the_timer_belongs_to_the_company_day_it_started_on() -> None:
    assert timers.local_day(_utc(2026, 11, 23, 23, 30), ZURICH) == date(2026, 11, 24)
    assert timers.local_day(_utc(2026, 11, 23, 22, 59), ZURICH) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(0, 0), (29, 0), (30, 1), (89, 1), (90, 2), (95 * 60 + 40, 96), (-10, 0)],
)
def test_real_minutes_round_to_the_nearest_minute(seconds: int, minutes: int) -> None:
    start = _utc(2026, 11, 23, 9, 0)
    assert timers.elapsed_minutes(start, datetime.fromtimestamp(start.timestamp() + seconds, UTC)) == minutes


def test_stopping_logs_asks_or_logs_nothing() -> None:
    start = _utc(2026, 11, 23, 9, 0)  # 10:00 in Zurich
    assert timers.on_stop(start, _utc(2026, 11, 23, 10, 30), ZURICH) == timers.LogMinutes(90)
    assert timers.on_stop(start, _utc(2026, 11, 23, 9, 0, 20), ZURICH) == timers.TooShort()
    assert timers.on_stop(start, _utc(2026, 11, 23, 22, 59), ZURICH) == timers.LogMinutes(839)
    assert timers.on_stop(start, _utc(2026, 11, 23, 23, 0), ZURICH) == timers.AskHowLong()


def test_the_answer_after_midnight_fits_before_midnight() -> None:
    start = _utc(2026, 11, 23, 20, 0)  # 21:00
    assert timers.minutes_left_in_day(start, ZURICH) == 180
    assert timers.answer_problem(180, start, ZURICH) is None
    assert timers.answer_problem(181, start, ZURICH) == (
        "The timer started at 21:00 — at most 3:00 h fit before midnight."
    )
    with language_scope("de"):
        assert timers.answer_problem(240, start, ZURICH) == (
            "Der Timer lief ab 21:00 — bis Mitternacht passen höchstens 3:00 h."
        )


def test_start_reads_project_activity_and_note_as_a_log_line_does() -> None:
    assert timers.parse_timer_start("Website Relaunch / Umsetzung: checkout") == timers.TimerStartInput(
        "Website Relaunch", "Umsetzung", "checkout"
    )
    assert timers.parse_timer_start('"A / B" : x') == timers.TimerStartInput("A / B", None, "x")
    assert timers.parse_timer_start("42") == timers.TimerStartInput("42", None, "")
    missing = timers.parse_timer_start("  ")
    assert isinstance(missing, ParseError) and missing.message.startswith("Which project?")
    with language_scope("fr"):
        slash = timers.parse_timer_start("Website /")
        assert isinstance(slash, ParseError) and "`/log-hours démarrer PROJET" in slash.message


@pytest.mark.parametrize(
    ("typed", "english"),
    [
        ("again", "again"),
        ("Nochmal", "again"),
        ("encore", "again"),
        ("ancora", "again"),
        ("start", "start"),
        ("démarrer", "start"),
        ("avvia", "start"),
        ("stop", "stop"),
        ("stopp", "stop"),
        ("arrêter", "stop"),
        ("ferma", "stop"),
    ],
)
def test_timer_keywords_in_four_languages(typed: str, english: str) -> None:
    assert keyword(typed) == english
