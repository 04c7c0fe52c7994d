"""The `/invoice` modal: who and which period, the billable services as ticked lines, options, a
preview in Swiss format — then "Creating the draft in bexio…" and the result.

No dead ends (issue 15 §5–7): whatever would make the submit refuse is shown in the preview, where
it can be fixed — a line without an income account comes with an account select right there (and
the proposed account, confirmed in one click) for admins, and says whom to ask for everyone else.
The header always names the chosen customer and period, the steps are numbered as shown, and a
line's text can be rewritten before the draft is created (an input per edited line, kept in the
view itself, so nothing is lost while other choices change).

Every input that changes the preview dispatches an action, and the handler re-renders the whole
modal with ``views.update``. Lines are checkbox groups of at most 10 options (Slack's limit); the
group block ids carry a version of the selection, so a new customer, project, period or grouping
starts with every line ticked again while ticks survive any other change. When the lines do not
fit one draft they are not offered one by one: the modal says so and offers the coarser grouping.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.views.blocks import Block, actions, button, context, divider, option, plain, section
from bot.views.payload import record_id
from core import invoice_lines as core_lines
from core.dates import month_name
from core.i18n import N_, _, current_language, ngettext
from core.invoice_lines import Grouping, InvoiceLine, LineKind, describe_line
from core.invoice_totals import default_title, is_default_title
from core.money import format_amount, format_money
from services.invoicing import DraftOutcome, Field, InvoiceRefused, Numbering
from services.invoicing.accounts import AccountChoice, MissingAccount
from services.invoicing.customers import CustomerChoice
from services.invoicing.numbering import DEFINED_BY_BEXIO
from services.invoicing.preview import Preview

CALLBACK_ID = "invoice_modal"
TITLE = N_("Invoice")

CUSTOMER_ACTION = "invoice_customer"
PROJECT_ACTION = "invoice_project"
FROM_ACTION = "invoice_from"
TO_ACTION = "invoice_to"
GROUPING_ACTION = "invoice_grouping"
LINES_ACTION = "invoice_lines"
TITLE_ACTION = "invoice_title"
DATE_ACTION = "invoice_date"
PAYMENT_ACTION = "invoice_payment_days"
INTRO_ACTION = "invoice_intro"
NUMBERING_ACTION = "invoice_numbering"
NEW_CUSTOMER_ACTION = "invoice_new_customer"
REFERENCE_ACTION = "invoice_reference"
EDIT_TEXT_ACTION = "invoice_edit_text"
LINE_TEXT_ACTION = "invoice_line_text"
ACCOUNT_ACTION = "invoice_account"
PROPOSAL_ACTION = "invoice_account_proposal"

REFRESH_ACTIONS = re.compile(
    rf"^({CUSTOMER_ACTION}|{PROJECT_ACTION}|{FROM_ACTION}|{TO_ACTION}|{GROUPING_ACTION}|"
    rf"{LINES_ACTION}|{NUMBERING_ACTION}|{EDIT_TEXT_ACTION})$"
)
"""The inputs whose change re-renders the modal (text fields are only read on submit)."""

# Each input lives in a block named after its action, except the line groups.
CUSTOMER_BLOCK, PROJECT_BLOCK, FROM_BLOCK, TO_BLOCK = CUSTOMER_ACTION, PROJECT_ACTION, FROM_ACTION, TO_ACTION
GROUPING_BLOCK, TITLE_BLOCK, DATE_BLOCK = GROUPING_ACTION, TITLE_ACTION, DATE_ACTION
PAYMENT_BLOCK, INTRO_BLOCK, NUMBERING_BLOCK = PAYMENT_ACTION, INTRO_ACTION, NUMBERING_ACTION
REFERENCE_BLOCK, EDIT_TEXT_BLOCK = REFERENCE_ACTION, EDIT_TEXT_ACTION
LINES_BLOCK_PREFIX = "invoice_lines:"
LINE_TEXT_PREFIX = "invoice_text:"
"""Block id of an edited line's text: ``invoice_text:<version>:<line key>``."""
ACCOUNT_BLOCK_PREFIX = "invoice_account:"
"""Block id of a missing account's select: ``invoice_account:<activity|category>:<id>``."""
MAX_EDITED_LINES = 20
"""Inputs for edited texts shown at once (each is a block; the modal holds 100)."""
MAX_MISSING_SHOWN = 8
LINE_TEXT_MAX = 1000

