"""Absences: what kinds there are, how `/log-absence` is typed, and the day's norm (issue 16 §6-8).

    /log-absence [@person] KIND DAY[-DAY] [morning|afternoon]

KIND is one of six kinds, typed in any of the four languages (``Ferien``, ``vacances``,
``vacanze``, ``krank``, ``malade``, ``malato`` …); each kind has exactly one bexio payroll reason.
Days are read as `/log-hours` reads them (``heute``, ``hier``, ``ieri``, ``Mo``, ``21.12.2026``,
``2026-12-21``) plus ``morgen``/``demain``/``domani``/``tomorrow``, because absences are planned
ahead; a day and month without a year (``21.12.``) is the nearest such day, before or after
today. A range is ``DAY-DAY`` or ``DAY - DAY`` (also ``bis``, ``au``, ``al``, ``to``). A half day
is one day with ``morning``/``afternoon`` (``vormittags``, ``matin``, ``mattina`` …); bexio only
knows *that* it is a half day, bxhours keeps which half.

The day's norm is defined here once (§8): the payroll employee's ``hours_per_week`` ×
``employment_level`` / 100 / 5, else the workspace's ``daily_norm_hours`` (8.4 by default); a
full-day absence makes a day no working day, a half day halves what is expected.

Pure: no Slack, HTTP or SQL — the service (``services.absences``) stores and sends.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core.dates import MULTI_WORD_DAYS, DateError, normalise_day_word, parse_date_token
from core.errors import quote_input
from core.i18n import N_, _
from core.quick_entry import ParseError


class AbsenceKind(enum.StrEnum):
    VACATION = "vacation"
    SICK = "sick"
    ACCIDENT = "accident"
    MILITARY = "military"
    PARENTAL = "parental"
    OTHER = "other"


class Half(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


BEXIO_REASONS: dict[AbsenceKind, str] = {
    AbsenceKind.VACATION: "Vacation",
    AbsenceKind.SICK: "Sickness",
    AbsenceKind.ACCIDENT: "Injury",
    AbsenceKind.MILITARY: "MilitaryLeave",
    AbsenceKind.PARENTAL: "MaternityLeave",
    AbsenceKind.OTHER: "InterruptionOfWork",
}
"""bexio payroll's ``reason`` for each kind, exactly as issue 16 §7 maps them."""

KIND_LABELS: dict[AbsenceKind, str] = {
    AbsenceKind.VACATION: N_("Vacation"),
    AbsenceKind.SICK: N_("Sick"),
    AbsenceKind.ACCIDENT: N_("Accident"),
    AbsenceKind.MILITARY: N_("Military or civil service"),
    AbsenceKind.PARENTAL: N_("Parental leave"),
    AbsenceKind.OTHER: N_("Other absence"),
}
"""What people read for a kind (translate with ``_`` when shown)."""

HALF_LABELS: dict[Half, str] = {Half.MORNING: N_("morning"), Half.AFTERNOON: N_("afternoon")}

_KIND_WORDS: dict[AbsenceKind, tuple[str, ...]] = {
    AbsenceKind.VACATION: (
        *("vacation", "holiday", "holidays", "leave", "ferien", "urlaub"),
        *("vacances", "vacance", "congé", "conge", "congés", "conges", "vacanze", "vacanza", "ferie"),
    ),
    AbsenceKind.SICK: (
        *("sick", "sickness", "ill", "illness", "krank", "krankheit", "krankgeschrieben"),
        *("malade", "maladie", "malato", "malata", "malattia"),
    ),
    AbsenceKind.ACCIDENT: ("accident", "injury", "unfall", "infortunio", "incidente"),
    AbsenceKind.MILITARY: (
        *("military", "militär", "militaer", "militar", "zivildienst", "zivi", "civil service"),
        *("militaire", "service militaire", "service civil", "militare", "servizio militare"),
        "servizio civile",
    ),
    AbsenceKind.PARENTAL: (
        *("parental", "parental leave", "maternity", "paternity", "mutterschaft", "vaterschaft"),
        *("elternurlaub", "mutterschaftsurlaub", "vaterschaftsurlaub", "maternité", "maternite"),
        *("paternité", "paternite", "congé parental", "conge parental", "congé maternité"),
        *("congé paternité", "maternità", "maternita", "paternità", "paternita"),
        *("congedo parentale", "congedo maternità", "congedo paternità"),
    ),
    AbsenceKind.OTHER: ("other", "andere", "anderes", "autre", "altro", "altra"),
}
_KINDS_BY_WORD: dict[str, AbsenceKind] = {
    normalise_day_word(word): kind for kind, words in _KIND_WORDS.items() for word in words
}
_MAX_KIND_WORDS = max(len(word.split()) for word in _KINDS_BY_WORD)

