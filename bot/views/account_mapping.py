"""Settings → Account mapping (admins): the bexio income account of every activity and expense
category, each a searchable select over bexio's active income accounts; long lists are paged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.views.blocks import Block, actions, button, context, modal, option, plain, section
from bot.views.payload import record_id
from core.i18n import N_, _
from services.invoicing.accounts import AccountChoice, MappingRow, RowKind

CALLBACK_ID = "account_mapping"
OPEN_ACTION = "home_account_mapping"
ACCOUNT_ACTION = "mapping_account"
PAGE_ACTION = "mapping_page"
PROPOSAL_ACTION = "mapping_proposal"
"""The account mapping's one click: the proposed account for the expense categories without one."""
HOME_PROPOSAL_ACTION = "home_account_proposal"
"""The same click in the App Home's setup checklist."""
PROPOSAL_BLOCK = "mapping_proposal"
ROW_PREFIX = "map:"
PAGE_SIZE = 40
"""Rows per page: 40 inputs and a few blocks around them stay under Slack's 100 blocks."""
_KIND_LABEL = {"activity": N_("Activity"), "category": N_("Expense category")}


def block_id_for(kind: RowKind, row_id: int) -> str:
    return f"{ROW_PREFIX}{kind}:{row_id}"


def account_option(account: AccountChoice) -> dict[str, Any]:
    return option(account.label, str(account.bexio_id))


def proposal_block(proposal: AccountChoice, action_id: str) -> Block:
    """The proposed income account for the expense categories that have none, confirmed in one
    click — until then nothing is booked to it (issue 15 §5)."""
    return section(
        _(
            "Proposed for the expense categories without an account: *{account}* — the income account "
            "your activities use most.",
            account=proposal.label,
        ),
        block_id=PROPOSAL_BLOCK,
        accessory=button(
            _("Use {account}", account=proposal.label), action_id, str(proposal.bexio_id), style="primary"
        ),
    )


def build(rows: Sequence[MappingRow], page: int = 0, proposal: AccountChoice | None = None) -> dict[str, Any]:
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    blocks: list[Block] = [
        section(
            _(
                "Every invoice line is booked to the income account chosen here. Activities follow their "
                "account in bexio until you choose another one."
            )
        )
    ]
    if proposal is not None and any(row.kind == "category" and row.account is None for row in rows):
        blocks.append(proposal_block(proposal, PROPOSAL_ACTION))
    for row in shown:
        element: dict[str, Any] = {
            "type": "external_select",
            "action_id": ACCOUNT_ACTION,
            "min_query_length": 0,
            "placeholder": plain(_("No account — type a number or name")),
        }
        if row.account is not None:
            element["initial_option"] = account_option(row.account)
        hint = _(_KIND_LABEL[row.kind])
        if row.kind == "activity":
            default = row.bexio_default.label if row.bexio_default else _("none")
            hint += " · " + _("bexio's default: {account}", account=default)
        blocks.append(
            {
                "type": "input",
                "block_id": block_id_for(row.kind, row.id),
                "label": plain(row.name[:2000]),
                "element": element,
                "optional": True,
                "hint": plain(hint),
            }
        )
    if not shown:
        blocks.append(context(_("No activities or expense categories yet — import from bexio first.")))
    if pages > 1:
        buttons = []
        if page > 0:
            buttons.append(button(_("◀ Previous"), PAGE_ACTION, str(page - 1)))
        if page < pages - 1:
            buttons.append(button(_("Next ▶"), PAGE_ACTION, str(page + 1)))
        blocks.append(
            context(
                _(
                    "Page {page} of {pages}; changes on this page are saved when you turn it.",
                    page=page + 1,
                    pages=pages,
                )
            )
        )
        blocks.append(actions(*buttons, block_id="mapping_pages"))
    return modal(_("Account mapping"), blocks, callback_id=CALLBACK_ID, submit=_("Save"))


def submitted_choices(values: dict[str, Any]) -> dict[tuple[RowKind, int], int]:
    """Row → chosen bexio account id, for the rows of the submitted page that have one (a Slack
    select cannot be emptied again, so a row without a choice is simply left as it is)."""
    choices: dict[tuple[RowKind, int], int] = {}
    for block_id, state in values.items():
        if not block_id.startswith(ROW_PREFIX):
            continue
        kind, _sep, raw_id = block_id.removeprefix(ROW_PREFIX).partition(":")
        row_id = record_id(raw_id)
        if kind not in ("activity", "category") or row_id is None:
            continue
        selected = (state.get(ACCOUNT_ACTION) or {}).get("selected_option") or {}
        account = record_id(selected.get("value"))
        if account is not None:
            row_kind: RowKind = "activity" if kind == "activity" else "category"
            choices[(row_kind, row_id)] = account
    return choices
