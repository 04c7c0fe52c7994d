"""How services talk back to people without knowing about Slack.

The bot implements this with the Slack Web API (``bot.notifier``); services receive it as an argument,
so an import job running in a worker can update a progress message without importing Bolt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class Notifier(Protocol):
    async def direct_message(
        self, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> MessageRef:
        """Post a message to the person's DM with the app and return where it is."""

    async def update(self, ref: MessageRef, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Replace a message posted earlier (progress updates)."""

    async def upload_file(
        self,
        user_id: str,
        filename: str,
        content: bytes,
        *,
        title: str,
        initial_comment: str | None = None,
    ) -> None:
        """Share a file in the person's DM with the app (a report, a chart), introduced by
        ``initial_comment``. Raises when Slack refused it: the caller decides whether that matters."""

    async def refresh_home(self, tenant_id: int, user_id: str) -> None:
        """Re-render the person's App Home after something they see there changed.

        Best effort and never raises: what changed is already stored, and the App Home shows it
        the next time it is opened, so a Slack hiccup here must not turn a success into an error."""


class NullNotifier:
    """For the command line: nobody to notify in Slack."""

    async def direct_message(
        self, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> MessageRef:
        return MessageRef("", "")

    async def update(self, ref: MessageRef, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        return None

    async def upload_file(
        self,
        user_id: str,
        filename: str,
        content: bytes,
        *,
        title: str,
        initial_comment: str | None = None,
    ) -> None:
        return None

    async def refresh_home(self, tenant_id: int, user_id: str) -> None:
        return None