_HALF_WORDS: dict[str, Half] = {
    **dict.fromkeys(
        ("morning", "am", "vormittag", "vormittags", "morgens", "matin", "mattina"), Half.MORNING
    ),
    **dict.fromkeys(("mattino", "vm"), Half.MORNING),
    **dict.fromkeys(
        ("afternoon", "pm", "nachmittag", "nachmittags", "après-midi", "apres-midi", "pomeriggio", "nm"),
        Half.AFTERNOON,
    ),
}
_HALF_PHRASES: dict[str, Half] = {"après midi": Half.AFTERNOON, "apres midi": Half.AFTERNOON}
_TOMORROW = frozenset({"tomorrow", "morgen", "demain", "domani"})
_RANGE_WORDS = frozenset({"-", "–", "bis", "au", "al", "to", "until", "jusqu'au", "fino"})
_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]{2,})(?:\|[^>]*)?>", re.ASCII)
_DAY_MONTH = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.", re.ASCII)

MAX_ABSENCE_DAYS = 366
"""A longer range is almost certainly a typo (a wrong year)."""
DEFAULT_DAILY_NORM_HOURS = Decimal("8.4")
"""The workspace's ``daily_norm_hours`` when nobody set it: 42 hours a week over 5 days."""
WORKING_DAYS_PER_WEEK = 5

LOG_ABSENCE_USAGE = N_(
    "`/log-absence KIND DAY[-DAY] [morning|afternoon]`, e.g. `/log-absence vacation 21.12.2026-23.12.2026` "
    "or `/log-absence sick today afternoon` — KIND is vacation, sick, accident, military, parental or other"
)


@dataclass(frozen=True, slots=True)
class AbsenceInput:
    """A typed `/log-absence` line, read but not yet checked against people or permissions."""

    kind: AbsenceKind
    first_day: date
    last_day: date
    half: Half | None = None
    person: str | None = None
    """The Slack user id of ``@person`` when the line named someone (admins only)."""

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def kind_label(kind: AbsenceKind | str) -> str:
    return _(KIND_LABELS[AbsenceKind(kind)])


def kind_of(word: str) -> AbsenceKind | None:
    """The kind a word (or phrase) names in any language; None if it names none."""
    return _KINDS_BY_WORD.get(normalise_day_word(word))


def parse_absence(text: str, today: date, language: str = "de") -> AbsenceInput | ParseError:
    """Read ``[@person] KIND DAY[-DAY] [morning|afternoon]``; never raises."""
    tokens = text.split()
    person: str | None = None
    if tokens and (mention := _MENTION.fullmatch(tokens[0])):
        person = mention["id"]
        tokens = tokens[1:]
    elif tokens and tokens[0].startswith("@"):
        return _error(
            N_("Mention the person with Slack's @ so bxhours knows who {typed} is."),
            typed=quote_input(tokens[0]),
        )
    if not tokens:
        return _error(N_("Say which kind of absence and which day."))
    kind, used = _leading_kind(tokens)
    if kind is None:
        return _error(N_("{typed} is not a kind of absence."), typed=quote_input(tokens[0]))
    rest = tokens[used:]
    half: Half | None = None
    if rest:
        half, rest = _trailing_half(rest)
    if not rest:
        return _error(N_("Say which day — e.g. today, 21.12.2026 or 21.12.2026-23.12.2026."))
    try:
        days = _days(rest, today, language)
    except DateError as exc:
        return ParseError(f"{exc.message} {_('Usage: {usage}', usage=_(LOG_ABSENCE_USAGE))}")
    if days is None:
        return _error(N_("{typed} is not a day or a range of days."), typed=quote_input(" ".join(rest)))
    first, last = days
    problem = range_problem(first, last, half)
    if problem is not None:
        return ParseError(problem)
    return AbsenceInput(kind, first, last, half, person)


def range_problem(first: date, last: date, half: Half | None) -> str | None:
    """What is wrong with a range of days (typed or picked in the form), or None."""
    if last < first:
        return _("The last day is before the first day.")
    if (last - first).days + 1 > MAX_ABSENCE_DAYS:
        return _("An absence can be at most {days} days long.", days=MAX_ABSENCE_DAYS)
    if half is not None and first != last:
        return _("Only a single day can be a half day.")
    return None


def _error(message: str, **values: str) -> ParseError:
    return ParseError(f"{_(message, **values)} {_('Usage: {usage}', usage=_(LOG_ABSENCE_USAGE))}")


def _leading_kind(tokens: list[str]) -> tuple[AbsenceKind | None, int]:
    for size in range(min(_MAX_KIND_WORDS, len(tokens)), 0, -1):
        kind = kind_of(" ".join(tokens[:size]))
        if kind is not None:
            return kind, size
    return None, 0


