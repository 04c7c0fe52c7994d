"""The weekly summary DM and the admins' team summary (issue 17 §5), in Block Kit.

Figures come from ``services.summaries`` (the week view's own loading); this module only words and
lays them out: durations `38:30 h`, days `Mon 23.11.`, amounts `CHF 1'234.50`.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.views.blocks import Block, context, escape, header, section
from core.dates import format_day
from core.durations import format_duration
from core.i18n import _, ngettext
from core.money import format_money
from services.summaries import TeamSummary, WeekSummary

MAX_LINES = 25
"""Projects or customers listed at most (the rest is summed up in one line)."""


def _h(minutes: int) -> str:
    return f"{format_duration(minutes)} h"


def _span(first: date, last: date) -> str:
    return f"{format_day(first)} – {format_day(last)}"


class SlackSummaryMessages:
    """``services.summaries.SummaryMessages`` in Block Kit."""

    def person(self, summary: WeekSummary) -> tuple[str, list[Block]]:
        return person_message(summary)

    def team(self, team: TeamSummary) -> tuple[str, list[Block]]:
        return team_message(team)


def person_message(summary: WeekSummary) -> tuple[str, list[Block]]:
    week = _span(summary.monday, summary.sunday)
    text = _("Your week {week}: {total} logged", week=week, total=_h(summary.total_minutes))
    share = summary.billable_percent
    headline = (
        _(
            "*{total} logged* in the week {week}, {share} % of it billable.",
            total=_h(summary.total_minutes),
            week=week,
            share=share,
        )
        if share is not None
        else _("*Nothing logged* in the week {week}.", week=week)
    )
    blocks: list[Block] = [header(_("Your week")), section(headline, block_id="summary_total")]
    day_lines = []
    for day in summary.days:
        if not day.minutes and not day.expected:
            continue
        line = f"{format_day(day.day)}  {_h(day.minutes)}"
        if day.below_norm:
            line += "  " + _("⚠️ below the norm of {norm}", norm=_h(day.expected))
        day_lines.append(line)
    if day_lines:
        blocks.append(section(_("*Per day*") + "\n" + "\n".join(day_lines), block_id="summary_days"))
    if summary.projects:
        shown = summary.projects[:MAX_LINES]
        lines = [f"{escape(name)}  {_h(minutes)}" for name, minutes in shown]
        rest = sum(minutes for _name, minutes in summary.projects[MAX_LINES:])
        if rest:
            lines.append(_("other projects  {duration}", duration=_h(rest)))
        blocks.append(section(_("*Per project*") + "\n" + "\n".join(lines), block_id="summary_projects"))
    below = summary.below_norm
    if below:
        days = ", ".join(format_day(d.day) for d in below)
        blocks.append(
            context(
                ngettext(
                    "{n} day below the norm: {days}",
                    "{n} days below the norm: {days}",
                    len(below),
                    days=days,
                )
            )
        )
    else:
        blocks.append(context(_("No day below the norm.")))
    return text, blocks


def team_message(team: TeamSummary) -> tuple[str, list[Block]]:
    week = _span(team.monday, team.monday + timedelta(days=6))
    text = _("Team summary {week}", week=week)
    blocks: list[Block] = [header(_("Team summary")), context(week)]
    if team.below:
        lines = [
            _("{name}: {logged} of {expected}", name=escape(name), logged=_h(logged), expected=_h(expected))
            for name, logged, expected in team.below[:MAX_LINES]
        ]
        blocks.append(section(_("*Below the norm*") + "\n" + "\n".join(lines), block_id="team_below"))
    else:
        blocks.append(section(_("Everyone reached the norm."), block_id="team_below"))
    if team.unbilled:
        lines = [f"{escape(name)}  {format_money(amount)}" for name, amount in team.unbilled[:MAX_LINES]]
        blocks.append(
            section(_("*Unbilled, per customer*") + "\n" + "\n".join(lines), block_id="team_unbilled")
        )
    else:
        blocks.append(section(_("Nothing is waiting to be billed."), block_id="team_unbilled"))
    return text, blocks
