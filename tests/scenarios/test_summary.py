"""Weekly summaries (issue 17 §5, §6) with a controlled clock: the figures equal the week view's, the
chart is a valid PNG and goes into the DM, admins get the team summary, the scheduler sends each
person theirs once from Monday 08:00 on their own clock."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from matplotlib import image

from bot.views import summary as summary_view
from bxhours.fakes.stack import ANDREA, MIA, NOAH
from core.i18n import language_scope
from services.charts import png_size
from services.summaries import SummaryService, chart_of
from storage.db import Database
from tests.factories import LoggingStack, add_entry, logging_stack

WEEK_48 = date(2026, 11, 23)
NEXT_MONDAY_9 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""Monday 30.11.2026, 09:00 in Zurich: last week is week 48."""


@pytest.fixture
async def ls(db: Database, database_url: str) -> AsyncIterator[LoggingStack]:
    async with logging_stack(database_url, now=NEXT_MONDAY_9) as running:
        yield running


def summaries(ls: LoggingStack) -> SummaryService:
    found = ls.stack.runtime.services.summaries
    assert found is not None
    return found


async def worked(
    ls: LoggingStack,
    who: str,
    day: date,
    minutes: int,
    project: str = "Website Relaunch",
    activity: str = "Umsetzung",
    *,
    billable: bool = True,
) -> None:
    await add_entry(
        ls.db,
        ls.tenant_id,
        user=ls.company.users[who],
        project=ls.company.projects[project],
        activity=ls.company.activities[activity],
        day=day,
        minutes=minutes,
        billable=billable,
    )


NOAH_MAIL = "noah.keller@alpenblick.example"


async def noahs_week(ls: LoggingStack) -> None:
    await worked(ls, NOAH_MAIL, WEEK_48, 300)
    await worked(ls, NOAH_MAIL, WEEK_48, 210, "Cloud-Migration")
    await worked(ls, NOAH_MAIL, WEEK_48 + timedelta(days=1), 480, "Cloud-Migration")
    await worked(
        ls, NOAH_MAIL, WEEK_48 + timedelta(days=2), 240, "Website Relaunch", "Weiterbildung", billable=False
    )
    await worked(ls, NOAH_MAIL, WEEK_48 + timedelta(days=3), 510)
    await worked(ls, NOAH_MAIL, WEEK_48 + timedelta(days=5), 60)  # a Saturday hour
    await worked(ls, NOAH_MAIL, WEEK_48 + timedelta(days=7), 480)  # next week: not in it


def dms(ls: LoggingStack, user: str) -> list[dict[str, Any]]:
    channel = "D" + user.lstrip("UW")
    return [
        c.params for c in ls.stack.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel
    ]


async def test_the_summarys_figures_equal_the_week_views(ls: LoggingStack) -> None:
    await noahs_week(ls)
    view = await ls.stack.runtime.services.week.load(ls.tenant_id, NOAH, WEEK_48)
    summary = await summaries(ls).person(ls.tenant_id, NOAH, WEEK_48)
    assert view is not None and summary is not None
    assert summary.total_minutes == view.total_minutes == 1800
    assert summary.billable_minutes == view.billable_minutes == 1560
    assert (
        [d.minutes for d in summary.days] == [d.minutes for d in view.days] == [510, 480, 240, 510, 0, 60, 0]
    )
    assert summary.billable_percent == 87
    assert summary.projects == (("Website Relaunch", 1110), ("Cloud-Migration", 690))
    # The norm: 8.4 h on working days, nothing on the weekend; Tuesday and Wednesday short, Friday empty.
    assert [d.expected for d in summary.days] == [504] * 5 + [0, 0]
    assert [d.day for d in summary.below_norm] == [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]

    text, blocks = summary_view.person_message(summary)
    rendered = str(blocks)
    assert text == "Your week Mon 23.11. – Sun 29.11.: 30:00 h logged"
    assert "*30:00 h logged* in the week Mon 23.11. – Sun 29.11., 87 % of it billable." in rendered
    assert "Wed 25.11.  4:00 h  ⚠️ below the norm of 8:24 h" in rendered
    assert "Sat 28.11.  1:00 h" in rendered and "Sun 29.11." not in rendered.split("Per project")[0][-80:]
    assert "Website Relaunch  18:30 h" in rendered and "Cloud-Migration  11:30 h" in rendered
    assert "3 days below the norm: Tue 24.11., Wed 25.11., Fri 27.11." in rendered


async def test_a_holiday_expects_nothing(ls: LoggingStack) -> None:
    await ls.stack.runtime.services.settings.set(ls.tenant_id, "holidays_canton", "ZH", actor="test")
    christmas_week = date(2026, 12, 21)
    summary = await summaries(ls).person(ls.tenant_id, NOAH, christmas_week)
    assert summary is not None
    assert [d.expected for d in summary.days] == [504, 504, 504, 504, 0, 0, 0]  # Fri 25.12. is Christmas


