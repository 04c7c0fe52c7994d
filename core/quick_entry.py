"""The one-line commands `/log-hours` and `/log-expense`, parsed into plain inputs.

    /log-hours   DURATION [nb] [DATE] PROJECT [/ ACTIVITY] [: NOTE]
    /log-expense AMOUNT [DATE] PROJECT [/ CATEGORY] [: NOTE]

Parsing never raises: a handler gets either an input to act on or a `ParseError` whose message
it shows as it is. Resolving PROJECT/ACTIVITY against real data is the service's job
(`core.matching`); this module only finds where each part begins and ends.

Names may be quoted ("…", “…”, „…“, «…») so they can contain ` / ` and `:`; Slack's
`<…>` control sequences are opaque, so a link in a note never splits it.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.dates import MULTI_WORD_DAYS, DateError, normalise_day_word, parse_date_token
from core.durations import DurationError, parse_duration
from core.entry_rules import MAX_NOTE_LENGTH as MAX_NOTE_LENGTH
from core.entry_rules import NOTE_TOO_LONG
from core.errors import quote_input
from core.i18n import N_, _
from core.money import AmountError, parse_amount
from core.slack_text import decode_slack_text

LOG_HOURS_USAGE = N_(
    "`/log-hours DURATION [nb] [DATE] PROJECT [/ ACTIVITY] [: NOTE]`, "
    "e.g. `/log-hours 2h30 Website Relaunch / Umsetzung: checkout bug`"
)
LOG_EXPENSE_USAGE = N_(
    "`/log-expense AMOUNT [DATE] PROJECT [/ CATEGORY] [: NOTE]`, "
    "e.g. `/log-expense 84.50 yesterday Website Relaunch / Reisekosten: train Bern–Zürich`"
)
NON_BILLABLE_FLAG = "nb"
HOME_CURRENCY = "CHF"
_MAX_DURATION_TOKENS = 4  # "2 h 30 min"
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“", "«": "»"}  # opening → closing
# Codes people actually type on receipts; a three-letter project word that is not one of these
# stays part of the project name.
_FOREIGN_CURRENCIES = frozenset(
    {
        *("EUR", "USD", "GBP", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"),
        *("RON", "BGN", "HRK", "ISK", "TRY", "CNY", "HKD", "SGD", "INR", "THB", "AED", "ZAR", "BRL", "MXN"),
    }
)
_CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
_AMOUNT_WITH_CURRENCY = re.compile(
    r"(?P<pre>[A-Za-z]{3}|[€$£¥])?(?P<amount>[0-9][0-9'’.,\-–]*)(?P<post>[A-Za-z]{3}|[€$£¥])?",
    re.ASCII,
)
_TOKEN = re.compile(r"\S+")
_MISSING_ACTIVITY = N_("The activity after “/” is missing. Usage: {usage}")
_MISSING_CATEGORY = N_("The category after “/” is missing. Usage: {usage}")


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why a command line could not be read — a result, not an exception, so handlers show it."""

    message: str


@dataclass(frozen=True, slots=True)
class LogHoursInput:
    minutes: int
    billable: bool | None
    """False when `nb` was typed; None means "as the activity's default"."""
    day: date
    project_query: str
    activity_query: str | None
    note: str


@dataclass(frozen=True, slots=True)
class LogExpenseInput:
    amount: Decimal
    day: date
    project_query: str
    category_query: str | None
    note: str


@dataclass(frozen=True, slots=True)
class _Tail:
    project: str
    detail: str | None
    note: str


class _Refused(Exception):
    """Internal shortcut out of nested parsing; always turned into a ParseError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_future(day: date, today: date) -> bool:
    """Whether an entry's day lies after today (refused unless `allow_future_dates` is on)."""
    return day > today


