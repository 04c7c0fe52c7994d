"""The `/invoice` modal: who and which period, the billable services as ticked lines, options, a
preview in Swiss format — then "Creating the draft in bexio…" and the result.

Every input that changes the preview dispatches an action, and the handler re-renders the whole
modal with ``views.update``. Lines are checkbox groups of at most 10 options (Slack's limit); the
group block ids carry a version of the selection, so a new customer, project, period or grouping
starts with every line ticked again while ticks survive any other change. When the lines do not
fit one draft they are not offered one by one: the modal says so and offers the coarser grouping.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.views.blocks import Block, actions, button, context, divider, option, plain, section
from bot.views.payload import record_id
from core.i18n import N_, _, ngettext
from core.invoice_lines import Grouping, InvoiceLine, LineKind, describe_line
from core.invoice_totals import default_title, is_default_title
from core.money import format_amount, format_money
from services.invoicing import DraftOutcome, Field, InvoiceRefused, Numbering
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

REFRESH_ACTIONS = re.compile(
    rf"^({CUSTOMER_ACTION}|{PROJECT_ACTION}|{FROM_ACTION}|{TO_ACTION}|{GROUPING_ACTION}|"
    rf"{LINES_ACTION}|{NUMBERING_ACTION})$"
)
"""The inputs whose change re-renders the modal (text fields are only read on submit)."""

# Each input lives in a block named after its action, except the line groups.
CUSTOMER_BLOCK, PROJECT_BLOCK, FROM_BLOCK, TO_BLOCK = CUSTOMER_ACTION, PROJECT_ACTION, FROM_ACTION, TO_ACTION
GROUPING_BLOCK, TITLE_BLOCK, DATE_BLOCK = GROUPING_ACTION, TITLE_ACTION, DATE_ACTION
PAYMENT_BLOCK, INTRO_BLOCK, NUMBERING_BLOCK = PAYMENT_ACTION, INTRO_ACTION, NUMBERING_ACTION
LINES_BLOCK_PREFIX = "invoice_lines:"

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
    period_to_cleared: bool = False
    grouping: Grouping = Grouping.BY_ACTIVITY
    ticked: frozenset[str] | None = None
    """None: the selection changed (or nothing was shown yet), so every line is ticked."""
    title: str | None = None
    invoice_date: date | None = None
    payment_days: str | None = None
    intro: str | None = None
    use_bexio: bool | None = None
    fingerprint: str | None = None

    def period_end(self, default: date) -> date | None:
        """The period's last day: the one picked, none when the person cleared it, else ``default``."""
        return None if self.period_to_cleared else (self.period_to or default)


@dataclass(frozen=True)
class ModalData:
    """Everything a render needs, loaded by the handler from the invoicing service."""

    state: ModalState
    default_period_to: date
    today: date
    numbering: Numbering
    preview: Preview | None = None
    accounts: dict[int, str] | None = None
    unbilled: tuple[int, Decimal] | None = None
    """(customers with unbilled work, their net total), shown before a customer is chosen."""
    can_add_customer: bool = False
    document_language: str = "de"
    """The customer's language: the default title is written in it, as the draft will be."""


def selection_version(state: ModalState) -> str:
    raw = f"{state.customer_id}|{state.project_id}|{state.period_from}|{state.period_to}|{state.grouping}"
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
    try:
        grouping = Grouping(grouping_option.get("value", Grouping.BY_ACTIVITY.value))
    except ValueError:
        grouping = Grouping.BY_ACTIVITY
    to_state = element(TO_BLOCK, TO_ACTION)
    partial = ModalState(
        customer_id=customer,
        project_id=project,
        period_from=_date(element(FROM_BLOCK, FROM_ACTION).get("selected_date")),
        period_to=_date(to_state.get("selected_date")),
        period_to_cleared=TO_BLOCK in values and not to_state.get("selected_date"),
        grouping=grouping,
    )
    version = selection_version(partial)
    ticked: set[str] | None = None
    for block_id, actions_state in values.items():
        if block_id.startswith(f"{LINES_BLOCK_PREFIX}{version}:"):
            chosen = (actions_state.get(LINES_ACTION) or {}).get("selected_options") or []
            ticked = (ticked or set()) | {item["value"] for item in chosen}
    numbering = element(NUMBERING_BLOCK, NUMBERING_ACTION)
    use_bexio = (
        any(item.get("value") == USE_BEXIO_NUMBER for item in numbering.get("selected_options") or [])
        if NUMBERING_BLOCK in values
        else None
    )
    return ModalState(
        customer_id=partial.customer_id,
        project_id=partial.project_id,
        period_from=partial.period_from,
        period_to=partial.period_to,
        period_to_cleared=partial.period_to_cleared,
        grouping=grouping,
        ticked=frozenset(ticked) if ticked is not None else None,
        title=_text(element(TITLE_BLOCK, TITLE_ACTION).get("value")),
        invoice_date=_date(element(DATE_BLOCK, DATE_ACTION).get("selected_date")),
        payment_days=_text(element(PAYMENT_BLOCK, PAYMENT_ACTION).get("value")),
        intro=_text(element(INTRO_BLOCK, INTRO_ACTION).get("value")),
        use_bexio=use_bexio,
        fingerprint=meta.get("fp") if meta.get("v") == version and isinstance(meta.get("fp"), str) else None,
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
    blocks: list[Block] = []
    intro = _("*1 · Customer and period.* Customers with unbilled work come first, with the amount.")
    if data.unbilled is not None and state.customer_id is None:
        count, total = data.unbilled
        unbilled = ngettext(
            "{n} customer with unbilled work up to {date}: {amount} net.",
            "{n} customers with unbilled work up to {date}: {amount} net.",
            count,
            date=_swiss(data.default_period_to),
            amount=format_money(total),
        )
        intro = f"{intro}\n{unbilled}"
    blocks.append(section(intro))
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
    period_to = state.period_end(data.default_period_to)
    blocks.append(_date_input(TO_BLOCK, _("Up to"), period_to, dispatch=True))
    if preview is None:
        blocks.append(context(_("Choose a customer to see their billable services.")))
    else:
        blocks += _lines_blocks(preview, data.accounts or {}, state)
        blocks.append(section(preview_text(preview)))
    blocks.append(divider())
    blocks += _options_blocks(data, preview)
    metadata: dict[str, Any] = {"v": selection_version(state), "customer": state.customer_id}
    if preview is not None:
        metadata["fp"] = preview.fingerprint
    return _modal(blocks, submit=_("Create draft"), metadata=metadata)


def _modal(
    blocks: list[Block], *, submit: str | None, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(_(TITLE)),
        "close": plain(_("Cancel") if submit else _("Close")),
        "blocks": blocks[:100],
        "private_metadata": json.dumps(metadata or {}, separators=(",", ":")),
    }
    if submit:
        view["submit"] = plain(submit)
    return view


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, dispatch: bool = False
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
    return block


def _customer_input(preview: Preview | None) -> Block:
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": CUSTOMER_ACTION,
        "placeholder": plain(_("Type a name or number")),
        "min_query_length": 0,
    }
    if preview is not None:
        element["initial_option"] = option(preview.customer.label, f"{CUSTOMER_PREFIX}{preview.customer.id}")
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
        section(_("*2 · Billable services.* Untick what should not be on this invoice.")),
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
    for index in range(0, len(lines), OPTIONS_PER_GROUP):
        group = lines[index : index + OPTIONS_PER_GROUP]
        options = [_line_option(line, accounts) for line in group]
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


