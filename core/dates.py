"""Calendar days as people type them in a Swiss team, and the few date facts invoicing needs.

A token is a date only when it has exactly one of the documented forms, so that project names
are never swallowed by accident; a token that has a date's form but no such day
(`31.02.2026`) is an error rather than a project name.
"""

import re
from datetime import date, datetime, timedelta

from core.errors import DomainError, quote_input
from core.i18n import N_, SOURCE_LANGUAGE, _, current_language

WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Language = str
"""A two-letter language code: de, fr, it or en."""
LANGUAGES: tuple[Language, ...] = ("de", "fr", "it", "en")


def _days(*names: str) -> dict[str, int]:
    return {name: i for i, name in enumerate(names)}


# Every language's weekday abbreviations, read by everyone whatever their language (issue 14 §4):
# two- and three-letter forms (no German three-letter ones: "mit", "die" are words). Full names
# ("Montag", "lundi") stay words: they begin project names more often than people type them as days. Two short forms mean different days in different
# languages — German "Di" (Dienstag) is French "di" (dimanche), German "Do" (Donnerstag) is Italian
# "do" (domenica) — so those are read in the person's language, German when it is another one.
_WEEKDAY_WORDS: dict[Language, dict[str, int]] = {
    "en": {
        **_days("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    },
    "de": {
        **_days("mo", "di", "mi", "do", "fr", "sa", "so"),
    },
    "fr": {
        **_days("lu", "ma", "me", "je", "ve", "sa", "di"),
        **_days("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
    },
    "it": {
        **_days("lu", "ma", "me", "gi", "ve", "sa", "do"),
        **_days("lun", "mar", "mer", "gio", "ven", "sab", "dom"),
    },
}
_WEEKDAY_FALLBACK: Language = "de"
"""The team's language decides the words two languages read differently; German otherwise."""

# Relative days, in every language: days before today. Apostrophes may be ' or ’ (normalised).
_RELATIVE_DAYS: dict[str, int] = {
    **dict.fromkeys(("today", "heute", "aujourd'hui", "oggi"), 0),
    **dict.fromkeys(("yesterday", "gestern", "hier", "ieri"), 1),
    **dict.fromkeys(("vorgestern", "avant-hier", "l'altro ieri", "altroieri", "l'altroieri"), 2),
}
MULTI_WORD_DAYS: frozenset[str] = frozenset(word for word in _RELATIVE_DAYS if " " in word)
"""Day words of more than one word ("l'altro ieri"): the parser tries them on two tokens."""
_MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)

_ISO = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})", re.ASCII)
_SWISS = re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})?", re.ASCII)
_NOT_A_DATE = N_("{typed} is not a valid date.")
_LEAP_SEARCH_YEARS = 8
"""Years to look back for a day-month without year: 29.02. can be up to 8 years away (1896→1904)."""


class DateError(DomainError):
    """A token that looks like a date but is not a real day."""


def normalise_day_word(token: str) -> str:
    """Case, the typographic apostrophe, and the surrounding blanks do not matter in day words."""
    return " ".join(token.replace("’", "'").replace("`", "'").casefold().split())


def weekday_of(word: str, language: Language = _WEEKDAY_FALLBACK) -> int | None:
    """Monday=0 … Sunday=6 for a weekday word of any language; the person's language decides a
    word that two languages read differently (German otherwise)."""
    own = _WEEKDAY_WORDS.get(language, {})
    if word in own:
        return own[word]
    fallback = _WEEKDAY_WORDS[_WEEKDAY_FALLBACK]
    if word in fallback:
        return fallback[word]
    for names in _WEEKDAY_WORDS.values():
        if word in names:
            return names[word]
    return None


def parse_date_token(token: str, today: date, language: Language = _WEEKDAY_FALLBACK) -> date | None:
    """The day a token names, None when the token is not a date at all (it is then, say, part
    of a project name), `DateError` when it has a date's form but names no real day.

    Day words of all four languages are read (`gestern`, `hier`, `ieri`, `yesterday`, `Mo`, `lun`,
    `jeudi` …); a weekday is the most recent such day, today included."""
    word = normalise_day_word(token)
    if word in _RELATIVE_DAYS:
        return today - timedelta(days=_RELATIVE_DAYS[word])
    weekday = weekday_of(word, language)
    if weekday is not None:
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    if m := _ISO.fullmatch(word):
        return _day(token, int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _SWISS.fullmatch(word):
        day, month = int(m["d"]), int(m["m"])
        if m["y"] is not None:
            return _day(token, int(m["y"]), month, day)
        return _most_recent(token, month, day, today)
    return None


def parse_iso_date(text: str) -> date:
    """`2026-11-20` and nothing else (settings and command-line options)."""
    raw = text.strip()
    m = _ISO.fullmatch(raw)
    if m is None:
        raise DateError(
            _("{typed} is not a date — write it as YYYY-MM-DD, e.g. 2026-11-20.", typed=quote_input(raw))
        )
    return _day(raw, int(m["y"]), int(m["m"]), int(m["d"]))


def format_day(d: date) -> str:
    """`Mon 23.11.` in English (fixed names, not the server locale's); in the reader's language
    otherwise, with Swiss CLDR names: `Mo 23.11.`, `lun. 23.11.`, `lun 23.11.` (issue 14 §3)."""
    language = current_language.get()
    if language == SOURCE_LANGUAGE:
        weekday = WEEKDAY_ABBREVIATIONS[d.weekday()]
    else:
        from babel.dates import get_day_names

        weekday = str(
            get_day_names("abbreviated", context="stand-alone", locale=f"{language}_CH")[d.weekday()]
        )
    return f"{weekday} {d.day:02d}.{d.month:02d}."


def format_date(d: date) -> str:
    """`05.12.2026`: a date standing alone in what people read, in every language (issue 14 §3 —
    bexio's Swiss convention, not Babel's locale default; by hand, as strftime is locale-bound)."""
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


def format_date_time(moment: datetime) -> str:
    """`05.12.2026 14:30` for a local date and time (the caller converts to the company's zone)."""
    return f"{format_date(moment.date())} {moment.hour:02d}:{moment.minute:02d}"


def week_bounds(d: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week containing `d`."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def end_of_last_month(today: date) -> date:
    """The default end of an invoicing period: everything up to last month's last day."""
    return today.replace(day=1) - timedelta(days=1)


def month_name(month: int, language: str) -> str:
    """The month's name in a language as its readers write it in running text (Babel's CLDR data:
    "November", "novembre", "novembre", "November")."""
    from babel.dates import get_month_names

    if not 1 <= month <= 12:
        raise ValueError(f"No month {month}")
    return str(get_month_names("wide", context="format", locale=language)[month])


def month_name_de(month: int) -> str:
    """German month name for invoice titles ("Leistungen März 2026")."""
    if not 1 <= month <= 12:
        raise ValueError(f"No month {month}")
    return _MONTHS_DE[month - 1]


def _day(token: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(_(_NOT_A_DATE, typed=quote_input(token))) from None


def _most_recent(token: str, month: int, day: int, today: date) -> date:
    """The latest `day.month.` on or before today: in January, `20.11.` is last November."""
    for year in range(today.year, today.year - _LEAP_SEARCH_YEARS - 1, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise DateError(_(_NOT_A_DATE, typed=quote_input(token)))
