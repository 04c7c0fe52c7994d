"""A person's week, in the App Home and in the `/log-hours week` reply.

Each entry gets an Edit/Delete menu unless an invoice owns it (then it names the invoice). A busy
week would not fit Slack's block limit (100 in the Home, 50 in a message) with one block per
entry, so it falls back to one block per day with a single "Change…" menu.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    escape,
    header,
    modal,
    option,
    overflow,
    section,
    static_select,
)
from bot.views.form_state import ModalContext
from bot.views.payload import record_id
from core.absences import HALF_LABELS, WORKING_DAYS_PER_WEEK, kind_label
from core.dates import format_day
from core.durations import format_duration
from core.entry_rules import EARLIEST_DAY
from core.i18n import _
from core.money import format_money
from services.week import WeekDay, WeekItem, WeekView

# Slack refuses a block whose elements share an action_id, so each navigation button has its own;
# all three do the same (show the week their value names).
NAV_PREVIOUS_ACTION = "week_nav_prev"
NAV_THIS_WEEK_ACTION = "week_nav_this"
NAV_NEXT_ACTION = "week_nav_next"
NAV_ACTIONS = (NAV_PREVIOUS_ACTION, NAV_THIS_WEEK_ACTION, NAV_NEXT_ACTION)
MENU_ACTION = "week_entry_menu"
LOG_HOURS_ACTION = "week_log_hours"
LOG_EXPENSE_ACTION = "week_log_expense"
DELETE_CALLBACK_ID = "week_delete_confirm"
NAV_BLOCK = "week_nav"
MESSAGE_BLOCK_LIMIT = 50
HOME_BLOCK_LIMIT = 100
_NOTE_PREVIEW = 150

Verb = Literal["edit", "delete"]
Kind = Literal["time", "expense"]


def menu_value(verb: Verb, item: WeekItem) -> str:
    return f"{verb}:{item.kind}:{item.id}"


def parse_menu_value(value: str) -> tuple[Verb, Kind, int] | None:
    verb, _sep, rest = value.partition(":")
    kind, _sep, raw_id = rest.partition(":")
    item_id = record_id(raw_id)
    if verb not in ("edit", "delete") or kind not in ("time", "expense") or item_id is None:
        return None
    return verb, kind, item_id  # type: ignore[return-value]


def block_id_for(monday: date, index: int) -> str:
    """Entry blocks name their week, so a click on a message knows which week it was showing."""
    return f"week.{monday.isoformat()}.{index}"


def week_in_block_id(block_id: str) -> str | None:
    prefix, _sep, rest = block_id.partition(".")
    monday, _sep, _index = rest.partition(".")
    return monday if prefix == "week" and monday else None


def blocks(week: WeekView, *, budget: int) -> list[Block]:
    """The week in at most ``budget`` blocks."""
    sunday = week.monday + timedelta(days=6)
    shown = f"{week.monday:%d.%m.}–{sunday:%d.%m.%Y}"
    title = _("Week {number} · {range}", number=week.monday.isocalendar().week, range=shown)
    out: list[Block] = [header(title), _navigation(week)]
    days = [day for day in week.days if day.items or day.absences]
    items = sum(len(day.items) for day in days)
    detailed = len(out) + len(days) + items + 1 <= budget
    if not days:
        out.append(section(_("Nothing logged this week.")))
    for day in days:
        heading = f"*{day_label(day.day)}* — {format_duration(day.minutes)} h"
        if day.day == week.today:
            heading += " · " + _("today")
        if day.absences:  # issue 16 §8: absences count, a full-day one makes no working day
            heading += " · " + absence_note(day)
        if detailed:
            out.append(context(heading))
            for item in day.items:
                out.append(_item_block(item, block_id_for(week.monday, len(out))))
        else:
            out.append(_day_block(heading, day.items, block_id_for(week.monday, len(out))))
    totals = _(
        "Week total *{total} h* · billable {billable} h",
        total=format_duration(week.total_minutes),
        billable=format_duration(week.billable_minutes),
    )
    if week.expenses_total:
        totals += " · " + _("expenses {amount}", amount=format_money(week.expenses_total))
    if week.absent_days:
        totals += " · " + _("absent {days} working days", days=format(week.absent_days.normalize(), "f"))
    out.append(context(totals))
    return out[:budget]


def absence_note(day: WeekDay) -> str:
    """`🌴 Vacation · no working day`, `🌴 Sick (afternoon)`."""
    kinds = ", ".join(
        dict.fromkeys(
            f"{kind_label(a.kind)} ({_(HALF_LABELS[a.half])})" if a.half else kind_label(a.kind)
            for a in day.absences
        )
    )
    if not day.working and day.day.weekday() < WORKING_DAYS_PER_WEEK:
        return "🌴 " + _("{kinds} · no working day", kinds=kinds)
    return f"🌴 {kinds}"


def day_label(day: date) -> str:
    """`Mon 23.11.` in English (as ``format_day``), `Mo 23.11.`, `lun. 23.11.`, `lun 23.11.`."""
    return format_day(day)


def _navigation(week: WeekView) -> Block:
    previous = week.monday - timedelta(days=7)
    following = week.monday + timedelta(days=7)
    elements = [button(_("◀ Previous week"), NAV_PREVIOUS_ACTION, previous.isoformat())]
    if not week.is_current:
        elements.append(button(_("This week"), NAV_THIS_WEEK_ACTION, week.today.isoformat()))
    elements.append(button(_("Next week ▶"), NAV_NEXT_ACTION, following.isoformat()))
    elements.append(button(_("Log hours"), LOG_HOURS_ACTION, week.monday.isoformat(), style="primary"))
    elements.append(button(_("Log expense"), LOG_EXPENSE_ACTION, week.monday.isoformat()))
    return actions(*elements, block_id=NAV_BLOCK)


def item_line(item: WeekItem) -> str:
    billing = _("billable") if item.billable else _("not billable")
    if item.kind == "time":
        what = f"{format_duration(item.minutes or 0)} h"
    else:
        what = f"🧾 {format_money(item.amount) if item.amount is not None else '?'}"
    return f"{what} · *{escape(item.project)}* / {escape(item.detail)} · {billing}"


def _item_block(item: WeekItem, block_id: str) -> Block:
    text = item_line(item)
    if item.note:
        text += f"\n_{escape(_preview(item.note))}_"
    if item.bexio:
        text += f"\n⚠️ {escape(item.bexio)}"
    if item.locked:
        return section(f"{text}\n🔒 {escape(item.locked)}", block_id=block_id)
    menu = overflow(
        MENU_ACTION,
        [option(_("Edit"), menu_value("edit", item)), option(_("Delete"), menu_value("delete", item))],
    )
    return section(text, block_id=block_id, accessory=menu)


def _day_block(heading: str, items: tuple[WeekItem, ...], block_id: str) -> Block:
    lines = [heading]
    options = []
    for item in items:
        line = item_line(item)
        lines.append(
            f"• {line}"
            + (f" · 🔒 {escape(item.locked)}" if item.locked else "")
            + (f" · ⚠️ {escape(item.bexio)}" if item.bexio else "")
        )
        if item.locked is None:
            label = _plain(item)
            options += [option(_("Edit · {entry}", entry=label), menu_value("edit", item))]
            options += [option(_("Delete · {entry}", entry=label), menu_value("delete", item))]
    accessory = static_select(MENU_ACTION, options, placeholder=_("Change an entry…")) if options else None
    return section("\n".join(lines), block_id=block_id, accessory=accessory)


def _plain(item: WeekItem) -> str:
    amount = (
        format_duration(item.minutes or 0) + " h"
        if item.kind == "time"
        else format_money(item.amount or Decimal(0))
    )
    return f"{amount} {item.project} / {item.detail}"


def _preview(note: str) -> str:
    flat = " ".join(note.split())
    return flat if len(flat) <= _NOTE_PREVIEW else flat[: _NOTE_PREVIEW - 1] + "…"


def message(week: WeekView | None, *, replace: bool = False) -> dict[str, Any]:
    """The `/log-hours week` reply (keyword arguments for ``respond``)."""
    if week is None:
        text = _("You are not linked to a bexio user yet, so there is no week to show.")
        reply: dict[str, Any] = {"text": text, "blocks": [section(text)]}
    else:
        text = _("Your week: {total} h", total=format_duration(week.total_minutes))
        reply = {"text": text, "blocks": blocks(week, budget=MESSAGE_BLOCK_LIMIT)}
    reply["response_type"] = "ephemeral"
    if replace:
        reply["replace_original"] = True
    return reply


def delete_confirm(kind: Kind, item_id: int, summary: str, ctx: ModalContext) -> dict[str, Any]:
    """Deleting is final, so it asks once; the modal carries what to delete and where it came from."""
    question = _("Delete these hours?") if kind == "time" else _("Delete this expense?")
    metadata = ModalContext(entry_id=item_id, week=ctx.week, response_url=ctx.response_url, kind=kind)
    return modal(
        _("Delete entry"),
        [section(f"{question}\n{escape(summary)}")],
        callback_id=DELETE_CALLBACK_ID,
        submit=_("Delete"),
        private_metadata=metadata.dump(),
    )


def week_of(value: str | None, today: date) -> date:
    """The day a button or a view names; today for anything else — a day before 2000 or more than
    ten years ahead is no week anyone browses to (and at year 1 or 9999 there is no next week)."""
    try:
        day = date.fromisoformat(value) if value else today
    except (TypeError, ValueError):
        return today
    return day if EARLIEST_DAY <= day <= today + timedelta(days=3660) else today
