"""The last line of defence: no traceback ever reaches a Slack user, and nothing is said to anyone
about a request that was not verified.

Handlers ack first and then work; if the work raises, the person still gets a short, honest message
with a reference they can give an admin, and the traceback goes to the log under that reference and
the request's id. Honest means: "nothing was changed" only when the request's write was not committed
(``storage.inbox`` knows); a request finished after a restart whose write had been committed before
it is answered as done.

Only data of a verified request is ever used (the respond URL, the user to message): the front door
marks what it verified, and an error on anything else — which cannot reach a handler — is logged in
one line and answered to nobody (issue 12 §1).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbox import NotTaken
from bot.request_context import in_recovery, request_id, run_of
from bot.requests import is_verified
from core.i18n import _, language_scope
from storage.inbox import AlreadyApplied

log = logging.getLogger("bxhours.bot")

SPOKEN = "bxhours_language"
"""The context key under which ``bot.handlers.surfaces`` leaves the language of the person whose
handler failed: the handler's language scope has ended by the time the apology is written."""


def failure_text(reference: str, *, saved: bool = False, restarted: bool = False) -> str:
    if saved:
        return _(
            "Your change was saved, but something went wrong on our side afterwards, so this answer "
            "comes late. If something looks wrong, give an admin this reference: `{reference}`.",
            reference=reference,
        )
    if restarted:
        return _(
            "Sorry — bxhours restarted and could not finish this afterwards; nothing was changed. "
            "Please try again. If it happens again, give an admin this reference: `{reference}`.",
            reference=reference,
        )
    return _(
        "Sorry — something went wrong on our side and nothing was changed. "
        "If it happens again, give an admin this reference: `{reference}`.",
        reference=reference,
    )


def done_before_restart_text(body: dict[str, Any]) -> str:
    """For a request finished after a restart whose write had been committed before it."""
    command = body.get("command")
    if isinstance(command, str):
        what = f"`{command} {body.get('text') or ''}`".replace(" `", "`")
        return _("✓ Your {command} went through just before bxhours restarted: it is saved.", command=what)
    if body.get("type") == "view_submission":
        return _("✓ Your form went through just before bxhours restarted: it is saved.")
    return _("✓ Your click went through just before bxhours restarted: it is saved.")


async def report_failure(
    exc: BaseException,
    respond: AsyncRespond | None,
    body: dict[str, Any],
    client: AsyncWebClient | None = None,
    context: Mapping[str, Any] | None = None,
) -> None:
    if not is_verified(context):
        log.warning("error on an unverified request (%s); nobody is answered", type(exc).__name__)
        return
    if isinstance(exc, NotTaken):  # a replay, or answered busy: its handler never ran
        return
    with language_scope((context or {}).get(SPOKEN)):
        await _apologise(exc, respond, body, client, context)


async def _apologise(
    exc: BaseException,
    respond: AsyncRespond | None,
    body: dict[str, Any],
    client: AsyncWebClient | None,
    context: Mapping[str, Any] | None,
) -> None:
    req_id = request_id(context)
    if isinstance(exc, AlreadyApplied):
        log.info("request %s had been applied before a restart; telling the person", req_id)
        text = done_before_restart_text(body)
    else:
        reference = secrets.token_hex(4)
        run = run_of(context)
        log.error(
            "unhandled error %s in request %s (%s): %s",
            reference,
            req_id or "-",
            body.get("command") or body.get("type"),
            exc,
            exc_info=exc,
        )
        text = failure_text(reference, saved=run is not None and run.applied, restarted=in_recovery(context))
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            # The front door's respond falls back to the DM when the response_url cannot be used.
            await respond(text=text, response_type="ephemeral", replace_original=False)
        elif client is not None and (user_id := _user_id(body)):
            # Modal submissions and events carry no response_url: the apology goes to the DM.
            await client.chat_postMessage(channel=user_id, text=text)
    except Exception:  # the apology must not raise over the original error
        log.exception("could not tell the user about error in request %s", req_id)


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str) and user.get("id"):
        return str(user["id"])
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str) and event.get("user"):
        return str(event["user"])
    user_id = body.get("user_id")
    return user_id if isinstance(user_id, str) and user_id else None
