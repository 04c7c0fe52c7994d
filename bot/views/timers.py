"""Timers and recents as people see them (issue 17 §3–4): the App Home section, the replies of
`/log-hours start|stop|again`, the 10-hour warning, the midnight question and its form.

Every button names what it acts on by id — a timer id, or a recent ``"<project>:<activity>"`` pair
— and the handlers look it up again for the person who clicked; a pending start (which project did
you mean?) rides sealed (``bot.views.sealed``), like the choices of a typed line.
"""

from __future__ import annotations

from typing import Any

from bot.views import choices, entry_form, log_hours
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    escape,
    input_block,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from core.dates import format_day
from core.durations import format_duration
from core.i18n import _, ngettext
from core.timers import minutes_left_in_day
from services.entry_outcomes import Choice, ChooseOne, Invalid, Refusal
from services.recents import RecentCombination
from services.time_entries import HoursRequest, StoredEntry
from services.timers import (
    AlreadyRunning,
    Answered,
    Asked,
    NoTimer,
    Started,
    Stopped,
    TimerView,
    TooShort,
)

START_ACTION = "timer_start"
"""▶ on a recent combination (App Home): value ``"<project id>:<activity id>"``."""
STOP_ACTION = "timer_stop"
RECENT_LOG_ACTION = "recent_log"
"""“Log…” on a recent combination (App Home): the log form with it filled in."""
ANSWER_ACTION = "timer_answer"
"""“How long was it?” under the midnight question: value the timer id."""
DISCARD_ACTION = "timer_discard"
PICK_PROJECT_ACTION = "timer_pick_project"
PICK_ACTIVITY_ACTION = "timer_pick_activity"
PICK_ACTIONS = {"project": PICK_PROJECT_ACTION, "activity": PICK_ACTIVITY_ACTION}
ANSWER_CALLBACK_ID = "timer_answer_modal"
DURATION_BLOCK, DURATION_ACTION = "timer_duration", "timer_duration"
START_FORM_ACTION = "timer_start_form"
"""“▶ Start a timer…” in the App Home: a form for any project and activity."""
START_CALLBACK_ID = "timer_start_modal"
START_PROJECT_ACTION = "timer_start_project"
START_ACTIVITY_BLOCK, START_ACTIVITY_ACTION = "timer_activity", "timer_activity"
HOME_BLOCK = "home_timer"
MAX_HOME_QUESTIONS = 3


def _since(timer: TimerView) -> str:
    return _("{time} on {day}", time=timer.local_start.strftime("%H:%M"), day=format_day(timer.day))


# -- the App Home -------------------------------------------------------------------------------


def home_blocks(
    timer: TimerView | None, waiting: list[TimerView], recents: list[RecentCombination]
) -> list[Block]:
    """The running timer (with Stop), questions still open, and the recent combinations with ▶ and
    “Log…” — most recent first."""
    blocks: list[Block] = []
    if timer is not None:
        blocks.append(
            section(
                _(
                    "⏱ *Timer running* since {since}: *{label}*",
                    since=_since(timer),
                    label=escape(timer.label),
                ),
                block_id=HOME_BLOCK,
                accessory=button(_("■ Stop"), STOP_ACTION, str(timer.timer_id), style="danger"),
            )
        )
    else:
        blocks.append(
            section(
                _(
                    "⏱ *No timer running.* Start one on a recent combination below, or with "
                    "`/log-hours start PROJECT / ACTIVITY`."
                ),
                block_id=HOME_BLOCK,
                accessory=button(_("▶ Start a timer…"), START_FORM_ACTION, "open"),
            )
        )
    for question in waiting[:MAX_HOME_QUESTIONS]:
        blocks.append(
            section(
                _question_text(question),
                block_id=f"timer_question.{question.timer_id}",
                accessory=button(
                    _("How long was it?"), ANSWER_ACTION, str(question.timer_id), style="primary"
                ),
            )
        )
    if recents:
        blocks.append(context(_("*Recent* — what you logged in the last 7 days:")))
        for n, recent in enumerate(recents):
            blocks.append(
                actions(
                    button(f"▶ {recent.label}", START_ACTION, recent.value),
                    button(_("Log…"), RECENT_LOG_ACTION, recent.value),
                    block_id=f"recent.{n}",
                )
            )
    return blocks