def _trailing_half(tokens: list[str]) -> tuple[Half | None, list[str]]:
    if len(tokens) >= 2:
        phrase = normalise_day_word(" ".join(tokens[-2:]))
        if phrase in _HALF_PHRASES:
            return _HALF_PHRASES[phrase], tokens[:-2]
    word = normalise_day_word(tokens[-1])
    if word in _HALF_WORDS:
        return _HALF_WORDS[word], tokens[:-1]
    return None, tokens


def _days(tokens: list[str], today: date, language: str) -> tuple[date, date] | None:
    """One day, ``DAY-DAY`` in one token, or ``DAY <range word> DAY``."""
    whole = _day(" ".join(tokens), today, language)
    if whole is not None:
        return whole, whole
    for i, token in enumerate(tokens):
        if normalise_day_word(token) in _RANGE_WORDS and 0 < i < len(tokens) - 1:
            first = _day(" ".join(tokens[:i]), today, language)
            last = _day(" ".join(tokens[i + 1 :]), today, language)
            if first is not None and last is not None:
                return first, _after(first, last, tokens[i + 1 :])
    if len(tokens) == 1:
        token = tokens[0]
        for i, char in enumerate(token):
            if char in "-–" and 0 < i < len(token) - 1:
                first = _day(token[:i], today, language)
                last = _day(token[i + 1 :], today, language)
                if first is not None and last is not None:
                    return first, _after(first, last, [token[i + 1 :]])
    return None


def _after(first: date, last: date, typed: list[str]) -> date:
    """`28.12.-02.01.`: a last day without a year that lands before the first is in the next year."""
    if last < first and len(typed) == 1 and _DAY_MONTH.fullmatch(typed[0]):
        try:
            return last.replace(
                year=first.year + (1 if (last.month, last.day) < (first.month, first.day) else 0)
            )
        except ValueError:
            return last
    return last


def _day(text: str, today: date, language: str) -> date | None:
    """A day as `/log-hours` reads it, plus tomorrow, and `dd.mm.` as the nearest such day."""
    word = normalise_day_word(text)
    if not word:
        return None
    if word in _TOMORROW:
        return today + timedelta(days=1)
    if " " in word and word not in MULTI_WORD_DAYS:
        return None
    if _DAY_MONTH.fullmatch(word):
        return _nearest(text, today, language)
    return parse_date_token(text, today, language)


def _nearest(text: str, today: date, language: str) -> date | None:
    past = parse_date_token(text, today, language)
    if past is None:
        return None
    try:
        ahead = past.replace(year=past.year + 1)
    except ValueError:  # 29.02.: the next one is years away; the past one it is
        return past
    return ahead if (ahead - today) < (today - past) else past


# -- the day's norm ------------------------------------------------------------------------------


def daily_norm_minutes(
    hours_per_week: Decimal | None, employment_level: Decimal | None, fallback_hours: Decimal
) -> int:
    """A working day's norm in whole minutes: ``hours_per_week × employment_level / 100 / 5`` when
    bexio payroll knows both (and they are positive), else ``fallback_hours`` (the workspace's
    ``daily_norm_hours``). 42 h at 80 % → 6:43 h (403.2 minutes, rounded half up)."""
    if (
        hours_per_week is not None
        and employment_level is not None
        and hours_per_week > 0
        and employment_level > 0
    ):
        hours = hours_per_week * employment_level / Decimal(100) / WORKING_DAYS_PER_WEEK
    else:
        hours = fallback_hours
    return int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class AbsenceDay:
    """One absence as it touches one day: its kind, and which half (None: the whole day)."""

    kind: AbsenceKind
    half: Half | None


def is_full_day(absences: Iterable[AbsenceDay]) -> bool:
    """A whole-day absence — or both halves — makes the day no working day."""
    listed = list(absences)
    halves = {a.half for a in listed}
    return None in halves or {Half.MORNING, Half.AFTERNOON} <= halves


def expected_minutes(day: date, norm: int, absences: Iterable[AbsenceDay]) -> int:
    """What a person is expected to work on ``day``: nothing on Saturday, Sunday or a full-day
    absence; half the norm on a half-day absence; the norm otherwise. (Public holidays are not
    known here; a caller that knows them passes 0 as ``norm``.)"""
    listed = list(absences)
    if day.weekday() >= WORKING_DAYS_PER_WEEK or is_full_day(listed):
        return 0
    if listed:
        return norm // 2
    return norm


def working_days(first: date, last: date) -> int:
    """Monday to Friday between two days, both included."""
    return sum(
        1 for offset in range((last - first).days + 1) if (first + timedelta(days=offset)).weekday() < 5
    )
