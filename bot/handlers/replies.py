"""Telling the person something after the acknowledgement — and making sure they hear it.

An answer after the acknowledgement goes to the request's ``response_url``: an ephemeral message
where the person acted. That URL can be missing (modals, the App Home), expired (30 minutes),
unreachable or answered with an error by Slack; the person must hear back all the same, so
``Tell`` falls back to a direct message. Handlers receive one per request (``tell``).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from services.notifier import Notifier

log = logging.getLogger(__name__)

_ONLY_FOR_RESPONSE_URL = ("response_type", "replace_original", "delete_original")


class Tell:
    def __init__(self, respond: AsyncRespond | None, notifier: Notifier, user_id: str | None) -> None:
        self._respond = respond
        self._notifier = notifier
        self._user_id = user_id

    async def __call__(self, **message: Any) -> bool:
        """Post ``message`` (``text``, ``blocks``, ``response_type``, ``replace_original``) where
        the person acted, else as a direct message; False when neither reached them."""
        if self._respond is not None:
            try:
                answer = await self._respond(**message)
            except Exception as exc:  # unreachable, timed out, refused: the DM still reaches them
                log.info("response_url failed (%s); answering by direct message", type(exc).__name__)
            else:
                if answer.status_code == 200:
                    return True
                log.info("response_url answered HTTP %s; answering by direct message", answer.status_code)
        return await self.direct(**message)

    async def direct(self, **message: Any) -> bool:
        """``message`` as a direct message to the person."""
        if not self._user_id:
            return False
        fields = {key: value for key, value in message.items() if key not in _ONLY_FOR_RESPONSE_URL}
        try:
            await self._notifier.direct_message(self._user_id, fields.get("text", ""), fields.get("blocks"))
        except Exception as exc:  # nothing is left to try; the log says who missed what
            log.warning("could not reach %s by direct message either: %s", self._user_id, exc)
            return False
        return True
