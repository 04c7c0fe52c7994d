"""Slack's side of installing bxhours into any workspace: Bolt's OAuth flow on our own stores.

``GET /slack/install`` renders Bolt's "Add to Slack" page and sets its state cookie;
``GET /slack/oauth_redirect`` checks the cookie and the ``state`` (issued in the database, so any
replica can finish a flow another one started), trades the code at ``oauth.v2.access`` and stores the
installation: bot token encrypted, one tenant per workspace (per enterprise for an org-wide install).

``SlackClients`` hands every part of the process the Web API client of the tenant it works for,
rotating the bot token (when the app has token rotation on) under a row lock so that two workers
never spend the same single-use refresh token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_enterprise_id, extract_is_enterprise_install, extract_team_id
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from storage.installations import InstallationRepository, InstalledBot, NewInstallation
from storage.oauth_states import OAuthStateRepository
from storage.tenant_context import current_tenant

log = logging.getLogger(__name__)

BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "chat:write.public",  # the onboarding how-to, posted into a channel the admin picks
    "users:read",  # people, time zones, locales, who is a workspace admin or owner
    "users:read.email",  # matching Slack people to bexio users by e-mail
    "im:write",  # DMs: import progress, invoice links, reminders
    "files:write",  # timesheet reports and charts
    "team:read",  # the workspace's name on the success page and in `bxhours workspaces list`
)
"""Every bot scope bxhours asks for; ``manifest.yml`` lists the same (a test keeps them equal)."""

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ROTATION_MARGIN = timedelta(minutes=120)
"""Rotate a bot token this long before it expires (Bolt's own default)."""
_CACHE_SECONDS = 60.0


class NoSlackAccess(Exception):
    """The tenant has no Slack installation (removed, or never installed)."""


def installation_record(installation: Installation) -> NewInstallation:
    expires_at = installation.bot_token_expires_at
    return NewInstallation(
        team_id=installation.team_id,
        team_name=installation.team_name,
        enterprise_id=installation.enterprise_id,
        enterprise_name=installation.enterprise_name,
        is_enterprise_install=bool(installation.is_enterprise_install),
        app_id=installation.app_id,
        bot_id=installation.bot_id,
        bot_user_id=installation.bot_user_id,
        bot_token=installation.bot_token,
        bot_refresh_token=installation.bot_refresh_token,
        bot_token_expires_at=datetime.fromtimestamp(expires_at, UTC) if expires_at else None,
        bot_scopes=",".join(installation.bot_scopes or []),
        installer_user_id=installation.user_id,
    )


def _bot(found: InstalledBot) -> Bot:
    return Bot(
        app_id=found.app_id,
        enterprise_id=found.enterprise_id,
        team_id=found.team_id,
        bot_token=found.bot_token or "",
        bot_id=found.bot_id or "",
        bot_user_id=found.bot_user_id or "",
        bot_scopes=found.bot_scopes,
        bot_refresh_token=found.bot_refresh_token,
        bot_token_expires_at=found.bot_token_expires_at,
        is_enterprise_install=found.is_enterprise_install,
        installed_at=found.installed_at,
    )


class SqlInstallationStore(AsyncInstallationStore):
    """slack_sdk's installation store on ``storage.installations`` (bot tokens encrypted)."""

    def __init__(
        self,
        repo: InstallationRepository,
        clients: SlackClients,
        *,
        on_saved: Callable[[int, Installation], Awaitable[None]] | None = None,
    ) -> None:
        self.repo = repo
        self.clients = clients
        self.on_saved = on_saved
        self.saved: dict[str, int] = {}
        """Installer + team of the installations saved by this process → tenant (for the success page)."""

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        tenant_id = await self.repo.save(installation_record(installation))
        self.clients.forget(tenant_id)
        self.saved[saved_key(installation)] = tenant_id
        log.info(
            "installed in Slack workspace %s%s (tenant %s)",
            installation.team_id or "-",
            f", org-wide for {installation.enterprise_id}" if installation.is_enterprise_install else "",
            tenant_id,
        )
        if self.on_saved is not None:
            await self.on_saved(tenant_id, installation)

    async def async_save_bot(self, bot: Bot) -> None:  # pragma: no cover - Bolt saves installations
        raise NotImplementedError("bxhours saves whole installations")

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self.repo.find(
            team_id=team_id, enterprise_id=enterprise_id, is_enterprise_install=bool(is_enterprise_install)
        )
        return _bot(found) if found is not None and found.bot_token else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await self.repo.find(
            team_id=team_id, enterprise_id=enterprise_id, is_enterprise_install=bool(is_enterprise_install)
        )
        if found is None or not found.bot_token:
            return None
        return Installation(
            app_id=found.app_id,
            enterprise_id=found.enterprise_id,
            team_id=found.team_id,
            bot_token=found.bot_token,
            bot_id=found.bot_id,
            bot_user_id=found.bot_user_id,
            bot_scopes=found.bot_scopes,
            bot_refresh_token=found.bot_refresh_token,
            bot_token_expires_at=found.bot_token_expires_at,
            user_id=found.installer_user_id or "",
            is_enterprise_install=found.is_enterprise_install,
            installed_at=found.installed_at,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        found = await self.repo.find(team_id=team_id, enterprise_id=enterprise_id)
        if found is not None:
            await self.repo.remove(found.tenant_id)
            self.clients.forget(found.tenant_id)


def saved_key(installation: Installation) -> str:
    return f"{installation.enterprise_id}:{installation.team_id}:{installation.user_id}"


class SqlStateStore(AsyncOAuthStateStore):
    """slack_sdk's OAuth state store in the database: any replica can consume what another issued.

    A state may carry a payload (the bexio connection a Marketplace install brings along); what was
    consumed in this process is kept for the success callback of the same request.
    """

    def __init__(self, repo: OAuthStateRepository) -> None:
        self.repo = repo
        self.consumed: dict[str, dict[str, Any]] = {}

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await self.repo.issue("slack", {k: v for k, v in kwargs.items() if v is not None})

    async def async_consume(self, state: str) -> bool:
        payload = await self.repo.consume("slack", state)
        if payload is None:
            return False
        if len(self.consumed) > 1000:
            self.consumed.clear()
        self.consumed[state] = payload
        return True


class SlackClients:
    """The Web API client for a tenant: its installation's bot token (multi-workspace mode), or the
    one ``SLACK_BOT_TOKEN`` of a single-workspace deployment."""

    def __init__(
        self,
        api_url: str,
        *,
        single: AsyncWebClient | None = None,
        installations: InstallationRepository | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.api_url = api_url
        self.single = single
        self.installations = installations
        self.client_id = client_id
        self.client_secret = client_secret
        self._clients: dict[int, tuple[str, AsyncWebClient, float]] = {}
        self._oauth = AsyncWebClient(base_url=api_url)
        self._clock = clock or time.monotonic

    @property
    def multi_workspace(self) -> bool:
        return self.single is None

    def new_client(self, token: str | None = None) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=self.api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )

    def forget(self, tenant_id: int) -> None:
        self._clients.pop(tenant_id, None)

    async def current(self) -> AsyncWebClient:
        """The client of the tenant this work is for (``storage.tenant_context``)."""
        if self.single is not None:
            return self.single
        tenant_id = current_tenant.get()
        if tenant_id is None:
            raise NoSlackAccess("no tenant is set for this Slack call")
        return await self.for_tenant(tenant_id)

    async def for_tenant(self, tenant_id: int) -> AsyncWebClient:
        if self.single is not None:
            return self.single
        cached = self._clients.get(tenant_id)
        if cached is not None and self._clock() - cached[2] < _CACHE_SECONDS:
            return cached[1]
        bot = await self.bot(tenant_id)
        client = self.new_client(bot.bot_token)
        self._clients[tenant_id] = (bot.bot_token or "", client, self._clock())
        return client

    async def bot(self, tenant_id: int) -> InstalledBot:
        """The tenant's installation, its bot token rotated first when it is about to expire."""
        assert self.installations is not None
        found = await self.installations.for_tenant(tenant_id)
        if found is None or not found.bot_token:
            raise NoSlackAccess(f"tenant {tenant_id} has no Slack installation")
        if found.bot_token_expires_at is not None and found.bot_refresh_token:
            now = datetime.now(UTC)
            if found.bot_token_expires_at - ROTATION_MARGIN <= now:
                rotated = await self.installations.rotate(tenant_id, ROTATION_MARGIN, self._refresh)
                if rotated is None or not rotated.bot_token:
                    raise NoSlackAccess(f"tenant {tenant_id} has no Slack installation")
                return rotated
        return found

    async def _refresh(self, refresh_token: str) -> tuple[str, str | None, datetime | None]:
        try:
            answer = await self._oauth.oauth_v2_access(
                client_id=self.client_id or "",
                client_secret=self.client_secret or "",
                grant_type="refresh_token",
                refresh_token=refresh_token,
            )
        except SlackApiError as exc:
            raise NoSlackAccess(
                f"Slack refused to rotate the bot token ({exc.response.get('error')})"
            ) from None
        expires_in = answer.get("expires_in")
        log.info("Slack bot token rotated")
        return (
            str(answer["access_token"]),
            answer.get("refresh_token"),
            datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None,
        )


class InstallFlow(AsyncOAuthFlow):
    """Bolt's flow, with a ``state`` that can carry a pending bexio connection (the Marketplace path)."""

    async def issue_new_state(self, request: AsyncBoltRequest) -> str:
        pending = request.query.get("pending", [None])[0]
        store = self.settings.state_store
        if isinstance(store, SqlStateStore) and pending and len(pending) < 4000:
            return await store.repo.issue("slack", {"pending": pending})
        return await store.async_issue()


def install_flow(
    *,
    api_url: str,
    client_id: str,
    client_secret: str,
    authorize_url: str,
    redirect_uri: str,
    installation_store: SqlInstallationStore,
    state_store: SqlStateStore,
    success: Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]],
    failure: Callable[[AsyncFailureArgs], Awaitable[BoltResponse]],
) -> InstallFlow:
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorize_url,
        installation_store=installation_store,
        installation_store_bot_only=True,
        state_store=state_store,
        state_cookie_name="bxhours-slack-oauth-state",
        state_expiration_seconds=900,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
    )
    return InstallFlow(client=AsyncWebClient(base_url=api_url), settings=settings)