ALL_PROJECTS = "all"
USE_BEXIO_NUMBER = "bexio"
CUSTOMER_PREFIX = "c:"
PROJECT_PREFIX = "p:"
OPTIONS_PER_GROUP = 10
"""Slack's limit per checkbox group; 15 groups hold the 150 lines a draft may have (≪ 100 blocks)."""
DEFAULT_PAYMENT_DAYS = 30
GROUPING_LABELS = {
    Grouping.BY_ACTIVITY: N_("By activity"),
    Grouping.BY_DAY: N_("By day"),
    Grouping.PER_ENTRY: N_("One line per entry"),
}


@dataclass(frozen=True)
class ModalState:
    """What the person has chosen so far, read back from the view."""

    customer_id: int | None = None
    project_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    period_from_cleared: bool = False
    period_to_cleared: bool = False
    grouping: Grouping | None = None
    """None: not chosen yet — the workspace setting ``invoice_grouping`` applies."""
    ticked: frozenset[str] | None = None
    """None: the selection changed (or nothing was shown yet), so every line is ticked."""
    title: str | None = None
    invoice_date: date | None = None
    payment_days: str | None = None
    intro: str | None = None
    use_bexio: bool | None = None
    fingerprint: str | None = None
    reference: str | None = None
    line_texts: tuple[tuple[str, str], ...] = ()
    """(line key, text the biller wrote) for the lines whose text was edited."""
    proposed_title: str | None = None
    """The title the modal proposed last time: a title still equal to it follows the period."""

    def period_end(self, default: date | None) -> date | None:
        """The period's last day: the one picked, none when the person cleared it, else ``default``."""
        return None if self.period_to_cleared else (self.period_to or default)

    def period_start(self, default: date | None) -> date | None:
        """The period's first day: the one picked, none when cleared (all unbilled), else ``default``."""
        return None if self.period_from_cleared else (self.period_from or default)

    def with_defaults(self, defaults: Defaults) -> ModalState:
        """The state with the workspace's defaults filled in where the person chose nothing yet."""
        start, end = self.period_start(defaults.period_from), self.period_end(defaults.period_to)
        return dataclasses.replace(
            self,
            period_from=start,
            period_to=end,
            period_from_cleared=start is None,
            period_to_cleared=end is None,
            grouping=self.grouping or defaults.grouping,
        )


@dataclass(frozen=True)
class Defaults:
    """What the modal starts with: last month when it has unbilled work (else everything up to
    today), grouped as the setting ``invoice_grouping`` says."""

    period_from: date | None
    period_to: date
    grouping: Grouping = Grouping.BY_ACTIVITY


@dataclass(frozen=True)
class ModalData:
    """Everything a render needs, loaded by the handler from the invoicing service."""

    state: ModalState
    """With the defaults filled in (`ModalState.with_defaults`)."""
    today: date
    numbering: Numbering
    preview: Preview | None = None
    accounts: dict[int, str] | None = None
    unbilled: tuple[int, Decimal] | None = None
    """(customers with unbilled work, their net total), shown before a customer is chosen."""
    can_add_customer: bool = False
    """Admins: "+ New customer", and the account of a line can be chosen right in the preview."""
    document_language: str = "de"
    """The customer's language: the default title is written in it, as the draft will be."""
    missing: tuple[MissingAccount, ...] = ()
    """Activities and categories of ticked lines without an income account."""
    proposal: AccountChoice | None = None
    """The account proposed for expense categories without one, until an admin confirms it."""
    admins: tuple[str, ...] = ()
    """Whom someone who is not an admin asks to choose an account (Slack user ids)."""
    numbering_problem: str | None = None
    """Why the chosen numbering cannot be used — the submit would refuse it, so it is shown."""
    changes: tuple[str, ...] = ()
    """What changed since the preview the person submitted (after a refused submit)."""


def selection_version(state: ModalState) -> str:
    grouping = state.grouping.value if state.grouping is not None else ""
    raw = f"{state.customer_id}|{state.project_id}|{state.period_from}|{state.period_to}|{grouping}"
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


# --- reading the view back ----------------------------------------------------------------


