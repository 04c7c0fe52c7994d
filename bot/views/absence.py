"""What `/log-absence` shows: the confirmation with Edit and Delete, the listing, the form.

Pure Block Kit builders. Buttons carry only an absence id: whoever clicks is checked again by
the service (their own absence, or an admin), so an id echoed back grants nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.views.blocks import (
    actions,
    button,
    context,
    datepicker,
    escape,
    input_block,
    modal,
    option,
    section,
    static_select,
)
from bot.views.choices import reply as message
from core.absences import HALF_LABELS, AbsenceKind, Half, kind_label, working_days
from core.dates import format_day
from core.i18n import N_, _, ngettext
from services.absences import NOT_SENT, PENDING, SENT, StoredAbsence, sync_reason

EDIT_ACTION = "log_absence_edit"
DELETE_ACTION = "log_absence_delete"
OPEN_FORM_ACTION = "log_absence_open_form"
"""The App Home's "Log absence" button."""
CALLBACK_ID = "log_absence_modal"
PERSON_BLOCK, KIND_BLOCK, FROM_BLOCK, TO_BLOCK, HALF_BLOCK = (
    "absence_person",
    "absence_kind",
    "absence_from",
    "absence_to",
    "absence_half",
)
PERSON_ACTION, KIND_ACTION, FROM_ACTION, TO_ACTION, HALF_ACTION = "person", "kind", "from", "to", "half"
WHOLE_DAY = "whole"
TITLE = N_("Log absence")
EDIT_TITLE = N_("Change absence")
MAX_LISTED = 20


def days_text(first: date, last: date, half: Half | None = None) -> str:
    """`Mon 21.12.`, `Mon 21.12. afternoon`, `Mon 21.12. – Wed 23.12.2026`."""
    if first == last:
        shown = format_day(first)
        return f"{shown} {_(HALF_LABELS[half])}" if half is not None else shown
    return f"{format_day(first)} – {format_day(last)}{last.year}"


def line(stored: StoredAbsence) -> str:
    """`Vacation · Mon 21.12. – Wed 23.12.2026 · 3 working days` (with the person when not oneself)."""
    kind = kind_label(stored.kind)
    what = _("{kind} for {person}", kind=kind, person=stored.person) if stored.for_someone_else else kind
    count = working_days(stored.first_day, stored.last_day)
    if stored.half is not None:
        length = _("half a day")
    else:
        length = ngettext("{count} working day", "{count} working days", count, count=count)
    return f"{what} · {days_text(stored.first_day, stored.last_day, stored.half)} · {length}"


def state_text(stored: StoredAbsence) -> str:
    if stored.sync_state == SENT:
        return _("in bexio payroll")
    if stored.sync_state == PENDING:
        return _("on its way to bexio payroll")
    reason = sync_reason(stored)
    if stored.sync_state == NOT_SENT:
        return _("kept in bxhours only: {reason}", reason=reason or "?")
    return _("bexio payroll refused it: {reason}", reason=reason or "?")


def _buttons(stored: StoredAbsence) -> dict[str, Any]:
    return actions(
        button(_("Edit"), EDIT_ACTION, str(stored.id)),
        button(_("Delete"), DELETE_ACTION, str(stored.id), style="danger"),
        block_id=f"absence_{stored.id}",
    )


def reply(stored: StoredAbsence, *, replace: bool = False) -> dict[str, Any]:
    """The confirmation: what was stored, Edit and Delete; the once-per-workspace notice."""
    confirmed = f"✓ {line(stored)}"
    blocks = [section(escape(confirmed)), context(escape(state_text(stored))), _buttons(stored)]
    text = confirmed
    if stored.notice:
        blocks.append(context(f"⚠️ {escape(stored.notice)}"))
        text = f"{confirmed}\n⚠️ {stored.notice}"
    return message(text, blocks, replace=replace)


def deleted(summary: str) -> dict[str, Any]:
    text = _("🗑️ Deleted — {summary}.", summary=summary)
    return message(text, [section(escape(text))], replace=True)


def refusal(text: str, *, replace: bool = False) -> dict[str, Any]:
    return message(text, [section(escape(text))], replace=replace)


def listing(absences: list[StoredAbsence]) -> dict[str, Any]:
    """`/log-absence list`: the last month and ahead, each with Edit and Delete."""
    if not absences:
        text = _(
            "You have no absences in the last month or ahead. Log one with `/log-absence vacation 21.12.2026`."
        )
        return message(text, [section(escape(text))])
    title = _("Your absences")
    blocks: list[dict[str, Any]] = [section(f"*{escape(title)}*")]
    for stored in absences[:MAX_LISTED]:
        blocks.append(section(escape(line(stored))))
        blocks.append(context(escape(state_text(stored))))
        blocks.append(_buttons(stored))
    return message(title, blocks)


