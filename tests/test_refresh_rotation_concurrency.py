"""Refresh-token rotation under two concurrent workers loses no token (issue 13 §10).

Two ``BexioAccess`` objects, each over its *own* ``Database`` (its own engine and connection pool),
stand for two worker processes of one deployment. The tenant's tokens come from the sandbox's real
authorization-code flow (consent page, PKCE, ``OAuthAuth.exchange_code``). Then, round after round,
the stored access token is made stale and both workers call bexio at the same moment, so both want
to refresh. The sandbox rotates refresh tokens and — like Keycloak with "Revoke Refresh Token" —
revokes the whole token family when a spent refresh token is presented again: a lost race shows up as
``invalid_grant`` (``BexioAuthError``) and a connection that can never refresh again.

Only the row lock of ``DatabaseTokenStore.refresh_lock`` keeps the two apart (nothing is shared in
memory). The control test takes that lock away and shows the same race then does lose the family,
so the main test can fail.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select, update

from bexio.auth import OAuthAuth, OAuthTokens
from bexio.errors import BexioAuthError
from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bexio.sandbox.testing import consent
from services.bexio_access import BexioAccess, BexioConfig, DatabaseTokenStore
from storage.crypto import TokenCipher, generate_key
from storage.db import Database
from storage.models import BexioConnection
from storage.tenants import TenantRepository

CLIENT_ID, CLIENT_SECRET = "bxhours-rotation", "rotation-client-secret-0123456789"
REDIRECT_URI = "http://127.0.0.1:9/bexio/callback"
SCOPES = ("openid", "offline_access", "contact_show", "project_show", "monitoring_show")
TOKEN_PATH = "/realms/bexio/protocol/openid-connect/token"
ROUNDS = 20
SUPERADMIN = "andrea.keller@alpenblick.example"


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo")) as running:
        running.register_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        yield running


def _config(sandbox: RunningSandbox) -> BexioConfig:
    return BexioConfig(
        api_url=sandbox.url,
        auth_url=f"{sandbox.url}/realms/bexio",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


async def _connect(db: Database, cipher: TokenCipher, sandbox: RunningSandbox) -> int:
    """A tenant whose tokens came through the code flow, as /bexio/callback stores them."""
    tenant = await TenantRepository(db).ensure("T0ROTATE", "Rotation AG")
    store = DatabaseTokenStore(db, cipher, tenant.id, now)
    config = _config(sandbox)
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(config.client_id or "", config.client_secret or "", config.auth_url, store, http)
        request = auth.authorization_request(REDIRECT_URI, SCOPES)
        location = await consent(request.url, email=SUPERADMIN)
        query = parse_qs(urlparse(location).query)
        assert query.get("state") == [request.state], location
        await auth.exchange_code(query["code"][0], REDIRECT_URI, request.code_verifier)
    stored = await store.load()
    assert stored is not None and stored.refresh_token
    return tenant.id


async def _make_stale(db: Database, tenant_id: int) -> None:
    """The stored access token is past its expiry: the next call through any worker must refresh."""
    async with db.session(tenant_id) as session:
        await session.execute(
            update(BexioConnection)
            .values(expires_at=now() - timedelta(minutes=5))
            .execution_options(synchronize_session=False)
        )


def _refreshes(sandbox: RunningSandbox) -> list[dict[str, str]]:
    forms = [call.json_body or {} for call in sandbox.state.calls_to("POST", TOKEN_PATH)]
    return [form for form in forms if form.get("grant_type") == "refresh_token"]


async def _user_id(access: BexioAccess, tenant_id: int) -> int:
    async with access.client(tenant_id) as client:
        return (await client.users.me()).id


@contextlib.asynccontextmanager
async def _two_workers(
    url: str, cipher: TokenCipher, sandbox: RunningSandbox
) -> AsyncIterator[tuple[BexioAccess, BexioAccess]]:
    databases = [Database(url), Database(url)]  # two engines, two pools: nothing shared in memory
    accesses = [BexioAccess(_config(sandbox), database, cipher, now) for database in databases]
    try:
        yield accesses[0], accesses[1]
    finally:
        for access in accesses:
            await access.aclose()
        for database in databases:
            await database.dispose()


async def _race(
    url: str, db: Database, cipher: TokenCipher, sandbox: RunningSandbox, tenant_id: int
) -> tuple[list[BaseException], list[int]]:
    """ROUNDS rounds of both workers calling bexio at once with a stale token: the errors, and the
    number of refreshes the sandbox saw in each round."""
    errors: list[BaseException] = []
    per_round: list[int] = []
    async with _two_workers(url, cipher, sandbox) as (first, second):
        for _ in range(ROUNDS):
            await _make_stale(db, tenant_id)
            before = len(_refreshes(sandbox))
            results = await asyncio.gather(
                _user_id(first, tenant_id), _user_id(second, tenant_id), return_exceptions=True
            )
            errors += [result for result in results if isinstance(result, BaseException)]
            per_round.append(len(_refreshes(sandbox)) - before)
    return errors, per_round


async def test_two_workers_refresh_concurrently_and_lose_no_token(
    database_url: str, db: Database, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    cipher = TokenCipher(generate_key())
    tenant_id = await _connect(db, cipher, sandbox)
    connected = await DatabaseTokenStore(db, cipher, tenant_id, now).load()
    assert connected is not None
    # Count who asked for the refresh lock: both workers in a round means both raced to refresh.
    asked: list[int] = []
    locking = DatabaseTokenStore.refresh_lock

    def counted(store: DatabaseTokenStore) -> contextlib.AbstractAsyncContextManager[OAuthTokens | None]:
        asked.append(id(store.db))
        return locking(store)

    monkeypatch.setattr(DatabaseTokenStore, "refresh_lock", counted)

    errors, per_round = await _race(database_url, db, cipher, sandbox, tenant_id)

    assert errors == [], f"a worker lost the race: {errors!r}"
    assert per_round == [1] * ROUNDS, "exactly one refresh per round; the other worker used its result"
    spent = [form["refresh_token"] for form in _refreshes(sandbox)]
    assert len(spent) == len(set(spent)) == ROUNDS, "no refresh token was ever presented twice"
    assert spent[0] == connected.refresh_token
    assert len(set(asked)) == 2 and len(asked) >= ROUNDS + ROUNDS // 2, (
        f"in most rounds both workers found the token stale and wanted to refresh ({len(asked)} asks): "
        "the row lock, not luck, kept them apart"
    )
    # The token stored last is the live one: a third worker refreshes with it and calls bexio.
    stored = await DatabaseTokenStore(db, cipher, tenant_id, now).load()
    assert stored is not None and stored.refresh_token not in spent
    await _make_stale(db, tenant_id)
    async with _two_workers(database_url, cipher, sandbox) as (third, _unused):
        assert await _user_id(third, tenant_id) == 1
    assert _refreshes(sandbox)[-1]["refresh_token"] == stored.refresh_token
    async with db.session(tenant_id) as session:
        row = await session.scalar(select(BexioConnection))
    assert row is not None and stored.refresh_token not in (row.refresh_token_enc or "")  # encrypted


async def test_control_without_the_row_lock_the_same_race_loses_the_token_family(
    database_url: str, db: Database, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the test above can fail: with ``refresh_lock`` reading the row without locking it,
    both workers spend the same refresh token, the sandbox revokes the family, and refreshing fails."""
    cipher = TokenCipher(generate_key())
    tenant_id = await _connect(db, cipher, sandbox)

    @contextlib.asynccontextmanager
    async def unlocked(store: DatabaseTokenStore) -> AsyncIterator[OAuthTokens | None]:
        yield await store.load()

    monkeypatch.setattr(DatabaseTokenStore, "refresh_lock", unlocked)
    errors, per_round = await _race(database_url, db, cipher, sandbox, tenant_id)

    assert any(isinstance(error, BexioAuthError) for error in errors), (errors, per_round)
    assert max(per_round) >= 2, "both workers refreshed in the same round"
