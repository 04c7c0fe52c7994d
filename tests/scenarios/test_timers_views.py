"""Every timer and recents view in English, German, French and Italian passes the strict fake
Slack's Block Kit rules (button text ≤ 75, modal title ≤ 24, unique ids …), and the translated
ones carry no English sentence left over."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.views import hours_modal
from bot.views import timers as views
from bxhours.fakes import block_kit
from core.i18n import language_scope
from services.entry_outcomes import Choice, ChooseOne
from services.recents import RecentCombination
from services.time_entries import HoursRequest, StoredEntry
from services.timers import AlreadyRunning, Answered, NoTimer, Started, TimerView, TooShort

ZURICH = "Europe/Zurich"
LONG = "Projekt mit einem ausgesprochen langen Namen, der nicht in einen Knopf passt"
TIMER = TimerView(
    timer_id=7,
    project=LONG,
    activity="Umsetzung",
    note="",
    started_at=datetime(2026, 11, 23, 20, 0, tzinfo=UTC),
    local_start=datetime(2026, 11, 23, 21, 0, tzinfo=UTC),
    day=date(2026, 11, 23),
    running=True,
    project_id=1,
    activity_id=2,
)
RECENTS = [RecentCombination(n, f"{LONG} {n}", None, n, "Umsetzung", date(2026, 11, 23)) for n in range(1, 6)]
STORED = StoredEntry(
    1, 150, date(2026, 11, 23), LONG, "Umsetzung", True, Decimal(150), Decimal(375), False, None
)
ENGLISH = (
    "Timer started",
    "No timer",
    "already running",
    "How long",
    "running for 10 hours",
    "Nothing to log",
)


def _message(text: str, blocks: list[dict[str, Any]]) -> list[str]:
    return block_kit.message_problems({"text": text, "blocks": blocks})


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
def test_every_timer_view_is_accepted_by_slack(language: str) -> None:
    seal = lambda payload: "sealed-" + str(len(str(payload)))  # noqa: E731 - a stand-in seal
    with language_scope(language):
        running, idle = views.home_blocks(TIMER, [TIMER], RECENTS), views.home_blocks(None, [], RECENTS)
        for home in (running, idle):
            assert block_kit.view_problems({"type": "home", "blocks": home}) == []
        messages = [
            views.started(Started(TIMER)),
            views.already_running(AlreadyRunning(TIMER)),
            views.no_timer(NoTimer(question_waiting=True)),
            views.too_short(TooShort(TIMER)),
            views.question_message(TIMER),
            views.TimerMessages().warning(TIMER),
            views.TimerMessages().answered(TIMER, STORED),
            views.discarded(TIMER),
        ]
        for text, blocks in messages:
            assert _message(text, blocks) == [], text
        request = HoursRequest(1, date(2026, 11, 23), None, "", project_query="schulung")
        chosen = views.choose(
            ChooseOne(
                "project",
                "schulung",
                (Choice(1, "Schulung Basel"), Choice(2, "Schulung Bern")),
                True,
                request,
            ),
            seal=seal,
        )
        assert _message(chosen["text"], chosen["blocks"]) == []
        for view in (
            views.answer_modal(TIMER, ZURICH),
            views.answered_modal(Answered(TIMER, STORED)),
            views.start_modal((Choice(2, "Umsetzung"), Choice(3, "Meeting")), 2),
            views.start_modal((), None),
        ):
            assert block_kit.view_problems(view) == []
        form = hours_modal.build(
            hours_modal.HoursModal(
                day=date(2026, 11, 23),
                activities=(Choice(2, "Umsetzung"),),
                recents=tuple(RECENTS),
                recent_problem="Support alt is no longer active in bexio.",
                project_picked=True,
            )
        )
        assert block_kit.view_problems(form) == []
    if language != "en":
        shown = str([m[0] for m in messages]) + str(running) + str(idle)
        assert not [phrase for phrase in ENGLISH if phrase in shown], shown