# -- the form ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbsenceForm:
    """The form as submitted, before the service checks it."""

    person: str | None
    kind: str | None
    first_day: date | None
    last_day: date | None
    half: str | None


def _kind_option(kind: AbsenceKind) -> dict[str, Any]:
    return option(kind_label(kind), kind.value)


def _half_options() -> list[dict[str, Any]]:
    return [
        option(_("Whole day(s)"), WHOLE_DAY),
        option(_("Morning"), Half.MORNING.value),
        option(_("Afternoon"), Half.AFTERNOON.value),
    ]


def build(
    *,
    today: date,
    admin: bool,
    person: str,
    existing: StoredAbsence | None = None,
) -> dict[str, Any]:
    """The form: kind, from, to, half day — and, for admins, whose absence it is."""
    kinds = [_kind_option(kind) for kind in AbsenceKind]
    halves = _half_options()
    kind = existing.kind if existing else AbsenceKind.VACATION
    first = existing.first_day if existing else today
    last = existing.last_day if existing else today
    half = existing.half.value if existing and existing.half else WHOLE_DAY
    blocks: list[dict[str, Any]] = []
    if admin and existing is None:
        blocks.append(
            input_block(
                PERSON_BLOCK,
                _("Person"),
                {"type": "users_select", "action_id": PERSON_ACTION, "initial_user": person},
                hint=_("Admins can log an absence for someone else."),
            )
        )
    blocks += [
        input_block(
            KIND_BLOCK,
            _("Kind"),
            static_select(
                KIND_ACTION,
                kinds,
                placeholder=_("Kind of absence"),
                initial=next(o for o in kinds if o["value"] == kind.value),
            ),
        ),
        input_block(FROM_BLOCK, _("From"), datepicker(FROM_ACTION, first.isoformat())),
        input_block(
            TO_BLOCK,
            _("To"),
            datepicker(TO_ACTION, last.isoformat()),
            optional=True,
            hint=_("Empty: one day."),
        ),
        input_block(
            HALF_BLOCK,
            _("Half day"),
            static_select(
                HALF_ACTION,
                halves,
                placeholder=_("Half day"),
                initial=next(o for o in halves if o["value"] == half),
            ),
        ),
    ]
    if existing is not None and existing.for_someone_else:
        blocks.insert(0, context(escape(_("Absence of {person}", person=existing.person))))
    metadata = json.dumps({"absence_id": existing.id if existing else None})
    return modal(
        _(EDIT_TITLE) if existing else _(TITLE),
        blocks,
        callback_id=CALLBACK_ID,
        submit=_("Save"),
        private_metadata=metadata,
    )


def _value(state: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    found = (state.get(block) or {}).get(action)
    return found if isinstance(found, dict) else {}


def _date(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def submitted(view: dict[str, Any]) -> tuple[AbsenceForm, int | None]:
    """The form's values as Slack reports them (untrusted: the service checks every one) and the
    absence being changed (None: a new one)."""
    state = (view.get("state") or {}).get("values") or {}
    person = _value(state, PERSON_BLOCK, PERSON_ACTION).get("selected_user")
    kind = (_value(state, KIND_BLOCK, KIND_ACTION).get("selected_option") or {}).get("value")
    half = (_value(state, HALF_BLOCK, HALF_ACTION).get("selected_option") or {}).get("value")
    form = AbsenceForm(
        person=person if isinstance(person, str) else None,
        kind=kind if isinstance(kind, str) else None,
        first_day=_date(_value(state, FROM_BLOCK, FROM_ACTION).get("selected_date")),
        last_day=_date(_value(state, TO_BLOCK, TO_ACTION).get("selected_date")),
        half=half if isinstance(half, str) else None,
    )
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    raw_id = metadata.get("absence_id") if isinstance(metadata, dict) else None
    absence_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) and raw_id > 0 else None
    return form, absence_id


def done(stored: StoredAbsence, *, changed: bool) -> dict[str, Any]:
    title = _("Absence saved") if changed else _("Absence logged")
    blocks = [section(escape(f"✓ {line(stored)}")), context(escape(state_text(stored)))]
    if stored.notice:
        blocks.append(context(f"⚠️ {escape(stored.notice)}"))
    return modal(title, blocks, callback_id="notice")
