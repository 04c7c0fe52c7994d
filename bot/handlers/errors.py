"""The last line of defence: no traceback ever reaches a Slack user.

Handlers ack first and then work; if the work raises, the person still gets a short, honest message
with a reference they can give an admin, and the traceback goes to the log under that reference.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

log = logging.getLogger("bxhours.bot")


def failure_text(reference: str) -> str:
    return (
        "Sorry — something went wrong on our side and nothing was changed. "
        f"If it happens again, give an admin this reference: `{reference}`."
    )


async def report_failure(exc: BaseException, respond: AsyncRespond | None, body: dict[str, Any]) -> None:
    reference = secrets.token_hex(4)
    log.error(
        "unhandled error %s in %s: %s",
        reference,
        body.get("command") or body.get("type"),
        exc,
        exc_info=exc,
    )
    if respond is not None:
        try:
            await respond(text=failure_text(reference), response_type="ephemeral", replace_original=False)
        except Exception:  # the apology must not raise over the original error
            log.exception("could not tell the user about error %s", reference)