class TenantBoundClient:
    """Stands in for an ``AsyncWebClient`` and calls Slack as the tenant the current work is for.

    The Slack adapters (notifier, directory, invoice reporter) were written for one workspace's
    client; in multi-workspace mode they get this instead, and each call picks that tenant's bot
    token (``storage.tenant_context``) — so a DM about tenant A's import can only go out with A's token.
    """

    def __init__(self, clients: SlackClients) -> None:
        self._clients = clients

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            client = await self._clients.current()
            return await getattr(client, name)(*args, **kwargs)

        return call


def bolt_authorize(clients: SlackClients) -> Callable[..., Awaitable[Any]]:
    """Bolt's ``authorize`` for multi-workspace mode: the bot token of the request's installation."""
    from slack_bolt.authorization import AuthorizeResult

    async def authorize(
        enterprise_id: str | None, team_id: str | None, context: Any = None, **_: Any
    ) -> AuthorizeResult | None:
        tenant_id = current_tenant.get()
        if tenant_id is None or clients.installations is None:
            return None
        try:
            bot = await clients.bot(tenant_id)
        except NoSlackAccess:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id or enterprise_id,
            team_id=bot.team_id or team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
        )

    return authorize


class TenantResolver:
    """Multi-workspace mode: which tenant a verified Slack request is for (cached for a few seconds)."""

    TTL = 10.0

    def __init__(self, installations: InstallationRepository) -> None:
        self.installations = installations
        self._cache: dict[tuple[str | None, str | None, bool], tuple[int, float]] = {}

    async def tenant_of(self, body: dict[str, Any]) -> int | None:
        key = (
            extract_team_id(body),
            extract_enterprise_id(body),
            bool(extract_is_enterprise_install(body)),
        )
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[1] < self.TTL:
            return cached[0]
        found = await self.installations.find(
            team_id=key[0], enterprise_id=key[1], is_enterprise_install=key[2]
        )
        if found is None:
            return None  # not cached: a workspace that installs now is served at its next request
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (found.tenant_id, now)
        return found.tenant_id

    def forget(self) -> None:
        self._cache.clear()