# -- replies to `/log-hours start|stop` and the buttons ---------------------------------------------


def _stop_button(timer: TimerView) -> dict[str, Any]:
    return button(_("■ Stop"), STOP_ACTION, str(timer.timer_id), style="danger")


def started(outcome: Started) -> tuple[str, list[Block]]:
    timer = outcome.timer
    text = _(
        "⏱ Timer started at {time}: *{label}*. Stop it with `/log-hours stop` or in the App Home.",
        time=timer.local_start.strftime("%H:%M"),
        label=escape(timer.label),
    )
    return text, [section(text, accessory=_stop_button(timer))]


def already_running(outcome: AlreadyRunning) -> tuple[str, list[Block]]:
    timer = outcome.timer
    text = _(
        "A timer is already running since {since}: *{label}*. Stop it first — one timer runs at a time.",
        since=_since(timer),
        label=escape(timer.label),
    )
    return text, [section(text, accessory=_stop_button(timer))]


def no_timer(outcome: NoTimer) -> tuple[str, list[Block]]:
    text = _("No timer is running. Start one with `/log-hours start PROJECT / ACTIVITY` or in the App Home.")
    if outcome.question_waiting:
        text += " " + _("A timer that ran past midnight still waits for your answer in your direct messages.")
    return text, [section(text)]


def too_short(outcome: TooShort) -> tuple[str, list[Block]]:
    text = _(
        "The timer on *{label}* ran less than a minute, so nothing was logged.",
        label=escape(outcome.timer.label),
    )
    return text, [section(text)]


def asked(outcome: Asked) -> tuple[str, list[Block]]:
    return question_message(outcome.timer)


def stopped(outcome: Stopped, *, seal: choices.Seal, replace: bool = False) -> dict[str, Any]:
    """The confirmation with Undo; a refusal keeps the timer's minutes in “Open the form”."""
    if isinstance(outcome.outcome, Refusal) and not isinstance(outcome.outcome, Invalid):
        form = choices.form_button(log_hours.CHOICE_ACTIONS, seal, log_hours.request_to_dict(outcome.request))
        return choices.refusal(outcome.outcome, replace=replace, form=form)
    return log_hours.reply(outcome.outcome, seal=seal, replace=replace)


def choose(outcome: ChooseOne[HoursRequest], *, seal: choices.Seal, replace: bool = False) -> dict[str, Any]:
    """“Which project (activity) did you mean?” for a start: one sealed button per candidate."""
    if outcome.query and outcome.what == "project":
        question = _("Several projects match {typed} — which one?", typed=escape(f"“{outcome.query}”"))
    elif outcome.query:
        question = _("Several activities match {typed} — which one?", typed=escape(f"“{outcome.query}”"))
    elif outcome.subject:
        question = _("Which activity for *{subject}*?", subject=escape(outcome.subject))
    else:
        question = _("Which project?")
    request = log_hours.request_to_dict(outcome.request)
    buttons: list[dict[str, Any]] = []
    for choice in outcome.choices:
        value = choices.sealed(seal, {"pick": choice.id, "request": request})
        if value is None:
            break
        buttons.append(
            button(choice.label, choices.pick_action_id(PICK_ACTIONS[outcome.what], len(buttons)), value)
        )
    blocks: list[Block] = [section(question)]
    if buttons:
        blocks.append(actions(*buttons, block_id="timer_choices"))
    if outcome.more or not buttons:
        blocks.append(
            context(
                ngettext(
                    "Only the first {n} is shown — type more of the name.",
                    "Only the first {n} are shown — type more of the name.",
                    len(buttons),
                )
            )
        )
    return choices.reply(question, blocks, replace=replace)


# -- DMs ---------------------------------------------------------------------------------------------


