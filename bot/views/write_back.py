"""The write-back's Slack texts: the back-fill offer DM, its modal, progress and result (issue 16
§4); its line in ``/bx-sync status`` is ``bot.views.bx_sync.write_back_line``."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views.blocks import Block, actions, button, context, datepicker, input_block, modal, section
from bot.views.bx_sync import number
from core.dates import format_date
from core.i18n import _, ngettext
from services.writeback.service import BackfillProgress

OFFER_ACTION = "writeback_backfill_open"
CALLBACK_ID = "writeback_backfill"
FROM_BLOCK, TO_BLOCK, DATE_ACTION = "backfill_from", "backfill_to", "day"
OFFER_BLOCK = "writeback_offer"
MAX_DAYS = 731
"""A back-fill reaches back two years at most: bexio payroll closes months long before that."""

Message = tuple[str, list[dict[str, Any]]]


class SlackWriteBackMessages:
    """``services.writeback.WriteBackMessages`` for Slack."""

    def offer(self) -> Message:
        text = _(
            "Hours logged in bxhours are now written to bexio as timesheets (never billable there: "
            "invoices come from bxhours' drafts). Earlier hours can be written too — choose the period."
        )
        blocks: list[Block] = [
            section(text),
            context(
                _(
                    "bxhours leads for hours: an edit in bexio is shown on the entry, and the next edit in bxhours wins."
                )
            ),
            actions(button(_("Write earlier hours…"), OFFER_ACTION, "open"), block_id=OFFER_BLOCK),
        ]
        return text, blocks

    def progress(self, progress: BackfillProgress) -> Message:
        text = _(
            "Writing hours of {start}–{end} to bexio: {done} of {total} entries…",
            start=format_date(progress.start),
            end=format_date(progress.end),
            done=number(progress.done),
            total=number(progress.total),
        )
        return text, [section(f"⏳ {text}")]

    def finished(self, progress: BackfillProgress) -> Message:
        text = ngettext(
            "Hours of {start}–{end} written to bexio: {written} of {total} entry.",
            "Hours of {start}–{end} written to bexio: {written} of {total} entries.",
            progress.total,
            start=format_date(progress.start),
            end=format_date(progress.end),
            written=number(progress.written),
            total=number(progress.total),
        )
        details = []
        if progress.not_in_bexio:
            details.append(
                _("{count} not in bexio (no bexio user or project)", count=number(progress.not_in_bexio))
            )
        if progress.failed:
            details.append(
                _("{count} refused by bexio — see `/bx-sync status`", count=number(progress.failed))
            )
        blocks: list[Block] = [section(f"✓ {text}")]
        if details:
            blocks.append(context(" · ".join(details)))
        return text, blocks


def backfill_modal(today: date) -> dict[str, Any]:
    """Two dates, the first of the month to today proposed."""
    blocks: list[Block] = [
        section(_("Entries of this period that are not in bexio yet are written to it as timesheets.")),
        input_block(FROM_BLOCK, _("From"), datepicker(DATE_ACTION, today.replace(day=1).isoformat())),
        input_block(TO_BLOCK, _("To"), datepicker(DATE_ACTION, today.isoformat())),
    ]
    return modal(_("Write earlier hours"), blocks, callback_id=CALLBACK_ID, submit=_("Write"))


def period_errors(start: date | None, end: date | None, today: date) -> dict[str, str]:
    """What is wrong with the chosen period, by block (empty: it can be written)."""
    errors: dict[str, str] = {}
    if start is None:
        errors[FROM_BLOCK] = _("Pick the first day.")
    if end is None:
        errors[TO_BLOCK] = _("Pick the last day.")
    if start is None or end is None:
        return errors
    if end > today:
        errors[TO_BLOCK] = _("The last day cannot be in the future.")
    elif start > end:
        errors[FROM_BLOCK] = _("The first day must not be after the last day.")
    elif (end - start).days >= MAX_DAYS:
        errors[FROM_BLOCK] = _("Choose at most two years.")
    return errors


def requested(start: date, end: date) -> dict[str, Any]:
    text = _(
        "Hours of {start}–{end} are being written to bexio; a direct message follows the progress.",
        start=format_date(start),
        end=format_date(end),
    )
    return modal(_("Write earlier hours"), [section(text)], callback_id=CALLBACK_ID)
