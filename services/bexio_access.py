"""How a tenant reaches bexio: the client factory, and OAuth tokens kept encrypted in the database.

bexio's rate limit counts per company across every process, so each process keeps one ``Pacer`` per
tenant and every client built for that tenant shares it. OAuth refresh tokens rotate, so two
processes must never refresh at once: the token store holds a database row lock around a refresh
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's single writer lock, taken by a no-op update).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.auth import BexioAuth, OAuthAuth, OAuthTokens, StaticTokenAuth
from bexio.client import BexioClient
from bexio.pacing import Pacer
from core.i18n import N_
from storage.crypto import TokenCipher
from storage.db import Database
from storage.models import BexioConnection


@dataclass(frozen=True)
class BexioConfig:
    api_url: str
    auth_url: str
    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    timeout: float = 30.0

    @property
    def auth_kind(self) -> str | None:
        if self.access_token:
            return "pat"
        if self.client_id and self.client_secret:
            return "oauth"
        return None


NOT_CONNECTED = N_(
    "bexio is not connected: set BEXIO_ACCESS_TOKEN to a personal access token "
    "(developer.bexio.com → Personal Access Tokens) and restart bxhours"
)


class NotConnected(Exception):
    """No bexio credentials are configured; the message (English, for the log) says how to connect:
    people read ``NOT_CONNECTED`` in their language (``services.importing.errors``)."""


class DatabaseTokenStore:
    """``bexio.auth.TokenStore`` on the ``bexio_connections`` row of one tenant, tokens encrypted."""

    def __init__(
        self, db: Database, cipher: TokenCipher, tenant_id: int, now: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.tenant_id = tenant_id
        self.now = now
        # While the refresh lock is held, saves must go through the locking transaction: a second
        # connection would wait for our own lock.
        self._locked_session: AsyncSession | None = None

    async def load(self) -> OAuthTokens | None:
        async with self.db.session(self.tenant_id) as session:
            row = await session.scalar(select(BexioConnection))
            return self._tokens(row)

    async def save(self, tokens: OAuthTokens) -> None:
        if self._locked_session is not None:
            row = await self._locked_session.scalar(select(BexioConnection))
            self._write(row, tokens, self._locked_session)
            await self._locked_session.flush()
            return
        async with self.db.session(self.tenant_id) as session:
            row = await session.scalar(select(BexioConnection))
            self._write(row, tokens, session)

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[OAuthTokens | None]:
        async with self.db.session(self.tenant_id) as session:
            # The no-op update takes the lock on both databases before anything is read.
            await session.execute(
                update(BexioConnection)
                .values(updated_at=BexioConnection.updated_at)
                .execution_options(synchronize_session=False)
            )
            row = await session.scalar(select(BexioConnection).with_for_update())
            self._locked_session = session
            try:
                yield self._tokens(row)
            finally:
                self._locked_session = None

    def refresh_lock(self) -> contextlib.AbstractAsyncContextManager[OAuthTokens | None]:
        return self._locked()

    def _tokens(self, row: BexioConnection | None) -> OAuthTokens | None:
        if row is None or row.access_token_enc is None or row.expires_at is None:
            return None
        return OAuthTokens(
            access_token=self.cipher.decrypt(row.access_token_enc),
            refresh_token=self.cipher.decrypt(row.refresh_token_enc) if row.refresh_token_enc else None,
            expires_at=row.expires_at,
            scope=row.scopes or "",
        )

    def _write(self, row: BexioConnection | None, tokens: OAuthTokens, session: AsyncSession) -> None:
        if row is None:
            row = BexioConnection(auth_kind="oauth", updated_at=self.now())
            session.add(row)
        row.auth_kind = "oauth"
        row.access_token_enc = self.cipher.encrypt(tokens.access_token)
        row.refresh_token_enc = self.cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
        row.expires_at = tokens.expires_at
        row.scopes = tokens.scope
        row.updated_at = self.now()


class BexioAccess:
    """Builds bexio clients for tenants, sharing one pacer per tenant in this process."""

    def __init__(
        self,
        config: BexioConfig,
        db: Database,
        cipher: TokenCipher,
        now: Callable[[], datetime],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.cipher = cipher
        self.now = now
        self.transport = transport
        self._pacers: dict[int, Pacer] = {}
        self._auth_http = httpx.AsyncClient(timeout=config.timeout, transport=transport)

    @property
    def auth_kind(self) -> str | None:
        return self.config.auth_kind

    def pacer(self, tenant_id: int) -> Pacer:
        if tenant_id not in self._pacers:
            self._pacers[tenant_id] = Pacer()
        return self._pacers[tenant_id]

    def auth(self, tenant_id: int) -> BexioAuth:
        if self.config.access_token:
            return StaticTokenAuth(self.config.access_token)
        if self.config.client_id and self.config.client_secret:
            store = DatabaseTokenStore(self.db, self.cipher, tenant_id, self.now)
            return OAuthAuth(
                self.config.client_id, self.config.client_secret, self.config.auth_url, store, self._auth_http
            )
        raise NotConnected(NOT_CONNECTED)

    async def connected(self, tenant_id: int) -> bool:
        """Whether there are credentials to call bexio with (not whether bexio still accepts them):
        background work such as the change poller skips quietly while there are none."""
        if self.config.access_token:
            return True
        if self.config.client_id and self.config.client_secret:
            return await DatabaseTokenStore(self.db, self.cipher, tenant_id, self.now).load() is not None
        return False

    def token_expiry(self) -> datetime | None:
        """When the personal access token expires (bexio PATs live 60 days), if it tells."""
        if self.config.access_token:
            return StaticTokenAuth(self.config.access_token).expires_at
        return None

    @contextlib.asynccontextmanager
    async def client(self, tenant_id: int, **options: object) -> AsyncIterator[BexioClient]:
        client = BexioClient(
            self.config.api_url,
            self.auth(tenant_id),
            timeout=self.config.timeout,
            transport=self.transport,
            pacer=self.pacer(tenant_id),
            auth_url=self.config.auth_url,
            **options,  # type: ignore[arg-type]
        )
        async with client:
            yield client

    async def aclose(self) -> None:
        await self._auth_http.aclose()
