"""The missing-hours reminder DM (issue 17 §1) and the App Home's reminder time select.

A button carries only ``<reminder id>.<index>``: what the index means (a project and activity) is
kept in the reminder's row on the server, and a click is checked against it and against who clicks
(``services.reminders``). Buttons of one actions block need distinct action ids, so each offered
combination has its own ``reminder_log1.<n>`` / ``reminder_log2.<n>`` / ``reminder_other.<n>``.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from bot.views.blocks import Block, actions, button, context, escape, option, section, static_select
from bot.views.choices import pick_action_id, pick_pattern
from bot.views.payload import PayloadError, record_id
from core.dates import format_day
from core.durations import format_duration
from core.i18n import N_, _
from services.reminders import COVERED, DAY_OFF, MAX_OFFERS, SNOOZED, ReminderView

LOG_ONE = "reminder_log1"
LOG_TWO = "reminder_log2"
OTHER = "reminder_other"
MINUTES = {LOG_ONE: 60, LOG_TWO: 120}
LOG_ACTIONS = tuple(pick_action_id(stem, n) for stem in (LOG_ONE, LOG_TWO) for n in range(MAX_OFFERS))
OTHER_ACTIONS = tuple(pick_action_id(OTHER, n) for n in range(MAX_OFFERS))
LOG_PATTERN = re.compile(rf"^(?:{LOG_ONE}|{LOG_TWO})\.\d+$")
OTHER_PATTERN = pick_pattern(OTHER)
OPEN_FORM_ACTION = "reminder_form"
SNOOZE_ACTION = "reminder_snooze"
DAY_OFF_ACTION = "reminder_day_off"

HOME_ACTION = "home_reminder"
HOME_BLOCK = "home_reminder"
OFF = "off"
HOME_TIMES = tuple(time(h, m) for h in range(15, 20) for m in (0, 30))
"""The times the App Home offers (15:00 … 19:30); a time chosen earlier stays offered."""
DAMAGED = N_("That reminder button is damaged, so nothing was changed.")
DAMAGED_TIME = N_("That reminder time is not one bxhours offers, so nothing was changed.")


def _duration(minutes: int) -> str:
    return f"{format_duration(minutes)} h"


class SlackReminderMessages:
    """``services.reminders.ReminderMessages`` in Block Kit."""

    def reminder(self, view: ReminderView) -> tuple[str, list[Block]]:
        return render(view)


def render(view: ReminderView) -> tuple[str, list[Block]]:
    day = format_day(view.day)
    if view.state == COVERED:
        text = _("✓ {duration} logged on {day}", duration=_duration(view.logged_minutes), day=day)
        return text, [section(text, block_id="reminder")]
    if view.state == DAY_OFF:
        text = _("🌴 {day} is logged as a day off.", day=day)
        return text, [section(text, block_id="reminder")]
    headline = _(
        "*{duration} logged on {day}* — at least {minimum} are expected on a working day.",
        duration=_duration(view.logged_minutes),
        day=day,
        minimum=_duration(view.min_minutes),
    )
    text = _("Hours missing: {duration} logged on {day}", duration=_duration(view.logged_minutes), day=day)
    blocks: list[Block] = [section(headline, block_id="reminder")]
    if view.extra_day is not None:
        blocks.append(
            section(
                _(
                    "{day} is still short too: {duration} logged.",
                    day=format_day(view.extra_day),
                    duration=_duration(view.extra_minutes),
                ),
                block_id="reminder_extra",
            )
        )
    if view.state == SNOOZED:
        blocks.append(
            context(_("⏰ Snoozed — I will remind you again at {time}.", time=view.snoozed_until or "?"))
        )
        return text, blocks
    ref = str(view.nudge_id)
    if view.offers:
        blocks.append(context(_("Log one of your recent combinations for {day}:", day=day)))
    for index, offer in enumerate(view.offers[:MAX_OFFERS]):
        value = f"{ref}.{index}"
        blocks.append(section(f"*{escape(offer.label)}*", block_id=f"reminder_offer_{index}"))
        blocks.append(
            actions(
                button(_("1 h"), pick_action_id(LOG_ONE, index), value, style="primary"),
                button(_("2 h"), pick_action_id(LOG_TWO, index), value),
                button(_("Other…"), pick_action_id(OTHER, index), value),
                block_id=f"reminder_log_{index}",
            )
        )
    more = [button(_("Snooze 1 h"), SNOOZE_ACTION, ref), button(_("Day off"), DAY_OFF_ACTION, ref)]
    if not view.offers:
        more.insert(0, button(_("Log hours…"), OPEN_FORM_ACTION, ref, style="primary"))
    blocks.append(actions(*more, block_id="reminder_more"))
    blocks.append(context(_("Change the time or turn reminders off in the App Home.")))
    return text, blocks


def parse_value(value: str, *, with_index: bool) -> tuple[int, int | None]:
    """``"12.1"`` → (12, 1); ``"12"`` → (12, None). Anything else is a damaged button."""
    head, dot, tail = value.partition(".")
    nudge_id, index = record_id(head), record_id(tail) if dot else None
    if nudge_id is None or with_index != bool(dot) or (dot and (index is None or index >= MAX_OFFERS)):
        raise PayloadError(_(DAMAGED), f"a reminder button value {value[:40]!r}")
    return nudge_id, index


def home_block(when: time, opted_out: bool) -> Block:
    """ "Reminders": Off or the time of day (their Slack time zone) for the missing-hours DM."""
    times = sorted({*HOME_TIMES, when})
    choices = [option(_("Off"), OFF), *(option(f"{t:%H:%M}", f"{t:%H:%M}") for t in times)]
    wanted = OFF if opted_out else f"{when:%H:%M}"
    initial = next(o for o in choices if o["value"] == wanted)
    select = static_select(HOME_ACTION, choices, placeholder=_("Reminder"), initial=initial)
    return section(
        _("*Reminders* — a DM at this time on working days when you logged too few hours."),
        block_id=HOME_BLOCK,
        accessory=select,
    )


def home_value(value: str, current: time) -> time | None:
    """The select's value as a time, None for Off; ``PayloadError`` for anything the select did
    not offer this person (the offered times and their own)."""
    if value == OFF:
        return None
    for offered in (*HOME_TIMES, current):
        if value == f"{offered:%H:%M}":
            return offered
    raise PayloadError(_(DAMAGED_TIME), f"a reminder time {value[:40]!r}")


def add_to_home(view: dict[str, Any], when: time, opted_out: bool) -> None:
    """Put the reminder select under the language select (or at the end)."""
    blocks: list[Block] = view["blocks"]
    at = next((i + 1 for i, b in enumerate(blocks) if b.get("block_id") == "home_language"), len(blocks))
    blocks.insert(at, home_block(when, opted_out))
    del blocks[100:]