def parse_log_hours(text: str, today: date, language: str = "de") -> LogHoursInput | ParseError:
    """Read `/log-hours` text; see the module docstring for the grammar. Day words of every
    language are read right after the duration; ``language`` decides the few weekday words two
    languages read differently."""
    try:
        tokens = list(_TOKEN.finditer(text))
        if not tokens:
            return ParseError(_("Nothing to log. Usage: {usage}", usage=_(LOG_HOURS_USAGE)))
        minutes, i = _leading_duration(text, tokens)
        billable: bool | None = None
        day: date | None = None
        # `nb` belongs right after the duration, but "2h heute nb" means the same to anyone.
        for _attempt in range(2):
            if i >= len(tokens):
                break
            word = tokens[i].group()
            if billable is None and word.casefold() == NON_BILLABLE_FLAG:
                billable = False
            elif day is None and (found := _day_at(tokens, i, today, language)) is not None:
                day, used = found
                i += used
                continue
            else:
                break
            i += 1
        tail = _tail(_rest(text, tokens, i), LOG_HOURS_USAGE, _MISSING_ACTIVITY)
    except _Refused as refused:
        return ParseError(refused.message)
    return LogHoursInput(
        minutes=minutes,
        billable=billable,
        day=today if day is None else day,
        project_query=tail.project,
        activity_query=tail.detail,
        note=tail.note,
    )


def parse_log_expense(text: str, today: date, language: str = "de") -> LogExpenseInput | ParseError:
    """Read `/log-expense` text; the amount may carry `CHF` before or after it."""
    try:
        tokens = list(_TOKEN.finditer(text))
        if not tokens:
            return ParseError(_("Nothing to log. Usage: {usage}", usage=_(LOG_EXPENSE_USAGE)))
        amount, i = _leading_amount(tokens)
        day = None
        if i < len(tokens) and (found := _day_at(tokens, i, today, language)) is not None:
            day, used = found
            i += used
        tail = _tail(_rest(text, tokens, i), LOG_EXPENSE_USAGE, _MISSING_CATEGORY)
    except _Refused as refused:
        return ParseError(refused.message)
    return LogExpenseInput(
        amount=amount,
        day=today if day is None else day,
        project_query=tail.project,
        category_query=tail.detail,
        note=tail.note,
    )


def _leading_duration(text: str, tokens: list[re.Match[str]]) -> tuple[int, int]:
    """The longest run of leading tokens that reads as one duration ("2h 30m" is two tokens)."""
    for count in range(min(_MAX_DURATION_TOKENS, len(tokens)), 1, -1):
        try:
            return parse_duration(text[tokens[0].start() : tokens[count - 1].end()]), count
        except DurationError:
            continue
    try:
        return parse_duration(tokens[0].group()), 1
    except DurationError as exc:
        raise _Refused(_("{problem} Usage: {usage}", problem=exc.message, usage=_(LOG_HOURS_USAGE))) from None


def _leading_amount(tokens: list[re.Match[str]]) -> tuple[Decimal, int]:
    """The amount and the index after it; `CHF 84.50`, `84.50 CHF`, `CHF84.50` and `84.50CHF` all
    read as 84.50, and any other currency is refused rather than silently taken as francs."""
    words = [t.group() for t in tokens]
    currency = _currency(words[0])
    i = 0 if currency is None else 1
    if i >= len(words):
        raise _Refused(_("Which amount? Usage: {usage}", usage=_(LOG_EXPENSE_USAGE)))
    amount_text = words[i]
    i += 1
    if currency is None:
        m = _AMOUNT_WITH_CURRENCY.fullmatch(amount_text)
        if m is not None and (m["pre"] is None) != (m["post"] is None):
            affix = _currency(m["pre"] or m["post"])
            if affix is not None:
                currency, amount_text = affix, m["amount"]
    if currency is None and i < len(words) and (after := _currency(words[i])) is not None:
        currency, i = after, i + 1
    if currency is not None and currency != HOME_CURRENCY:
        raise _Refused(
            _(
                "Only {home} for now — {currency} amounts cannot be logged yet. "
                "Enter the receipt's amount in {home}.",
                home=HOME_CURRENCY,
                currency=currency,
            )
        )
    try:
        return parse_amount(amount_text), i
    except AmountError as exc:
        raise _Refused(
            _("{problem} Usage: {usage}", problem=exc.message, usage=_(LOG_EXPENSE_USAGE))
        ) from None