def read_state(view: dict[str, Any]) -> ModalState:
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    meta = _metadata(view)

    def element(block: str, action: str) -> dict[str, Any]:
        return values.get(block, {}).get(action) or {}

    customer = _prefixed_id(element(CUSTOMER_BLOCK, CUSTOMER_ACTION).get("selected_option"), CUSTOMER_PREFIX)
    if customer is None:
        kept = meta.get("customer")
        customer = kept if isinstance(kept, int) and not isinstance(kept, bool) and 0 < kept < 2**63 else None
    project = _prefixed_id(element(PROJECT_BLOCK, PROJECT_ACTION).get("selected_option"), PROJECT_PREFIX)
    grouping_option = element(GROUPING_BLOCK, GROUPING_ACTION).get("selected_option") or {}
    grouping: Grouping | None
    try:
        grouping = Grouping(grouping_option["value"]) if grouping_option.get("value") else None
    except ValueError:
        grouping = None
    from_state = element(FROM_BLOCK, FROM_ACTION)
    to_state = element(TO_BLOCK, TO_ACTION)
    partial = ModalState(
        customer_id=customer,
        project_id=project,
        period_from=_date(from_state.get("selected_date")),
        period_to=_date(to_state.get("selected_date")),
        period_from_cleared=FROM_BLOCK in values and not from_state.get("selected_date"),
        period_to_cleared=TO_BLOCK in values and not to_state.get("selected_date"),
        grouping=grouping,
    )
    version = selection_version(partial)
    ticked: set[str] | None = None
    texts: dict[str, str] = {}
    for block_id, actions_state in values.items():
        if block_id.startswith(f"{LINES_BLOCK_PREFIX}{version}:"):
            chosen = (actions_state.get(LINES_ACTION) or {}).get("selected_options") or []
            ticked = (ticked or set()) | {
                item["value"]
                for item in chosen
                if isinstance(item, dict) and isinstance(item.get("value"), str)
            }
        elif block_id.startswith(f"{LINE_TEXT_PREFIX}{version}:"):
            typed = (actions_state.get(LINE_TEXT_ACTION) or {}).get("value")
            key = block_id.removeprefix(f"{LINE_TEXT_PREFIX}{version}:")
            if isinstance(typed, str) and key:
                texts[key] = typed
    for block_id, actions_state in values.items():
        if block_id.startswith(f"{EDIT_TEXT_BLOCK}:"):
            chosen_line = ((actions_state.get(EDIT_TEXT_ACTION) or {}).get("selected_option") or {}).get(
                "value"
            )
            if isinstance(chosen_line, str) and chosen_line and chosen_line not in texts:
                texts[chosen_line] = ""  # asked for: an input with the proposed text appears
    numbering = element(NUMBERING_BLOCK, NUMBERING_ACTION)
    use_bexio = (
        any(item.get("value") == USE_BEXIO_NUMBER for item in numbering.get("selected_options") or [])
        if NUMBERING_BLOCK in values
        else None
    )
    proposed = meta.get("t")
    return ModalState(
        customer_id=partial.customer_id,
        project_id=partial.project_id,
        period_from=partial.period_from,
        period_to=partial.period_to,
        period_from_cleared=partial.period_from_cleared,
        period_to_cleared=partial.period_to_cleared,
        grouping=grouping,
        ticked=frozenset(ticked) if ticked is not None else None,
        title=_text(element(TITLE_BLOCK, TITLE_ACTION).get("value")),
        invoice_date=_date(element(DATE_BLOCK, DATE_ACTION).get("selected_date")),
        payment_days=_text(element(PAYMENT_BLOCK, PAYMENT_ACTION).get("value")),
        intro=_text(element(INTRO_BLOCK, INTRO_ACTION).get("value")),
        use_bexio=use_bexio,
        fingerprint=meta.get("fp") if meta.get("v") == version and isinstance(meta.get("fp"), str) else None,
        reference=_text(element(REFERENCE_BLOCK, REFERENCE_ACTION).get("value")),
        line_texts=tuple(texts.items()),
        proposed_title=proposed if isinstance(proposed, str) else None,
    )


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _prefixed_id(selected: dict[str, Any] | None, prefix: str) -> int | None:
    value = (selected or {}).get("value") or ""
    return record_id(value[len(prefix) :]) if isinstance(value, str) and value.startswith(prefix) else None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _text(raw: str | None) -> str | None:
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


# --- building the modal -------------------------------------------------------------------


def loading_view() -> dict[str, Any]:
    return _modal([section(_("Loading unbilled work…"))], submit=None)