def _line_option(line: InvoiceLine, accounts: dict[int, str]) -> dict[str, Any]:
    described = describe_line(line)
    booking = []
    if line.tax is not None:
        booking.append(f"{line.tax.code} {format_amount(line.tax.value).rstrip('0').rstrip('.')} %")
    if line.account_id is not None:
        booking.append(_("account {account}", account=accounts.get(line.account_id, line.account_id)))
    detail = " · ".join(booking)
    if len(described) <= 75:
        return option(described, line.key, detail or None)
    amount = "" if line.kind is LineKind.TEXT else described[len(line.text) + 3 :]
    return option(line.text, line.key, " · ".join(part for part in (amount, detail) if part) or None)


def preview_text(preview: Preview) -> str:
    totals = preview.totals
    currency = preview.currency.name
    count = len(preview.ticked_lines)
    rows = [
        ngettext("*Preview* — {n} line ticked", "*Preview* — {n} lines ticked", count),
        _("Net: {amount}", amount=format_money(totals.net, currency)),
    ]
    for vat in totals.vat:
        rate = format_amount(vat.rate).rstrip("0").rstrip(".")
        rows.append(
            _(
                "VAT {code} {rate} % on {base}: {amount}",
                code=vat.code,
                rate=rate,
                base=format_money(vat.base, currency),
                amount=format_money(vat.amount, currency),
            )
        )
    rows.append(_("Total: {amount}", amount=format_money(totals.total_unrounded, currency)))
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
    rows.append(_("*Grand total: {amount}*", amount=format_money(totals.total, currency)))
    return "\n".join(rows)


def _options_blocks(data: ModalData, preview: Preview | None) -> list[Block]:
    state = data.state
    period_end = (preview.selection.period_to if preview else None) or data.default_period_to
    title_element: dict[str, Any] = {"type": "plain_text_input", "action_id": TITLE_ACTION, "max_length": 255}
    proposed = default_title(period_end, data.document_language)
    title_element["initial_value"] = (
        state.title if state.title and not is_default_title(state.title, period_end) else proposed
    )
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
    return [
        section(_("*3 · Options*")),
        _input(TITLE_BLOCK, _("Title"), title_element),
        _date_input(
            DATE_BLOCK, _("Invoice date"), state.invoice_date or data.today, dispatch=False, optional=False
        ),
        _input(PAYMENT_BLOCK, _("Payment term (days)"), payment_element),
        _input(INTRO_BLOCK, _("Intro text"), intro_element, optional=True),
        _input(NUMBERING_BLOCK, _("Numbering"), numbering_element, optional=True, dispatch=True),
        context(_("Invoice number: *{number}*", number=number)),
    ]


def _swiss(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


# --- customers in the external select -------------------------------------------------------


def customer_option_groups(choices: Sequence[CustomerChoice]) -> list[dict[str, Any]]:
    with_work = [
        option(f"{c.customer.label} · {format_money(c.unbilled)}", f"{CUSTOMER_PREFIX}{c.customer.id}")
        for c in choices
        if c.unbilled is not None
    ]
    others = [
        option(c.customer.label, f"{CUSTOMER_PREFIX}{c.customer.id}") for c in choices if c.unbilled is None
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
        _("VAT {code} {amount}", code=vat.code, amount=format_money(vat.amount, currency))
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