def _currency(word: str) -> str | None:
    if word in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[word]
    code = word.upper()
    if code == HOME_CURRENCY or code in _FOREIGN_CURRENCIES:
        return code
    return None


def _date(word: str, today: date, language: str = "de") -> date | None:
    try:
        return parse_date_token(word, today, language)
    except DateError as exc:
        raise _Refused(exc.message) from None


def _day_at(tokens: list[re.Match[str]], i: int, today: date, language: str) -> tuple[date, int] | None:
    """The day the words at ``i`` name, and how many words that took ("l'altro ieri" is two)."""
    if i + 1 < len(tokens):
        pair = normalise_day_word(f"{tokens[i].group()} {tokens[i + 1].group()}")
        if pair in MULTI_WORD_DAYS:
            found = _date(pair, today, language)
            if found is not None:
                return found, 2
    found = _date(tokens[i].group(), today, language)
    return (found, 1) if found is not None else None


def _rest(text: str, tokens: list[re.Match[str]], i: int) -> str:
    return text[tokens[i].start() :] if i < len(tokens) else ""


def _tail(rest: str, usage: str, missing_detail: str) -> _Tail:
    """Split `PROJECT [/ DETAIL] [: NOTE]`: the note starts at the first `:` outside quotes."""
    project, pos, separator = _name(rest, 0, allow_slash=True)
    if not project:
        raise _Refused(_("Which project? Usage: {usage}", usage=_(usage)))
    detail: str | None = None
    if separator == "/":
        detail, pos, separator = _name(rest, pos, allow_slash=False)
        if not detail:
            raise _Refused(_(missing_detail, usage=_(usage)))
    note = ""
    if separator == ":":
        note = decode_slack_text(rest[pos:]).strip()
        if len(note) > MAX_NOTE_LENGTH:
            raise _Refused(_(NOTE_TOO_LONG, length=len(note), limit=MAX_NOTE_LENGTH))
    return _Tail(project=project, detail=detail, note=note)


def _name(text: str, pos: int, *, allow_slash: bool) -> tuple[str, int, str]:
    """Read one name from `pos`; returns (decoded name, position after the separator, separator)
    where the separator is "/", ":" or "" at the end of the text."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos < len(text) and text[pos] in _QUOTES:
        return _quoted_name(text, pos, allow_slash=allow_slash)
    start = pos
    while pos < len(text):
        char = text[pos]
        if char == "<":
            closing = text.find(">", pos)
            pos = len(text) if closing < 0 else closing + 1
            continue
        if char == ":":
            return _clean(text[start:pos]), pos + 1, ":"
        if allow_slash and char == "/" and _spaced(text, start, pos):
            return _clean(text[start:pos]), pos + 1, "/"
        pos += 1
    return _clean(text[start:]), pos, ""


def _quoted_name(text: str, pos: int, *, allow_slash: bool) -> tuple[str, int, str]:
    closing = text.find(_QUOTES[text[pos]], pos + 1)
    if closing < 0:
        raise _Refused(_("The closing quote after {typed} is missing.", typed=quote_input(text[pos:])))
    name = _clean(text[pos + 1 : closing])
    pos = closing + 1
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        return name, pos, ""
    if text[pos] == ":" or (allow_slash and text[pos] == "/"):
        return name, pos + 1, text[pos]
    expected = (
        _("After the quoted name {name} expected “/” or “:”, not {typed}.")
        if allow_slash
        else _("After the quoted name {name} expected “:”, not {typed}.")
    )
    raise _Refused(expected.format(name=quote_input(name), typed=quote_input(text[pos:])))


def _spaced(text: str, start: int, pos: int) -> bool:
    """A `/` separates only with whitespace around it, so "A/B Test" stays one project name."""
    before = pos == start or text[pos - 1].isspace()
    after = pos + 1 >= len(text) or text[pos + 1].isspace()
    return before and after


def _clean(raw: str) -> str:
    """A name as the matcher should see it: Slack escapes undone, whitespace collapsed."""
    return " ".join(decode_slack_text(raw).split())