def build(data: ModalData) -> dict[str, Any]:
    state = data.state
    preview = data.preview
    steps = _Steps()
    blocks: list[Block] = []
    if data.changes:
        blocks.append(notice(_("The lines changed since your preview — check them and submit again.")))
        blocks.append(context("\n".join(data.changes)[:3000]))
    blocks.append(section(steps.title(_("Customer and period")) + "\n" + _header_text(data)))
    blocks.append(_customer_input(preview))
    if data.can_add_customer:
        blocks.append(
            actions(button(_("+ New customer"), NEW_CUSTOMER_ACTION, "new"), block_id="invoice_new")
        )
    if state.customer_id is not None and preview is not None:
        blocks.append(_project_input(preview, state.project_id))
    blocks.append(
        _date_input(FROM_BLOCK, _("From (empty: all unbilled work)"), state.period_from, dispatch=True)
    )
    blocks.append(_date_input(TO_BLOCK, _("Up to (empty: today and later)"), state.period_to, dispatch=True))
    if preview is None:
        blocks.append(context(_("Choose a customer to see their billable services.")))
    else:
        blocks.append(
            section(
                steps.title(_("Billable services")) + " " + _("Untick what should not be on this invoice.")
            )
        )
        blocks += _lines_blocks(preview, data.accounts or {}, state)
        blocks += _problem_blocks(data)
        blocks += _edit_text_blocks(preview, state)
        blocks.append(section(preview_text(preview)))
    blocks.append(divider())
    blocks += _options_blocks(data, preview, steps)
    proposed = _proposed_title(data)
    metadata: dict[str, Any] = {"v": selection_version(state), "customer": state.customer_id, "t": proposed}
    if preview is not None:
        metadata["fp"] = preview.fingerprint
    return _modal(blocks, submit=_("Create draft"), metadata=metadata, title=_modal_title(state))


class _Steps:
    """Numbers the steps as they are shown: no "3" after "1" when the lines are not there yet."""

    def __init__(self) -> None:
        self.count = 0

    def title(self, name: str) -> str:
        self.count += 1
        return _("*{number} · {step}*", number=self.count, step=name)


def period_text(period_from: date | None, period_to: date | None) -> str:
    """The chosen period in words: "01.11.2026 – 30.11.2026", "up to 30.11.2026", …"""
    if period_from is not None and period_to is not None:
        if period_from == period_to:
            return _("on {day}", day=_swiss(period_from))
        return _("{first} – {last}", first=_swiss(period_from), last=_swiss(period_to))
    if period_to is not None:
        return _("up to {last}", last=_swiss(period_to))
    if period_from is not None:
        return _("from {first}", first=_swiss(period_from))
    return _("in any period")


def _header_text(data: ModalData) -> str:
    """What step 1 has chosen, always as it is now: the customer and the period."""
    state = data.state
    period = period_text(state.period_from, state.period_to)
    if data.preview is not None:
        return _("*{customer}* · unbilled work {period}.", customer=data.preview.customer.name, period=period)
    if data.unbilled is not None:
        count, total = data.unbilled
        return ngettext(
            "{n} customer with unbilled work {period}: {amount} net. Customers with unbilled work come "
            "first, with the amount.",
            "{n} customers with unbilled work {period}: {amount} net. Customers with unbilled work come "
            "first, with the amount.",
            count,
            period=period,
            amount=format_money(total),
        )
    return _("Customers with unbilled work come first, with the amount.")


def _modal_title(state: ModalState) -> str:
    """The modal's title follows the period: "Invoice November 2026" for one calendar month."""
    start, end = state.period_from, state.period_to
    if start is None or end is None or start.day != 1 or (start.year, start.month) != (end.year, end.month):
        return _(TITLE)
    if (end + timedelta(days=1)).month == end.month:
        return _(TITLE)
    titled = _(
        "Invoice {month} {year}", month=month_name(start.month, current_language.get()), year=start.year
    )
    return titled if len(titled) <= 24 else _(TITLE)


def _modal(
    blocks: list[Block],
    *,
    submit: str | None,
    metadata: dict[str, Any] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(title or _(TITLE)),
        "close": plain(_("Cancel") if submit else _("Close")),
        "blocks": blocks[:100],
        "private_metadata": json.dumps(metadata or {}, separators=(",", ":"))[:3000],
    }
    if submit:
        view["submit"] = plain(submit)
    return view


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    dispatch: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label[:2000]),
        "element": element,
        "optional": optional,
    }
    if dispatch:
        block["dispatch_action"] = True
    if hint:
        block["hint"] = plain(hint[:2000])
    return block


def _customer_input(preview: Preview | None) -> Block:
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": CUSTOMER_ACTION,
        "placeholder": plain(_("Type a name or number")),
        "min_query_length": 0,
    }
    if preview is not None:
        element["initial_option"] = option(preview.customer.name, f"{CUSTOMER_PREFIX}{preview.customer.id}")
    return _input(CUSTOMER_BLOCK, _("Customer"), element, dispatch=True)


def _project_input(preview: Preview, project_id: int | None) -> Block:
    options = [option(_("All projects"), ALL_PROJECTS)]
    options += [
        option(f"{p.nr} {p.name}" if p.nr else p.name, f"{PROJECT_PREFIX}{p.id}")
        for p in preview.projects[:99]
    ]
    chosen = next((o for o in options if o["value"] == f"{PROJECT_PREFIX}{project_id}"), options[0])
    element = {
        "type": "static_select",
        "action_id": PROJECT_ACTION,
        "options": options,
        "initial_option": chosen,
    }
    return _input(PROJECT_BLOCK, _("Project"), element, optional=True, dispatch=True)


