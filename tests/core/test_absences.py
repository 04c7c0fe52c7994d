"""`/log-absence` lines in four languages, bexio's reasons, and the day's norm (issue 16 §6-8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.absences import (
    BEXIO_REASONS,
    AbsenceDay,
    AbsenceInput,
    AbsenceKind,
    Half,
    daily_norm_minutes,
    expected_minutes,
    is_full_day,
    kind_label,
    parse_absence,
    working_days,
)
from core.i18n import language_scope
from core.quick_entry import ParseError

TODAY = date(2026, 12, 5)  # a Saturday


def _read(text: str, language: str = "de") -> AbsenceInput:
    parsed = parse_absence(text, TODAY, language)
    assert isinstance(parsed, AbsenceInput), parsed
    return parsed


def test_bexio_reasons_are_exactly_the_issues() -> None:
    assert BEXIO_REASONS == {
        AbsenceKind.VACATION: "Vacation",
        AbsenceKind.SICK: "Sickness",
        AbsenceKind.ACCIDENT: "Injury",
        AbsenceKind.MILITARY: "MilitaryLeave",
        AbsenceKind.PARENTAL: "MaternityLeave",
        AbsenceKind.OTHER: "InterruptionOfWork",
    }


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        *[
            (w, AbsenceKind.VACATION)
            for w in ("vacation", "Ferien", "Urlaub", "vacances", "congé", "vacanze", "ferie")
        ],
        *[
            (w, AbsenceKind.SICK)
            for w in ("sick", "krank", "Krankheit", "malade", "maladie", "malato", "malattia")
        ],
        *[(w, AbsenceKind.ACCIDENT) for w in ("accident", "Unfall", "infortunio")],
        *[
            (w, AbsenceKind.MILITARY)
            for w in (
                "military",
                "Militär",
                "Zivildienst",
                "militaire",
                "service civil",
                "militare",
                "servizio civile",
            )
        ],
        *[
            (w, AbsenceKind.PARENTAL)
            for w in ("parental", "Mutterschaft", "Vaterschaft", "Elternurlaub", "maternité", "paternité")
        ],
        *[
            (w, AbsenceKind.PARENTAL)
            for w in ("congé parental", "maternità", "paternità", "congedo parentale")
        ],
        *[(w, AbsenceKind.OTHER) for w in ("other", "andere", "autre", "altro")],
    ],
)
def test_every_kind_in_every_language(word: str, kind: AbsenceKind) -> None:
    assert _read(f"{word} 7.12.2026").kind is kind


def test_days_as_log_hours_reads_them_plus_tomorrow_and_ranges() -> None:
    assert (_read("krank heute").first_day, _read("malade hier", "fr").first_day) == (
        TODAY,
        date(2026, 12, 4),
    )
    assert _read("malato l'altro ieri", "it").first_day == date(2026, 12, 3)
    assert _read("Ferien morgen").first_day == date(2026, 12, 6)
    assert _read("vacation 2026-12-21").last_day == date(2026, 12, 21)
    spans = [
        _read("vacation 21.12.2026-23.12.2026"),
        _read("Ferien 21.12.2026 - 23.12.2026"),
        _read("Ferien 21.12.2026 bis 23.12.2026"),
        _read("vacances 21.12.2026 au 23.12.2026", "fr"),
        _read("vacation 2026-12-21-2026-12-23"),
    ]
    assert {(s.first_day, s.last_day) for s in spans} == {(date(2026, 12, 21), date(2026, 12, 23))}


def test_a_day_and_month_is_the_nearest_such_day_and_a_range_may_cross_the_year() -> None:
    assert _read("Ferien 21.12.").first_day == date(2026, 12, 21)  # ahead, not last December
    assert _read("krank 1.12.").first_day == date(2026, 12, 1)
    span = _read("vacanze 28.12.-02.01.", "it")
    assert (span.first_day, span.last_day) == (date(2026, 12, 28), date(2027, 1, 2))


@pytest.mark.parametrize(
    ("text", "half"),
    [
        ("sick today morning", Half.MORNING),
        ("krank heute vormittags", Half.MORNING),
        ("malade aujourd'hui matin", Half.MORNING),
        ("malato oggi mattina", Half.MORNING),
        ("sick today afternoon", Half.AFTERNOON),
        ("krank heute nachmittags", Half.AFTERNOON),
        ("malade aujourd'hui après-midi", Half.AFTERNOON),
        ("malade aujourd'hui après midi", Half.AFTERNOON),
        ("malato oggi pomeriggio", Half.AFTERNOON),
    ],
)
def test_half_days_in_every_language(text: str, half: Half) -> None:
    assert _read(text).half is half


def test_a_mention_names_the_person() -> None:
    assert _read("<@U02MIA|mia> sick today").person == "U02MIA"
    assert _read("<@U02MIA> sick today").person == "U02MIA"
    assert _read("sick today").person is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("holidayz today", "“holidayz” is not a kind of absence."),
        ("sick", "Say which day"),
        ("", "Say which kind of absence and which day."),
        ("@mia sick today", "Mention the person with Slack's @"),
        ("sick 31.02.2026", "“31.02.2026” is not a valid date."),
        ("sick someday", "“someday” is not a day or a range of days."),
        ("vacation 23.12.2026-21.12.2026", "The last day is before the first day."),
        ("vacation 1.1.2026-31.12.2027", "An absence can be at most 366 days long."),
        ("vacation 7.12.2026-8.12.2026 morning", "Only a single day can be a half day."),
    ],
)
def test_mistakes_are_said_with_the_usage(text: str, says: str) -> None:
    parsed = parse_absence(text, TODAY, "de")
    assert isinstance(parsed, ParseError)
    assert says in parsed.message


def test_mistakes_and_labels_in_the_readers_language() -> None:
    with language_scope("fr"):
        parsed = parse_absence("vacation 23.12.2026-21.12.2026", TODAY, "fr")
        assert isinstance(parsed, ParseError) and parsed.message == "Le dernier jour est avant le premier."
        assert kind_label(AbsenceKind.MILITARY) == "Service militaire ou civil"
    with language_scope("de"):
        parsed = parse_absence("urlaubb heute", TODAY, "de")
        assert isinstance(parsed, ParseError) and parsed.message.startswith(
            "“urlaubb” ist keine Art von Absenz."
        )
        assert kind_label(AbsenceKind.SICK) == "Krankheit"
    with language_scope("it"):
        assert kind_label(AbsenceKind.PARENTAL) == "Congedo parentale"


def test_the_days_norm_from_payroll_else_the_workspace_setting() -> None:
    assert daily_norm_minutes(Decimal(42), Decimal(100), Decimal("8.4")) == 504
    assert daily_norm_minutes(Decimal(42), Decimal(80), Decimal("8.4")) == 403  # 6.72 h
    assert daily_norm_minutes(Decimal(40), Decimal(60), Decimal("8.4")) == 288
    assert daily_norm_minutes(None, Decimal(100), Decimal("8.4")) == 504
    assert daily_norm_minutes(Decimal(0), Decimal(100), Decimal(8)) == 480  # payroll without hours
    assert daily_norm_minutes(None, None, Decimal("7.5")) == 450


def test_expected_minutes_on_absence_days_and_weekends() -> None:
    monday = date(2026, 12, 7)
    whole = AbsenceDay(AbsenceKind.VACATION, None)
    morning = AbsenceDay(AbsenceKind.SICK, Half.MORNING)
    afternoon = AbsenceDay(AbsenceKind.OTHER, Half.AFTERNOON)
    assert expected_minutes(monday, 504, []) == 504
    assert expected_minutes(monday, 504, [whole]) == 0
    assert expected_minutes(monday, 504, [morning]) == 252
    assert expected_minutes(monday, 504, [morning, afternoon]) == 0
    assert is_full_day([morning, afternoon]) and not is_full_day([morning])
    assert expected_minutes(TODAY, 504, []) == 0  # Saturday
    assert working_days(date(2026, 12, 21), date(2026, 12, 27)) == 5