def _question_text(timer: TimerView) -> str:
    return _(
        "⏱ Your timer on *{label}* started {since} and was still running at midnight, so it stopped "
        "there. How long did you really work on it that day?",
        label=escape(timer.label),
        since=_since(timer),
    )


def question_message(timer: TimerView) -> tuple[str, list[Block]]:
    text = _question_text(timer)
    return text, [
        section(text),
        actions(
            button(_("How long was it?"), ANSWER_ACTION, str(timer.timer_id), style="primary"),
            button(_("Nothing to log"), DISCARD_ACTION, str(timer.timer_id)),
            block_id="timer_question",
        ),
    ]


class TimerMessages:
    """The DMs ``services.timers`` sends, rendered in the current language."""

    def warning(self, timer: TimerView) -> tuple[str, list[Block]]:
        text = _(
            "⏱ Your timer on *{label}* has been running for 10 hours (since {since}). Still at it? "
            "If you forgot it, stop it now — you can correct the hours in your week afterwards.",
            label=escape(timer.label),
            since=_since(timer),
        )
        return text, [section(text, accessory=_stop_button(timer))]

    def question(self, timer: TimerView) -> tuple[str, list[Block]]:
        return question_message(timer)

    def answered(self, timer: TimerView, stored: StoredEntry) -> tuple[str, list[Block]]:
        line = log_hours.confirmation_line(stored)
        text = _("{line} — logged for your timer of {day}.", line=line, day=format_day(timer.day))
        return text, [section(escape(text))]


def discarded(timer: TimerView) -> tuple[str, list[Block]]:
    text = _(
        "Nothing was logged for your timer of {day} on *{label}*.",
        day=format_day(timer.day),
        label=escape(timer.label),
    )
    return text, [section(text)]


# -- the midnight question's form ------------------------------------------------------------------


def answer_modal(timer: TimerView, timezone: str) -> dict[str, Any]:
    most = minutes_left_in_day(timer.started_at, timezone)
    return modal(
        _("How long was it?"),
        [
            section(_("*{label}* — started {since}.", label=escape(timer.label), since=_since(timer))),
            text_input(
                DURATION_BLOCK,
                _("Duration"),
                action_id=DURATION_ACTION,
                placeholder=_("2h30, 1.5h, 90m or 1:30"),
                hint=_("At most {most} h fit before midnight.", most=format_duration(most)),
            ),
        ],
        callback_id=ANSWER_CALLBACK_ID,
        submit=_("Log"),
        private_metadata=str(timer.timer_id),
    )


def start_modal(activities: tuple[Choice, ...], activity_id: int | None) -> dict[str, Any]:
    """Any project (type-ahead) and activity, and a note: the timer starts when submitted."""
    options = [option(a.label, str(a.id)) for a in activities]
    initial = next((o for o in options if o["value"] == str(activity_id)), None)
    activity: Block = (
        input_block(
            START_ACTIVITY_BLOCK,
            _("Activity"),
            static_select(START_ACTIVITY_ACTION, options, placeholder=_("Pick an activity"), initial=initial),
        )
        if options
        else section(_("No active business activities are imported yet — run `/bx-sync` first."))
    )
    return modal(
        _("Start a timer"),
        [entry_form.project_block(START_PROJECT_ACTION, None), activity, entry_form.note_block("")],
        callback_id=START_CALLBACK_ID,
        submit=_("Start"),
    )


def start_errors(errors: dict[str, str]) -> dict[str, str]:
    """Field errors of the start form by block (project, activity)."""
    blocks = {"project": entry_form.PROJECT_BLOCK, "activity": START_ACTIVITY_BLOCK}
    return {blocks[field]: message[:2000] for field, message in errors.items() if field in blocks}


def answered_modal(outcome: Answered) -> dict[str, Any]:
    line = log_hours.confirmation_line(outcome.stored)
    return modal(_("Hours logged"), [section(escape(line))], callback_id=ANSWER_CALLBACK_ID + "_done")