def _date_input(
    block_id: str, label: str, day: date | None, *, dispatch: bool, optional: bool = True
) -> Block:
    """A date picker in its own block; the block id is also its action id."""
    element: dict[str, Any] = {"type": "datepicker", "action_id": block_id}
    if day is not None:
        element["initial_date"] = day.isoformat()
    return _input(block_id, label, element, optional=optional, dispatch=dispatch)


def _lines_blocks(preview: Preview, accounts: dict[int, str], state: ModalState) -> list[Block]:
    grouping_options = [option(_(label), grouping.value) for grouping, label in GROUPING_LABELS.items()]
    chosen = next(o for o in grouping_options if o["value"] == preview.selection.grouping.value)
    blocks: list[Block] = [
        _input(
            GROUPING_BLOCK,
            _("Lines"),
            {
                "type": "static_select",
                "action_id": GROUPING_ACTION,
                "options": grouping_options,
                "initial_option": chosen,
            },
            dispatch=True,
        ),
    ]
    lines = preview.lines
    if not lines:
        blocks.append(context(_("Nothing to invoice for this customer in this period.")))
        return blocks
    if preview.too_many is not None:
        too_many = (
            _(
                ":warning: {count} lines do not fit one draft (at most 150). Choose “By activity”, "
                "a project or a shorter period.",
                count=len(lines),
            )
            if preview.selection.grouping is not Grouping.BY_ACTIVITY
            else _(
                ":warning: {count} lines do not fit one draft (at most 150). Choose a project or a "
                "shorter period.",
                count=len(lines),
            )
        )
        blocks.append(section(too_many))
        return blocks
    version = selection_version(state)
    edited = dict(state.line_texts)
    for index in range(0, len(lines), OPTIONS_PER_GROUP):
        group = lines[index : index + OPTIONS_PER_GROUP]
        options = [_line_option(line, accounts, edited.get(line.key)) for line in group]
        element: dict[str, Any] = {"type": "checkboxes", "action_id": LINES_ACTION, "options": options}
        ticked = [o for o, line in zip(options, group, strict=True) if line.key in preview.ticked]
        if ticked:
            element["initial_options"] = ticked
        label = (
            _("Services")
            if len(lines) <= OPTIONS_PER_GROUP
            else _("Services {first}–{last}", first=index + 1, last=index + len(group))
        )
        blocks.append(
            _input(
                f"{LINES_BLOCK_PREFIX}{version}:{index // OPTIONS_PER_GROUP}",
                label,
                element,
                optional=True,
                dispatch=True,
            )
        )
    return blocks


def vat_label(rate: Decimal) -> str:
    """ "VAT 8.1 %" ("MWST 8.1 %"): the rate people know, never bexio's internal code (UN81)."""
    return _("VAT {rate} %", rate=format_amount(rate).rstrip("0").rstrip("."))


def _line_option(line: InvoiceLine, accounts: dict[int, str], edited: str | None = None) -> dict[str, Any]:
    shown = dataclasses.replace(line, text=edited.strip()) if edited and edited.strip() else line
    described = describe_line(shown)
    booking = []
    if line.tax is not None:
        booking.append(vat_label(line.tax.value))
    if line.account_id is not None:
        booking.append(_("account {account}", account=accounts.get(line.account_id, line.account_id)))
    elif line.kind is not LineKind.TEXT:
        booking.append(_("no income account yet"))
    detail = " · ".join(booking)
    if len(described) <= 75:
        return option(described, line.key, detail or None)
    amount = "" if line.kind is LineKind.TEXT else described[len(shown.text) + 3 :]
    return option(shown.text, line.key, " · ".join(part for part in (amount, detail) if part) or None)


def _problem_blocks(data: ModalData) -> list[Block]:
    """Everything that would make the submit refuse the ticked lines, where it can be fixed."""
    preview = data.preview
    assert preview is not None
    blocks: list[Block] = []
    missing = data.missing[:MAX_MISSING_SHOWN]
    for item in missing:
        blocks += _missing_account_blocks(item, data)
    hidden = {_account_owner(item) for item in missing}
    others: list[str] = []
    for messages in preview.problems_by_line().values():
        for message in messages:
            if message not in hidden and message not in others:
                others.append(message)
    if others:
        blocks.append(section("\n".join(f":warning: {message}" for message in others[:20])))
    return blocks


def _account_owner(item: MissingAccount) -> str:
    """The sentence `core` writes for this missing account: shown here as the line's select
    instead (the sentence still answers a submit from a view without the select)."""
    written = getattr(core_lines, "_missing_account", None)
    return written(item.name) if callable(written) else ""


