"""The rules of timers (issue 17 §4), apart from where they are stored and how they are shown.

A timer runs from the instant it was started; stopping it logs the real minutes on the company's
calendar day it started on (rounding to the invoice's step stays what ``time_rounding`` does when
invoicing). A timer never spans days: one still running when that day ends asks how long the work
really was instead of logging the night. After ``WARN_AFTER`` a running timer warns once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.clock import to_local, zone
from core.durations import format_duration
from core.i18n import N_, _
from core.quick_entry import ParseError, _Refused, _tail

WARN_AFTER = timedelta(hours=10)
"""A timer running this long is probably forgotten: the person gets one DM."""
TIMER_USAGE = N_(
    "`/log-hours start PROJECT [/ ACTIVITY] [: NOTE]`, e.g. `/log-hours start Website Relaunch / Umsetzung`"
)
_MISSING_ACTIVITY = N_("The activity after “/” is missing. Usage: {usage}")


@dataclass(frozen=True, slots=True)
class TimerStartInput:
    """What `/log-hours start …` names: a project, perhaps an activity and a note."""

    project_query: str
    activity_query: str | None
    note: str


def parse_timer_start(text: str) -> TimerStartInput | ParseError:
    """Read `PROJECT [/ ACTIVITY] [: NOTE]` after `start`, with the quoting rules of a log line
    (``core.quick_entry``), so a name reads the same whether it is logged or timed."""
    if not text.strip():
        return ParseError(_("Which project? Usage: {usage}", usage=_(TIMER_USAGE)))
    try:
        tail = _tail(text, TIMER_USAGE, _MISSING_ACTIVITY)
    except _Refused as refused:
        return ParseError(refused.message)
    return TimerStartInput(project_query=tail.project, activity_query=tail.detail, note=tail.note)


def local_day(instant: datetime, tz: str) -> date:
    """The company's calendar day of an instant."""
    return to_local(instant, tz).date()


def day_end(day: date, tz: str) -> datetime:
    """The instant ``day`` ends in the company's zone (the next midnight), in UTC; daylight saving
    moves 02:00, never midnight, in the zones bxhours serves — ``zoneinfo`` handles any other."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz)).astimezone(UTC)


def elapsed_minutes(started_at: datetime, now: datetime) -> int:
    """Whole minutes between start and now, to the nearest minute (never negative)."""
    seconds = max(0.0, (now - started_at).total_seconds())
    return int((seconds + 30) // 60)


def past_midnight(started_at: datetime, now: datetime, tz: str) -> bool:
    """Whether the day the timer started on has ended: then it asks instead of logging."""
    return local_day(now, tz) > local_day(started_at, tz)


def minutes_left_in_day(started_at: datetime, tz: str) -> int:
    """From the start to the end of its day: the most a timer of that day can have run."""
    return elapsed_minutes(started_at, day_end(local_day(started_at, tz), tz))


@dataclass(frozen=True, slots=True)
class LogMinutes:
    minutes: int


@dataclass(frozen=True, slots=True)
class AskHowLong:
    """The day ended while it ran: the person says how long the work really was."""


@dataclass(frozen=True, slots=True)
class TooShort:
    """Stopped before a whole minute: nothing to log."""


StopDecision = LogMinutes | AskHowLong | TooShort


def on_stop(started_at: datetime, now: datetime, tz: str) -> StopDecision:
    """What stopping a timer does: log its real minutes, ask (past midnight), or log nothing."""
    if past_midnight(started_at, now, tz):
        return AskHowLong()
    minutes = elapsed_minutes(started_at, now)
    return LogMinutes(minutes) if minutes >= 1 else TooShort()


def answer_problem(minutes: int, started_at: datetime, tz: str) -> str | None:
    """The answer to "how long was it really?" fits between the start and the end of that day."""
    most = minutes_left_in_day(started_at, tz)
    if minutes > most:
        return _(
            "The timer started at {start} — at most {most} h fit before midnight.",
            start=to_local(started_at, tz).strftime("%H:%M"),
            most=format_duration(most),
        )
    return None
