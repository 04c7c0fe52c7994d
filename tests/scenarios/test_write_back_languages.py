"""The write-back's texts in German, French and Italian (issue 16, issue 14 §6): the remarks on an
entry, the back-fill offer, its modal, progress and result, the `/bx-sync status` line — each in
the scope's language, with Swiss formats, and accepted by the strict Block Kit rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.views import bx_sync
from bot.views import week as week_view
from bot.views import write_back as views
from bxhours.fakes import block_kit
from core.i18n import language_scope
from services.week import WeekDay, WeekItem, WeekView
from services.writeback import WriteBackCounts
from services.writeback.remarks import FAILED, NOT_IN_BEXIO, WRITTEN, remark
from services.writeback.service import BackfillProgress

MONDAY = date(2026, 11, 23)
PROGRESS = BackfillProgress(
    date(2026, 11, 1), MONDAY, total=1250, done=1250, written=1200, not_in_bexio=40, failed=10
)
EXPECTED = {
    "en": ("changed in bexio: 2:15 h", "not in bexio: its person has no bexio user", "Write earlier hours"),
    "de": (
        "in bexio geändert: 2:15 h",
        "nicht in bexio: seine Person hat keinen bexio-Benutzer",
        "Frühere Stunden",
    ),
    "fr": (
        "modifiée dans bexio : 2:15 h",
        "pas dans bexio : sa personne n'a pas d'utilisateur bexio",
        "Heures antérieures",
    ),
    "it": (
        "modificata in bexio: 2:15 h",
        "non in bexio: la sua persona non ha un utente bexio",
        "Ore precedenti",
    ),
}


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
def test_remarks_offer_modal_progress_and_status_speak_the_language(language: str) -> None:
    changed, not_in_bexio, title = EXPECTED[language]
    with language_scope(language):
        assert remark(WRITTEN, None, 135) == changed
        assert remark(NOT_IN_BEXIO, "no_bexio_user", None) == not_in_bexio
        assert remark(FAILED, "user_id: Diese Eingabe ist nicht korrekt.", None) is not None
        assert remark(WRITTEN, None, None) is None

        modal = views.backfill_modal(MONDAY)
        assert modal["title"]["text"] == title
        assert block_kit.view_problems(modal) == []
        assert block_kit.view_problems(views.requested(date(2026, 11, 1), MONDAY)) == []
        for kind in ("offer", "progress", "finished"):
            text, blocks = (
                views.SlackWriteBackMessages().offer()
                if kind == "offer"
                else getattr(views.SlackWriteBackMessages(), kind)(PROGRESS)
            )
            assert block_kit.message_problems({"text": text, "blocks": blocks}) == [], kind
        _text, finished = views.SlackWriteBackMessages().finished(PROGRESS)
        shown = str(finished)
        assert "1'200" in shown and "1'250" in shown and "01.11.2026" in shown and "23.11.2026" in shown

        errors = views.period_errors(MONDAY, date(2026, 11, 1), MONDAY)
        assert set(errors) == {views.FROM_BLOCK}

        line = bx_sync.write_back_line(
            WriteBackCounts(True, written=6188, pending=3, failed=1, not_in_bexio=2)
        )
        assert "6'188" in line

        item = WeekItem("time", 1, MONDAY, "Website", "Umsetzung", 150, None, True, "", None, bexio=changed)
        blocks = week_view.blocks(_week([item]), budget=20)
        assert changed in str(blocks)

    if language != "en":
        with language_scope("en"):
            english = (
                views.SlackWriteBackMessages().offer()[0],
                bx_sync.write_back_line(WriteBackCounts(False)),
            )
        with language_scope(language):
            translated = (
                views.SlackWriteBackMessages().offer()[0],
                bx_sync.write_back_line(WriteBackCounts(False)),
            )
        assert all(a != b for a, b in zip(english, translated, strict=True))


def test_german_uses_swiss_spelling() -> None:
    with language_scope("de"):
        texts = [views.SlackWriteBackMessages().offer()[0], *views.period_errors(None, None, MONDAY).values()]
        texts.append(views.SlackWriteBackMessages().finished(PROGRESS)[0])
    assert not any("ß" in text for text in texts)


def _week(items: list[WeekItem]) -> WeekView:
    days = tuple(
        WeekDay(
            day=MONDAY + timedelta(days=offset),
            items=tuple(i for i in items if i.day == MONDAY + timedelta(days=offset)),
        )
        for offset in range(7)
    )
    return WeekView(monday=MONDAY, today=MONDAY, days=days)
