"""The App Home's bexio section for admins: connect, reconnect, disconnect, and the company.

The Connect button is a link (``url``) to ``/bexio/connect`` with a ticket valid 15 minutes; the App
Home is published again whenever it is opened, so the link is fresh when clicked. Slack also sends a
``block_actions`` for a link button: it is acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from bot.views.blocks import Block, actions, button, context, section
from core.i18n import _
from services.home import HomeData

CONNECT_ACTION = "bexio_connect"
DISCONNECT_ACTION = "bexio_disconnect"
BLOCK_ID = "home_bexio"

BX = "`BX`"
"""The original product's bexio mark, as text."""


def blocks(data: HomeData) -> list[Block]:
    if not data.is_admin or data.connection is None:
        return []
    view = data.connection
    out: list[Block] = []
    connected = view.state in ("connected", "unchecked") and view.auth_kind is not None
    if connected:
        facts = [f"{BX} ✓ " + _("*Connected to {company}*", company=view.company_name or "bexio")]
        vat = view.vat_number and _("VAT {number}", number=view.vat_number)
        details = " · ".join(part for part in (view.company_address, vat) if part)
        if details:
            facts.append(details)
        out.append(section("\n".join(facts), block_id="home_bexio_company"))
    elements: list[dict[str, Any]] = []
    if data.connect_url:
        if view.state == "broken":
            elements.append(
                button(
                    _("Reconnect bexio"), CONNECT_ACTION, "reconnect", style="primary", url=data.connect_url
                )
            )
        elif view.missing_scopes:
            label = _("Reconnect to allow {scopes}", scopes=", ".join(view.missing_scopes))
            elements.append(button(label, CONNECT_ACTION, "scopes", style="primary", url=data.connect_url))
        elif not connected:
            elements.append(
                button(_("Connect bexio"), CONNECT_ACTION, "connect", style="primary", url=data.connect_url)
            )
        if connected or view.state == "broken":
            disconnect = button(_("Disconnect"), DISCONNECT_ACTION, "disconnect", style="danger")
            disconnect["confirm"] = {
                "title": {"type": "plain_text", "text": _("Disconnect bexio?")},
                "text": {
                    "type": "mrkdwn",
                    "text": _(
                        "bxhours signs out of bexio and forgets its tokens. Hours, invoices and settings "
                        "stay; connect again at any time."
                    ),
                },
                "confirm": {"type": "plain_text", "text": _("Disconnect")},
                "deny": {"type": "plain_text", "text": _("Cancel")},
                "style": "danger",
            }
            elements.append(disconnect)
    if elements:
        out.append(actions(*elements, block_id=BLOCK_ID))
    if data.webhook_url:
        out.append(context(_("Change notifications for this workspace: `POST {url}`", url=data.webhook_url)))
    return out


def reconnect_message(reason: str, connect_url: str) -> tuple[str, list[Block]]:
    """The DM to admins when bexio refused bxhours' sign-in: what happened and the Reconnect link
    (valid 15 minutes; the App Home always has a fresh one)."""
    text = _(
        "⚠️ bexio refused bxhours' sign-in ({reason}). Imports, change polls and invoice drafts wait "
        "until an admin reconnects; they resume by themselves then.",
        reason=reason,
    )
    return text, [
        section(text),
        actions(button(_("Reconnect bexio"), CONNECT_ACTION, "reconnect", style="primary", url=connect_url)),
        context(_("The link is valid for 15 minutes — the bxhours App Home always has a fresh one.")),
    ]