def account_block_id(item: MissingAccount) -> str:
    return f"{ACCOUNT_BLOCK_PREFIX}{item.kind}:{item.id}"


def _missing_account_blocks(item: MissingAccount, data: ModalData) -> list[Block]:
    if item.kind == "activity":
        what = _(
            ":warning: The activity *{name}* has no income account yet, so its lines cannot be booked.",
            name=item.name,
        )
    else:
        what = _(
            ":warning: The expense category *{name}* has no income account yet, so its lines cannot be "
            "booked.",
            name=item.name,
        )
    if not data.can_add_customer:  # not an admin
        admins = ", ".join(f"<@{admin}>" for admin in data.admins[:5])
        ask = (
            _("Ask an admin ({admins}) to choose it in the App Home → Account mapping.", admins=admins)
            if admins
            else _("Ask an admin to choose it in the App Home → Account mapping.")
        )
        return [section(f"{what} {ask}")]
    proposal = data.proposal if item.kind == "category" else None
    if proposal is not None:
        what += " " + _(
            "Proposed: *{account}* — the income account your activities use most.", account=proposal.label
        )
    select: dict[str, Any] = {
        "type": "external_select",
        "action_id": ACCOUNT_ACTION,
        "min_query_length": 0,
        "placeholder": plain(_("Choose an income account")),
    }
    elements = [select]
    if proposal is not None:
        elements.insert(
            0,
            button(
                _("Use {account}", account=proposal.label),
                PROPOSAL_ACTION,
                str(proposal.bexio_id),
                style="primary",
            ),
        )
    return [section(what), actions(*elements, block_id=account_block_id(item))]


def _edit_text_blocks(preview: Preview, state: ModalState) -> list[Block]:
    """A select "Edit a line's text" and one input per line whose text is being edited."""
    if preview.too_many is not None or not preview.ticked_lines:
        return []
    version = selection_version(state)
    edited = dict(state.line_texts)
    lines = {line.key: line for line in preview.lines}
    blocks: list[Block] = []
    shown = [key for key in edited if key in lines][:MAX_EDITED_LINES]
    for key in shown:
        line = lines[key]
        text = edited[key] or line.text
        blocks.append(
            _input(
                f"{LINE_TEXT_PREFIX}{version}:{key}",
                _("Text of “{line}”", line=_fit(line.text, 60)),
                {
                    "type": "plain_text_input",
                    "action_id": LINE_TEXT_ACTION,
                    "multiline": True,
                    "max_length": LINE_TEXT_MAX,
                    "initial_value": text[:LINE_TEXT_MAX],
                },
                optional=True,
                hint=_("What the customer reads on this line. Empty: the text bxhours proposes."),
            )
        )
    candidates = [line for line in preview.ticked_lines if line.key not in edited][:100]
    if candidates and len(shown) < MAX_EDITED_LINES:
        element = {
            "type": "static_select",
            "action_id": EDIT_TEXT_ACTION,
            "placeholder": plain(_("Edit a line's text…")),
            "options": [option(_fit(line.text, 75), line.key) for line in candidates],
        }
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{EDIT_TEXT_BLOCK}:{len(shown)}",
                "elements": [element],
            }
        )
    return blocks


def _fit(text: str, limit: int) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def preview_text(preview: Preview) -> str:
    totals = preview.totals
    currency = preview.currency.name
    count = len(preview.ticked_lines)
    rows = [
        ngettext("*Preview* — {n} line ticked", "*Preview* — {n} lines ticked", count),
        _("Net: {amount}", amount=format_money(totals.net, currency)),
    ]
    for vat in totals.vat:
        rows.append(
            _(
                "{vat} on {base}: {amount}",
                vat=vat_label(vat.rate),
                base=format_money(vat.base, currency),
                amount=format_money(vat.amount, currency),
            )
        )
    if totals.rounding_difference:
        step = (
            _("5 Rappen")
            if preview.currency.round_factor == Decimal("0.05")
            else f"{preview.currency.round_factor}"
        )
        rows.append(
            _(
                "Rounding to {step}: {amount}",
                step=step,
                amount=format_money(totals.rounding_difference, currency),
            )
        )
    rows.append(_("*Total: {amount}*", amount=format_money(totals.total, currency)))
    return "\n".join(rows)


def _proposed_title(data: ModalData) -> str:
    period_end = data.state.period_to or data.today
    return default_title(period_end, data.document_language)


