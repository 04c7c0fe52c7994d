"""OAuth tokens at rest: encrypted, and refreshed by exactly one process at a time (issue 3 §2).

Two ``BexioAccess`` objects stand for two processes sharing one database: when the access token has
expired and both call bexio at once, the rotating refresh token must be spent once, the new pair saved
(encrypted) before use, and both must end up calling bexio with the same fresh token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bexio.auth import OAuthTokens
from bexio.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, build_state, serve_sandbox
from bexio.sandbox.tokens import API_SCOPES
from services.bexio_access import BexioAccess, BexioConfig, DatabaseTokenStore
from storage.crypto import TokenCipher, generate_key
from storage.db import Database
from storage.models import BexioConnection
from storage.tenants import TenantRepository


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo")) as running:
        yield running


async def test_concurrent_processes_refresh_once(db: Database, sandbox: RunningSandbox) -> None:
    tenant = await TenantRepository(db).ensure("T0001", "Acme")
    cipher = TokenCipher(generate_key())
    refresh = sandbox.state.tokens.issue_refresh(
        client_id=DEMO_CLIENT_ID, scopes=API_SCOPES | {"offline_access"}, user_id=1
    )
    store = DatabaseTokenStore(db, cipher, tenant.id, now)
    await store.save(
        OAuthTokens(
            access_token="expired-access", refresh_token=refresh, expires_at=now() - timedelta(minutes=5)
        )
    )
    config = BexioConfig(
        api_url=sandbox.url,
        auth_url=f"{sandbox.url}/realms/bexio",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    processes = [BexioAccess(config, db, cipher, now) for _ in range(2)]

    async def call_me(access: BexioAccess) -> int:
        async with access.client(tenant.id) as client:
            return (await client.users.me()).id

    try:
        ids = await asyncio.gather(*(call_me(access) for access in processes for _ in range(3)))
    finally:
        for access in processes:
            await access.aclose()

    assert ids == [1] * 6
    token_calls = sandbox.state.calls_to("POST", "/realms/bexio/protocol/openid-connect/token")
    assert len(token_calls) == 1
    saved = await store.load()
    assert saved is not None
    assert saved.refresh_token not in (None, refresh)  # rotated
    assert saved.expires_at > now()
    async with db.session(tenant.id) as session:
        row = await session.scalar(select(BexioConnection))
    assert row is not None
    assert saved.access_token not in (row.access_token_enc or "")
    assert saved.refresh_token not in (row.refresh_token_enc or "")


async def test_connected_means_credentials_exist(db: Database) -> None:
    """What the change poller asks before calling bexio: OAuth counts only once tokens are stored."""
    tenant = await TenantRepository(db).ensure("T0001", "Acme")
    cipher = TokenCipher(generate_key())
    base = BexioConfig(api_url="http://127.0.0.1:9", auth_url="http://127.0.0.1:9/realms/bexio")
    oauth = BexioConfig(base.api_url, base.auth_url, client_id="bxhours", client_secret="secret")
    pat = BexioConfig(base.api_url, base.auth_url, access_token="pat")
    accesses = [BexioAccess(config, db, cipher, now) for config in (base, pat, oauth)]
    none, with_pat, with_oauth = accesses
    try:
        assert not await none.connected(tenant.id)
        assert await with_pat.connected(tenant.id)
        assert not await with_oauth.connected(tenant.id)
        await DatabaseTokenStore(db, cipher, tenant.id, now).save(
            OAuthTokens(access_token="a", refresh_token="r", expires_at=now() + timedelta(hours=1))
        )
        assert await with_oauth.connected(tenant.id)
    finally:
        for access in accesses:
            await access.aclose()
