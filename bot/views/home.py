"""The App Home: what the person needs at a glance, and the admin tools.

Sections are rendered from ``services.home.HomeData`` so that loading (services) and layout (here)
stay apart; each feature adds its section here and its data there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import (
    absence,
    account_mapping,
    bexio_connection,
    bx_sync,
    new_customer,
    onboarding,
    reminder,
    settings_modal,
    timers,
    week,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    option,
    section,
    static_select,
)
from core.i18n import LANGUAGE_NAMES, LANGUAGES, _, language_scope
from core.money import format_money
from services.container import Services
from services.home import HomeData

LANGUAGE_ACTION = "home_language"
LANGUAGE_BLOCK = "home_language"
AUTOMATIC = "auto"
"""The language select's value for "no choice of my own": Slack's language, else the workspace's."""
LANGUAGE_VALUES = (AUTOMATIC, *LANGUAGES)


async def build(
    services: Services, tenant_id: int, user_id: str, week_of: date | None = None
) -> dict[str, Any]:
    data = await services.home.load(tenant_id, user_id, week_of)
    with language_scope(data.language):  # the person's, whoever asked for the refresh
        view = render(data)
        if data.person_name and services.reminders is not None:  # issue 17 §1: time and opt-out
            reminder.add_to_home(view, *await services.reminders.preference(tenant_id, user_id))
        return view


def render(data: HomeData) -> dict[str, Any]:
    blocks: list[Block] = [header("bxhours")]
    if data.person_name:
        blocks.append(
            section(
                _(
                    "Hi {name}. Log time with `/log-hours`, expenses with `/log-expense`.",
                    name=data.person_name,
                )
            )
        )
        blocks.append(  # issue 16 §6
            actions(button(_("Log absence"), absence.OPEN_FORM_ACTION, "open"), block_id="home_absence")
        )
    else:
        blocks.append(
            section(
                _(
                    "You are not linked to a bexio user yet, so you cannot log time. "
                    "An admin can link you with `/bx-sync link @you your-bexio-email`."
                )
            )
        )
    if data.timers or data.recents:  # issue 17 §3-4: the running timer and recent combinations first
        blocks += [divider(), *timers.home_blocks(data.timer, list(data.timer_questions), list(data.recents))]
    week_at = len(blocks)
    if data.invoices:
        blocks += [divider(), *invoice_blocks(data)]
    blocks += [divider(), language_block(data)]
    if data.is_admin:
        blocks += [divider(), header(_("Admin"))]
        blocks += onboarding.blocks(data.onboarding, can_connect=data.connect_url is not None)
        blocks += bexio_connection.blocks(data)
        blocks.append(
            actions(button(_("Settings"), settings_modal.OPEN_ACTION, "open"), block_id="home_admin")
        )
        blocks.append(
            actions(
                button(_("Account mapping"), account_mapping.OPEN_ACTION, "open"),
                button(_("+ New customer"), new_customer.OPEN_ACTION, "open"),
                block_id="home_invoicing",
            )
        )
    blocks.append(divider())
    if data.connection is not None:
        blocks += bx_sync.connection_footer(data.connection, is_admin=data.is_admin)
    else:
        blocks.append(context(data.connection_line))
    if data.week is not None:
        budget = week.HOME_BLOCK_LIMIT - len(blocks) - 1
        blocks[week_at:week_at] = [divider(), *week.blocks(data.week, budget=budget)]
    view: dict[str, Any] = {"type": "home", "blocks": blocks[:100]}
    if data.week is not None:
        view["private_metadata"] = data.week.monday.isoformat()
    return view


def invoice_blocks(data: HomeData) -> list[Block]:
    """ "Your invoices": the last ones the person started, with what bexio says about them."""
    lines = []
    for invoice in data.invoices:
        number = f"<{invoice.url}|{invoice.number}>" if invoice.url else invoice.number
        total = f" · {format_money(invoice.total)}" if invoice.total is not None else ""
        lines.append(f"*{number}* {invoice.status} — {invoice.customer}{total}")
    return [section(_("*Your invoices*") + "\n" + "\n".join(lines), block_id="home_invoices")]


def language_block(data: HomeData) -> Block:
    """ "Your language": Automatic (their Slack account's, else the workspace's) or one of the four."""
    automatic_name = LANGUAGE_NAMES.get(data.automatic_language or data.language, "")
    automatic = option(
        _("Automatic (Slack: {language})", language=automatic_name)
        if data.slack_language
        else _("Automatic ({language})", language=automatic_name),
        AUTOMATIC,
    )
    choices = [automatic, *(option(LANGUAGE_NAMES[code], code) for code in LANGUAGES)]
    initial = next((o for o in choices if o["value"] == data.chosen_language), automatic)
    select = static_select(LANGUAGE_ACTION, choices, placeholder=_("Language"), initial=initial)
    return section(
        _("*Your language* — what bxhours speaks to you in."), block_id=LANGUAGE_BLOCK, accessory=select
    )