def _options_blocks(data: ModalData, preview: Preview | None, steps: _Steps) -> list[Block]:
    state = data.state
    title_element: dict[str, Any] = {"type": "plain_text_input", "action_id": TITLE_ACTION, "max_length": 255}
    proposed = _proposed_title(data)
    typed = state.title
    follows = (
        typed is None
        or typed == state.proposed_title
        or is_default_title(typed, state.period_to or data.today)
    )
    title_element["initial_value"] = proposed if follows else typed
    payment_element = {
        "type": "number_input",
        "action_id": PAYMENT_ACTION,
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": "365",
        "initial_value": state.payment_days or str(DEFAULT_PAYMENT_DAYS),
    }
    intro_element: dict[str, Any] = {"type": "plain_text_input", "action_id": INTRO_ACTION, "multiline": True}
    if state.intro:
        intro_element["initial_value"] = state.intro
    reference_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REFERENCE_ACTION,
        "max_length": 255,
        "placeholder": plain(_("e.g. their order number")),
    }
    if state.reference:
        reference_element["initial_value"] = state.reference
    use_bexio = data.numbering.use_bexio_default if state.use_bexio is None else state.use_bexio
    bexio_option = option(_("Use bexio invoice number"), USE_BEXIO_NUMBER)
    numbering_element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": NUMBERING_ACTION,
        "options": [bexio_option],
    }
    if use_bexio:
        numbering_element["initial_options"] = [bexio_option]
    number = _(DEFINED_BY_BEXIO) if use_bexio else data.numbering.next_own_number
    numbering_note = _("Invoice number: *{number}*", number=number)
    if data.numbering_problem:
        numbering_note += f"\n:warning: {data.numbering_problem}"
    return [
        section(steps.title(_("Options"))),
        _input(TITLE_BLOCK, _("Title"), title_element),
        _input(REFERENCE_BLOCK, _("Customer's reference"), reference_element, optional=True),
        _date_input(
            DATE_BLOCK, _("Invoice date"), state.invoice_date or data.today, dispatch=False, optional=False
        ),
        _input(PAYMENT_BLOCK, _("Payment term (days)"), payment_element),
        _input(INTRO_BLOCK, _("Intro text"), intro_element, optional=True),
        _input(NUMBERING_BLOCK, _("Numbering"), numbering_element, optional=True, dispatch=True),
        context(numbering_note),
    ]