def test_the_chart_is_a_valid_png_of_the_week(tmp_path: Any) -> None:
    from services.summaries import DayFigures, WeekSummary

    days = tuple(
        DayFigures(WEEK_48 + timedelta(days=i), m, 504 if i < 5 else 0, {"Website Relaunch": m} if m else {})
        for i, m in enumerate([510, 480, 240, 510, 0, 60, 0])
    )
    summary = WeekSummary(NOAH, "Noah Keller", WEEK_48, days, 1800, 1560, (("Website Relaunch", 1800),))
    with language_scope("de"):
        png, title = chart_of(summary)
    assert title == "Stunden pro Tag, Mo 23.11. – So 29.11."
    assert png_size(png) == (800, 400)
    pixels = image.imread(io.BytesIO(png), format="png")  # decodes: a real PNG, not just its header
    assert pixels.shape[:2] == (400, 800)


async def test_summary_run_sends_each_person_theirs_with_the_chart_and_admins_the_team(
    ls: LoggingStack,
) -> None:
    await noahs_week(ls)
    await worked(ls, "mia.schmid@alpenblick.example", WEEK_48, 2520)  # 42 h on Monday: not below the norm
    result = await summaries(ls).run(ls.tenant_id, WEEK_48)
    assert sorted(result.sent) == sorted([ANDREA, MIA, NOAH])
    assert result.charts == 3
    [noahs] = dms(ls, NOAH)
    assert noahs["text"] == "Your week Mon 23.11. – Sun 29.11.: 30:00 h logged"
    [chart] = ls.stack.fake.uploaded_files("D03NOAH")
    assert chart.filename == "week-2026-W48.png" and chart.title == "Hours per day, Mon 23.11. – Sun 29.11."
    assert chart.content is not None and png_size(chart.content) == (800, 400)
    assert image.imread(io.BytesIO(chart.content), format="png").shape[:2] == (400, 800)
    assert {c for u in ls.stack.fake.uploaded_files() for c in u.channels} == {
        "D01ANDREA",
        "D02MIA",
        "D03NOAH",
    }

    andreas = dms(ls, ANDREA)
    team = next(m for m in andreas if m["text"].startswith("Team summary"))
    rendered = str(team["blocks"])
    assert "Noah Keller: 30:00 h of 42:00 h" in rendered
    assert "Andrea Keller: 0:00 h of 42:00 h" in rendered
    assert "Mia Schmid" not in rendered
    # Noah's billable hours: 8.5 h + 5 h + 8.5 h Website Relaunch (Alpen Bau AG) at 150, 11.5 h
    # Cloud-Migration (Säntis Informatik AG) billed as its project's rate.
    assert "Alpen Bau AG  CHF " in rendered and "Säntis Informatik AG  CHF " in rendered


async def test_the_scheduler_sends_from_monday_eight_on_each_persons_clock_once(ls: LoggingStack) -> None:
    ls.stack.fake.users[MIA].tz = "America/New_York"
    ls.clock.set(datetime(2026, 11, 30, 6, 30, tzinfo=UTC))  # 07:30 in Zurich
    assert (await summaries(ls).run(ls.tenant_id, due_only=True)).sent == []
    ls.clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # 08:00 in Zurich, 02:00 in New York
    first = await summaries(ls).run(ls.tenant_id, due_only=True)
    assert sorted(first.sent) == [ANDREA, NOAH]
    again = await summaries(ls).run(ls.tenant_id, due_only=True)
    assert again.sent == []
    ls.clock.set(datetime(2026, 11, 30, 13, 0, tzinfo=UTC))  # 08:00 in New York
    later = await summaries(ls).run(ls.tenant_id, due_only=True)
    assert later.sent == [MIA]
    assert len(dms(ls, NOAH)) == 1 and len(dms(ls, MIA)) == 1


@pytest.mark.parametrize(
    ("language", "text", "headline", "team_line"),
    [
        (
            "de",
            "Deine Woche Mo 23.11. – So 29.11.: 30:00 h erfasst",
            "davon 87 % verrechenbar",
            "Noah Keller: 30:00 h von 42:00 h",
        ),
        (
            "fr",
            "Ta semaine lun. 23.11. – dim. 29.11. : 30:00 h saisies",
            "dont 87 % facturables",
            "Noah Keller : 30:00 h sur 42:00 h",
        ),
        (
            "it",
            "La tua settimana lun 23.11. – dom 29.11.: 30:00 h registrate",
            "di cui 87 % fatturabili",
            "Noah Keller: 30:00 h su 42:00 h",
        ),
    ],
)
async def test_the_summary_speaks_the_persons_language(
    ls: LoggingStack, language: str, text: str, headline: str, team_line: str
) -> None:
    languages = ls.stack.runtime.services.languages
    assert languages is not None
    for person in (NOAH, ANDREA):
        await languages.choose(ls.tenant_id, person, language)
    await noahs_week(ls)
    await summaries(ls).run(ls.tenant_id, WEEK_48)
    [noahs] = dms(ls, NOAH)
    assert noahs["text"] == text
    rendered = str(noahs["blocks"])
    assert headline in rendered
    for english in ("logged", "billable", "below the norm", "Per project"):
        assert english not in rendered, english
    team = next(m for m in dms(ls, ANDREA) if "Noah Keller" in str(m["blocks"]))
    assert team_line in str(team["blocks"])
    [chart] = ls.stack.fake.uploaded_files("D03NOAH")
    assert chart.title is not None and not chart.title.startswith("Hours per day")
