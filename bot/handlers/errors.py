"""The last line of defence: no traceback ever reaches a Slack user.

Handlers ack first and then work; if the work raises, the person still gets a short, honest message
with a reference they can give an admin, and the traceback goes to the log under that reference.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("bxhours.bot")


def failure_text(reference: str) -> str:
    return (
        "Sorry — something went wrong on our side and nothing was changed. "
        f"If it happens again, give an admin this reference: `{reference}`."
    )


async def report_failure(
    exc: BaseException,
    respond: AsyncRespond | None,
    body: dict[str, Any],
    client: AsyncWebClient | None = None,
) -> None:
    reference = secrets.token_hex(4)
    log.error(
        "unhandled error %s in %s: %s",
        reference,
        body.get("command") or body.get("type"),
        exc,
        exc_info=exc,
    )
    text = failure_text(reference)
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            await respond(text=text, response_type="ephemeral", replace_original=False)
        elif client is not None and (user_id := _user_id(body)):
            # Modal submissions and events carry no response_url: the apology goes to the DM.
            await client.chat_postMessage(channel=user_id, text=text)
    except Exception:  # the apology must not raise over the original error
        log.exception("could not tell the user about error %s", reference)


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict) and user.get("id"):
        return str(user["id"])
    event = body.get("event")
    if isinstance(event, dict) and event.get("user"):
        return str(event["user"])
    return str(body["user_id"]) if body.get("user_id") else None
