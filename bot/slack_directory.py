"""The Slack side of ``services.importing.people.SlackDirectory``: who in the workspace has which e-mail.

``users.list`` pages through the workspace (200 members a call) and stops as soon as every
e-mail asked for is found; one call per bexio user (``users.lookupByEmail``) would cost more in a
company of any size. E-mails need the app's ``users:read.email`` scope.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from services.importing.people import DirectoryUnavailable

PAGE_SIZE = 200


class SlackDirectory:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def email_of(self, user_id: str) -> str | None:
        """A member's e-mail (``users.info``), or None when Slack does not say."""
        try:
            answer = await self.client.users_info(user=user_id)
        except SlackApiError:
            return None
        return _email(answer.get("user") or {})

    async def locale_of(self, user_id: str) -> str | None:
        """The language of a member's Slack account (``de-DE`` …), for ``services.languages``."""
        try:
            answer = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError:
            return None
        locale = (answer.get("user") or {}).get("locale")
        return locale if isinstance(locale, str) else None

    async def admins_and_owners(self) -> dict[str, str]:
        """The workspace's admins and owners: Slack user id → slack_owner | slack_admin."""
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page = await self.client.users_list(limit=PAGE_SIZE, cursor=cursor)
            members: list[dict[str, Any]] = page.get("members", [])
            for member in members:
                if member.get("deleted") or member.get("is_bot"):
                    continue
                if member.get("is_owner") or member.get("is_primary_owner"):
                    found[str(member["id"])] = "slack_owner"
                elif member.get("is_admin"):
                    found[str(member["id"])] = "slack_admin"
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return found

    async def people_by_email(self, emails: Collection[str]) -> dict[str, str]:
        wanted = {email.casefold() for email in emails}
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            try:
                page = await self.client.users_list(limit=PAGE_SIZE, cursor=cursor)
            except SlackApiError as exc:
                error = exc.response.get("error", "unknown error")
                raise DirectoryUnavailable(
                    f"Slack refused to list the workspace's members ({error})"
                ) from None
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise DirectoryUnavailable(
                    f"Slack could not be reached ({type(exc).__name__}); people are matched at the next import"
                ) from None
            members: list[dict[str, Any]] = page.get("members", [])
            for member in members:
                email = _email(member)
                if email in wanted and email not in found:
                    found[email] = str(member["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None or found.keys() >= wanted:
                return found


def _email(member: dict[str, Any]) -> str | None:
    if member.get("deleted") or member.get("is_bot") or member.get("id") == "USLACKBOT":
        return None
    email = (member.get("profile") or {}).get("email")
    return email.casefold() if isinstance(email, str) and email else None