def _swiss(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


# --- customers in the external select -------------------------------------------------------


def customer_option_groups(choices: Sequence[CustomerChoice]) -> list[dict[str, Any]]:
    with_work = [
        option(f"{c.customer.name} · {format_money(c.unbilled)}", f"{CUSTOMER_PREFIX}{c.customer.id}")
        for c in choices
        if c.unbilled is not None
    ]
    others = [
        option(c.customer.name, f"{CUSTOMER_PREFIX}{c.customer.id}") for c in choices if c.unbilled is None
    ]
    groups = []
    if with_work:
        groups.append({"label": plain(_("Unbilled work")), "options": with_work})
    if others:
        groups.append({"label": plain(_("Other customers")), "options": others})
    return groups


# --- field errors -----------------------------------------------------------------------------


def field_errors(refused: InvoiceRefused, view: dict[str, Any]) -> dict[str, str]:
    """`InvoiceRefused` → errors keyed by the input blocks of the view the person submitted."""
    present = {block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"}
    line_blocks = _line_blocks(view)
    first_lines = next(iter(line_blocks), None)
    fallback = {Field.LINES: first_lines or GROUPING_BLOCK, Field.PROJECT: PROJECT_BLOCK}
    targets = {
        Field.CUSTOMER: CUSTOMER_BLOCK,
        Field.GROUPING: GROUPING_BLOCK,
        Field.TITLE: TITLE_BLOCK,
        Field.INVOICE_DATE: DATE_BLOCK,
        Field.PAYMENT_DAYS: PAYMENT_BLOCK,
        Field.NUMBERING: NUMBERING_BLOCK,
        Field.REFERENCE: REFERENCE_BLOCK,
    }
    errors: dict[str, list[str]] = {}
    for line_key, message in refused.line_errors.items():
        block = line_blocks.get(line_key) or first_lines or GROUPING_BLOCK
        errors.setdefault(block, []).append(message)
    for field, message in refused.errors.items():
        block = targets.get(field) or fallback[field]
        if field is Field.LINES and refused.line_errors:
            continue  # already shown under the lines it concerns
        errors.setdefault(block, []).append(message)
    shown = {block: " ".join(dict.fromkeys(messages))[:2000] for block, messages in errors.items()}
    return {block: text for block, text in shown.items() if block in present} or {
        CUSTOMER_BLOCK: refused.message[:2000]
    }


def _line_blocks(view: dict[str, Any]) -> dict[str, str]:
    """Line key → the checkbox block offering it (first group first)."""
    found: dict[str, str] = {}
    for block in view.get("blocks", []):
        block_id = block.get("block_id") or ""
        if block_id.startswith(LINES_BLOCK_PREFIX):
            for item in (block.get("element") or {}).get("options", []):
                found.setdefault(item["value"], block_id)
    return found


def shown_lines(view: dict[str, Any]) -> dict[str, str]:
    """Line key → what the person saw of it (text and amount) in a view they submitted. Read only
    to say what changed since; nothing of it is billed."""
    shown: dict[str, str] = {}
    for block in view.get("blocks", []):
        if not str(block.get("block_id") or "").startswith(LINES_BLOCK_PREFIX):
            continue
        for item in (block.get("element") or {}).get("options", []):
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                text = (item.get("text") or {}).get("text") or ""
                description = (item.get("description") or {}).get("text") or ""
                shown[item["value"]] = f"{text} {description}".strip()
    return shown


def changes_since(
    before: dict[str, str], preview: Preview | None, accounts: dict[int, str]
) -> tuple[str, ...]:
    """What changed between the lines the person saw and the lines now: added, gone, changed."""
    if preview is None:
        return ()
    now = {}
    for line in preview.lines:
        item = _line_option(line, accounts)
        now[line.key] = (
            item["text"]["text"],
            f"{item['text']['text']} {(item.get('description') or {}).get('text', '')}".strip(),
        )
    found: list[str] = []
    for key, (label, full) in now.items():
        if key not in before:
            found.append(_("New: {line}", line=label))
        elif before[key] != full:
            found.append(_("Changed: {line}", line=label))
    for key, full in before.items():
        if key not in now:
            found.append(_("No longer to invoice: {line}", line=_fit(full, 120)))
    if not found:
        found.append(
            _("The amounts behind the lines changed (hours or expenses were logged, edited or invoiced).")
        )
    return tuple(found[:15])


# --- after submitting -----------------------------------------------------------------------


def notice(text: str) -> Block:
    return section(f":warning: {text}")


def progress_view(note: str | None = None) -> dict[str, Any]:
    blocks = [section(_(":hourglass_flowing_sand: Creating the draft in bexio…"))]
    if note:
        blocks.append(context(note))
    return _modal(blocks, submit=None)


def result_view(outcome: DraftOutcome) -> dict[str, Any]:
    return _modal([section(line) for line in result_lines(outcome)], submit=None)


def result_lines(outcome: DraftOutcome) -> list[str]:
    """The outcome in a few lines: the modal shows them, the DM repeats them."""
    if not outcome.created:
        errors = "\n".join(outcome.errors) or _("no reason given")
        free = _("The hours and expenses are free to invoice again.")
        return [
            _(":x: bexio refused the draft for {customer}.", customer=outcome.customer),
            f"```{errors}```",
            f"{outcome.hint or ''} {free}".strip(),
        ]
    open_label = _("Open in bexio")
    link = f"<{outcome.url}|{open_label}>" if outcome.url else ""
    lines = [
        _(":white_check_mark: Draft {number} created — {link}", number=outcome.document_nr, link=link),
        totals_text(outcome),
    ]
    if outcome.difference is not None:
        lines.append(
            _(
                ":warning: bexio computed {bexio_total}, the preview said {total} (difference {difference}) "
                "— please check the draft in bexio.",
                bexio_total=format_money(outcome.bexio_total or Decimal(0), outcome.currency),
                total=format_money(outcome.total, outcome.currency),
                difference=format_money(outcome.difference, outcome.currency),
            )
        )
    return lines


def totals_text(outcome: DraftOutcome) -> str:
    currency = outcome.currency
    parts = [
        f"{outcome.customer} · {outcome.title}",
        _("Net {amount}", amount=format_money(outcome.total_net, currency)),
    ]
    parts += [
        _("{vat} {amount}", vat=vat_label(vat.rate), amount=format_money(vat.amount, currency))
        for vat in outcome.vat
    ]
    if outcome.rounding:
        parts.append(_("rounding {amount}", amount=format_money(outcome.rounding, currency)))
    parts.append(_("*total {amount}*", amount=format_money(outcome.total, currency)))
    return " · ".join(parts)


def dm_text(outcome: DraftOutcome) -> str:
    if outcome.created:
        return _(
            "✓ Draft {number} created — Open in bexio: {url}", number=outcome.document_nr, url=outcome.url
        )
    return _(
        "bexio refused the draft for {customer}: {errors}",
        customer=outcome.customer,
        errors="; ".join(outcome.errors),
    )
