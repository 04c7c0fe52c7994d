"""Who exists in the fake Slack: workspaces (some in an Enterprise Grid organisation), their people,
the app's installations and the tokens Slack issued for them.

Pure data, no HTTP: ``slack_api.FakeSlack`` answers the Web API from it and ``slack_oauth`` fills it
through the authorize page and ``oauth.v2.access``.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Scopes Slack knows. Bot scopes: every one bxhours asks for or may ask for (manifest.yml and issue 13:
# commands, chat:write, chat:write.public, users:read, users:read.email, im:write, files:write, team:read)
# and the common others. A scope outside these lists is refused on the authorize page, as Slack
# refuses an invalid one ("Invalid permissions requested"). The lists are not Slack's complete list.
BOT_SCOPES: frozenset[str] = frozenset(
    {
        "app_mentions:read",
        "assistant:write",
        "bookmarks:read",
        "bookmarks:write",
        "calls:read",
        "calls:write",
        "canvases:read",
        "canvases:write",
        "channels:history",
        "channels:join",
        "channels:manage",
        "channels:read",
        "chat:write",
        "chat:write.customize",
        "chat:write.public",
        "commands",
        "conversations.connect:manage",
        "conversations.connect:read",
        "conversations.connect:write",
        "dnd:read",
        "emoji:read",
        "files:read",
        "files:write",
        "groups:history",
        "groups:read",
        "groups:write",
        "im:history",
        "im:read",
        "im:write",
        "incoming-webhook",
        "links:read",
        "links:write",
        "metadata.message:read",
        "mpim:history",
        "mpim:read",
        "mpim:write",
        "pins:read",
        "pins:write",
        "reactions:read",
        "reactions:write",
        "reminders:read",
        "reminders:write",
        "remote_files:read",
        "remote_files:share",
        "remote_files:write",
        "team.billing:read",
        "team.preferences:read",
        "team:read",
        "usergroups:read",
        "usergroups:write",
        "users.profile:read",
        "users:read",
        "users:read.email",
        "users:write",
        "workflow.steps:execute",
    }
)
USER_SCOPES: frozenset[str] = (
    BOT_SCOPES
    - {"commands", "incoming-webhook", "workflow.steps:execute", "assistant:write", "chat:write.customize"}
) | {
    "dnd:write",
    "identify",
    "search:read",
    "stars:read",
    "stars:write",
    "users.profile:write",
}

# What the token that exists before any OAuth install (``FakeSlack().bot_token``) was granted.
DEFAULT_BOT_SCOPES: tuple[str, ...] = ("commands", "chat:write", "users:read", "users:read.email", "im:write")

TOKEN_LIFETIME = 43200
"""Seconds an access token lives with token rotation on (12 hours, docs.slack.dev "Using token rotation")."""

CODE_LIFETIME = 600
"""Seconds an authorization code may be exchanged (10 minutes)."""

_serial = itertools.count(1)


def random_digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def new_id(prefix: str) -> str:
    """A Slack-looking id: ``U`` users, ``W`` Grid users, ``B`` bots, ``T`` teams, ``E`` orgs."""
    return f"{prefix}0{next(_serial):03d}{secrets.token_hex(3).upper()}"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"


def split_scopes(raw: str | None) -> list[str]:
    """``scope``/``user_scope`` as sent: comma-separated (Bolt's form); spaces are tolerated."""
    seen: list[str] = []
    for scope in re.split(r"[,\s]+", raw or ""):
        if scope and scope not in seen:
            seen.append(scope)
    return seen


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


@dataclass
class WorkspaceUser:
    id: str
    email: str
    name: str
    real_name: str
    is_admin: bool = False
    deleted: bool = False
    is_bot: bool = False
    tz: str = "Europe/Zurich"
    is_owner: bool = False
    is_primary_owner: bool = False
    locale: str = "en-US"
    team_id: str = ""

    def as_slack(
        self,
        team_id: str | None = None,
        *,
        enterprise: Enterprise | None = None,
        include_locale: bool = False,
    ) -> dict[str, Any]:
        """The user object of ``users.info``/``users.list`` (slack-payloads.md §6.3)."""
        team = team_id or self.team_id
        first, _, last = self.real_name.partition(" ")
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": team,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": _tz_offset(self.tz),
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "updated": 1700000000,
            "profile": {
                "email": self.email,
                "real_name": self.real_name,
                "display_name": self.name,
                "first_name": first,
                "last_name": last,
                "team": team,
            },
        }
        if include_locale:
            user["locale"] = self.locale
        if enterprise is not None:
            user["enterprise_user"] = {
                "id": self.id,
                "enterprise_id": enterprise.id,
                "enterprise_name": enterprise.name,
                "is_admin": self.is_admin,
                "is_owner": self.is_owner,
                "teams": [team],
            }
        return user


@dataclass
class Enterprise:
    """An Enterprise Grid organisation: several workspaces; the app may be installed org-wide."""

    id: str
    name: str
    domain: str
    bot_user_id: str = ""
    bot_id: str = ""

    @property
    def url(self) -> str:
        return f"https://{self.domain}.enterprise.slack.com/"


@dataclass
class FakeWorkspace:
    """One Slack workspace (team) with its people and the app's bot user in it."""

    team_id: str
    name: str
    domain: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    bot_user_id: str = ""
    bot_id: str = ""
    email_domain: str = ""
    users: dict[str, WorkspaceUser] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"

    def add_user(
        self,
        user_id: str,
        email: str,
        real_name: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        tz: str = "Europe/Zurich",
        locale: str = "en-US",
    ) -> WorkspaceUser:
        user = WorkspaceUser(
            user_id,
            email,
            real_name.split()[0].lower() if real_name.split() else user_id.lower(),
            real_name,
            is_admin=is_admin or is_owner or is_primary_owner,
            tz=tz,
            is_owner=is_owner or is_primary_owner,
            is_primary_owner=is_primary_owner,
            locale=locale,
            team_id=self.team_id,
        )
        self.users[user_id] = user
        return user

    def people(self) -> list[WorkspaceUser]:
        """Who can sign in on the authorize page: members that are neither deleted nor bots."""
        return [user for user in self.users.values() if not user.deleted and not user.is_bot]

    def default_signed_in(self) -> WorkspaceUser | None:
        """The person the authorize page assumes is signed in: the primary owner, else an owner,
        else the first admin, else the first member."""
        people = self.people()
        for wanted in (
            lambda u: u.is_primary_owner,
            lambda u: u.is_owner,
            lambda u: u.is_admin,
            lambda _u: True,
        ):
            found = next((user for user in people if wanted(user)), None)
            if found is not None:
                return found
        return None

    def team_info(self, enterprise: Enterprise | None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": self.team_id,
            "name": self.name,
            "url": self.url,
            "domain": self.domain,
            "email_domain": self.email_domain,
            "icon": {"image_default": True},
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": False,
        }
        if enterprise is not None:
            info.update(
                enterprise_id=enterprise.id,
                enterprise_name=enterprise.name,
                enterprise_domain=enterprise.domain,
            )
        return info


@dataclass
class Installation:
    """The app installed in one workspace, or org-wide in an Enterprise Grid org (``team_id`` None)."""

    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    bot_user_id: str
    bot_id: str
    bot_scopes: list[str]
    installer_user_id: str = ""
    user_scopes: list[str] = field(default_factory=list)
    active: bool = True

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.enterprise_id, None) if self.is_enterprise_install else (None, self.team_id)


TokenType = Literal["bot", "user"]


@dataclass
class Grant:
    """One access token Slack issued, and what it may do."""

    token: str
    token_type: TokenType
    installation: Installation
    user_id: str  # the bot user for a bot token, the person for a user token
    scopes: list[str]
    expires_at: float | None = None  # only with token rotation
    refresh_token: str | None = None
    dead: str | None = None  # the error Slack answers once it is revoked: token_revoked, account_inactive

    def status(self, now: float) -> str | None:
        """None when the token works, else the error a Web API call answers."""
        if self.dead:
            return self.dead
        if self.expires_at is not None and now >= self.expires_at:
            return "token_expired"
        return None


@dataclass
class AuthCode:
    """A temporary code the authorize page handed to the app's redirect URL."""

    code: str
    team_id: str
    enterprise_id: str | None
    is_enterprise_install: bool
    user_id: str
    bot_scopes: list[str]
    user_scopes: list[str]
    redirect_uri: str | None  # as the app sent it to the authorize page (None: not sent)
    issued_at: float
    used: bool = False


def bot_token(team_num: str, rotating: bool) -> str:
    body = f"{team_num}-{random_digits(13)}-{secrets.token_urlsafe(18)}"
    return f"xoxe.xoxb-1-{body}" if rotating else f"xoxb-{body}"


def user_token(team_num: str, rotating: bool) -> str:
    body = f"{team_num}-{random_digits(13)}-{random_digits(13)}-{secrets.token_hex(16)}"
    return f"xoxe.xoxp-1-{body}" if rotating else f"xoxp-{body}"


def refresh_token() -> str:
    return f"xoxe-1-{secrets.token_urlsafe(48)}"


def auth_code() -> str:
    return f"{random_digits(10)}.{random_digits(13)}.{secrets.token_hex(32)}"
