"""Personal tokens and OAuth: refresh on 401, rotation persisted before use, one refresh at a time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from bexio.auth import (
    InMemoryTokenStore,
    OAuthAuth,
    OAuthTokens,
    StaticTokenAuth,
    jwt_expiry,
    pkce_challenge,
)
from bexio.client import BexioClient
from bexio.errors import BexioAuthError, BexioError, BexioUnavailable
from bexio.pacing import Pacer
from bexio.testing import FakeTime

BASE = "https://api.bexio.test"
AUTH_URL = "https://auth.bexio.test/realms/bexio"
TOKEN_URL = f"{AUTH_URL}/protocol/openid-connect/token"
CLIENT_SECRET = "client-secret-S3CR3T"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ME = {"id": 1, "salutation_type": "male", "firstname": "Max", "lastname": "Muster", "email": "max@example.ch"}
SECRETS = ("access-A1-S3CR3T", "refresh-R1-S3CR3T", "access-A2-S3CR3T", "refresh-R2-S3CR3T", CLIENT_SECRET)


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def first_tokens(expires_in: timedelta = timedelta(hours=1)) -> OAuthTokens:
    return OAuthTokens(
        access_token="access-A1-S3CR3T", refresh_token="refresh-R1-S3CR3T", expires_at=NOW + expires_in
    )


def token_answer(access: str = "access-A2-S3CR3T", refresh: str = "refresh-R2-S3CR3T") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": "openid offline_access contact_show",
        },
    )


def by_token(accepted: str, body: object = ME) -> Callable[[httpx.Request], httpx.Response]:
    """An API route that only accepts ``accepted`` and answers 401 to anything else."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == f"Bearer {accepted}":
            return httpx.Response(200, json=body)
        return httpx.Response(401, json={"error_code": 401, "message": "Invalid token."})

    return handler


class RecordingStore(InMemoryTokenStore):
    """Notes every save in the shared event log, to check ordering against API calls."""

    def __init__(self, tokens: OAuthTokens | None, events: list[str]) -> None:
        super().__init__(tokens)
        self.events = events

    async def save(self, tokens: OAuthTokens) -> None:
        self.events.append(f"save:{tokens.access_token}")
        await super().save(tokens)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def oauth_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def store() -> InMemoryTokenStore:
    return InMemoryTokenStore(first_tokens())


@pytest.fixture
def auth(store: InMemoryTokenStore, oauth_http: httpx.AsyncClient) -> OAuthAuth:
    return OAuthAuth("bxhours-client", CLIENT_SECRET, AUTH_URL, store, oauth_http, clock=lambda: NOW)


@pytest.fixture
async def client(auth: OAuthAuth) -> AsyncIterator[BexioClient]:
    fake_time = FakeTime()
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    async with BexioClient(
        BASE, auth, pacer=pacer, sleep=fake_time.sleep, auth_url=AUTH_URL, rng=random.Random(5)
    ) as bexio:
        yield bexio


# --- personal access tokens -------------------------------------------------------------------------


def test_personal_token_expiry_comes_from_the_jwt() -> None:
    token = jwt({"exp": 1_790_000_000, "sub": "user"})
    auth = StaticTokenAuth(token)
    assert auth.expires_at == datetime.fromtimestamp(1_790_000_000, tz=UTC)
    assert token not in repr(auth)


@pytest.mark.parametrize(
    "token", ["opaque-token", "a.b.c", jwt({"sub": "no exp"}), jwt({"exp": "soon"}), jwt({"exp": True})]
)
def test_tokens_without_a_readable_expiry_have_none(token: str) -> None:
    assert jwt_expiry(token) is None
    assert StaticTokenAuth(token).expires_at is None


@pytest.mark.parametrize("token", ["", " padded "])
def test_a_blank_personal_token_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="empty or has surrounding whitespace"):
        StaticTokenAuth(token)


# --- connecting -------------------------------------------------------------------------------------


def test_authorize_url_carries_state_and_a_pkce_s256_challenge(auth: OAuthAuth) -> None:
    first = auth.authorization_request("https://bxhours.example/bexio/callback", ["openid", "offline_access"])
    second = auth.authorization_request("https://bxhours.example/bexio/callback", ["openid"])

    url = urlsplit(first.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{AUTH_URL}/protocol/openid-connect/auth"
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query == {
        "client_id": "bxhours-client",
        "response_type": "code",
        "redirect_uri": "https://bxhours.example/bexio/callback",
        "scope": "openid offline_access",
        "state": first.state,
        "code_challenge": pkce_challenge(first.code_verifier),
        "code_challenge_method": "S256",
    }
    assert first.state != second.state
    assert first.code_verifier != second.code_verifier
    assert 43 <= len(first.code_verifier) <= 128
    assert CLIENT_SECRET not in first.url


def test_pkce_matches_the_rfc_7636_example() -> None:
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    digest = hashlib.sha256(b"x").digest()
    assert pkce_challenge("x") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_code_exchange_posts_a_form_body_and_stores_the_tokens(
    router: respx.MockRouter, oauth_http: httpx.AsyncClient
) -> None:
    store = InMemoryTokenStore()
    auth = OAuthAuth("bxhours-client", CLIENT_SECRET, AUTH_URL, store, oauth_http, clock=lambda: NOW)
    route = router.post(TOKEN_URL).mock(return_value=token_answer())

    tokens = await auth.exchange_code("the-code", "https://bxhours.example/cb", "the-verifier")

    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.url.query == b""  # Keycloak wants everything in the body
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["the-code"],
        "redirect_uri": ["https://bxhours.example/cb"],
        "code_verifier": ["the-verifier"],
        "client_id": ["bxhours-client"],
        "client_secret": [CLIENT_SECRET],
    }
    assert await store.load() == tokens
    assert tokens.expires_at == NOW + timedelta(hours=1)
    assert tokens.refresh_token == "refresh-R2-S3CR3T"


# --- refreshing ---------------------------------------------------------------------------------------


async def test_401_refreshes_once_and_retries(
    client: BexioClient, router: respx.MockRouter, store: InMemoryTokenStore
) -> None:
    api = router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    token_endpoint = router.post(TOKEN_URL).mock(return_value=token_answer())

    me = await client.users.me()

    assert me.email == "max@example.ch"
    assert api.call_count == 2
    assert token_endpoint.call_count == 1
    form = parse_qs(token_endpoint.calls.last.request.content.decode())
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == ["refresh-R1-S3CR3T"]
    assert (await store.load()) == OAuthTokens(
        access_token="access-A2-S3CR3T",
        refresh_token="refresh-R2-S3CR3T",
        expires_at=NOW + timedelta(hours=1),
        scope="openid offline_access contact_show",
    )


async def test_401_after_the_refresh_means_the_connection_is_gone(
    client: BexioClient, router: respx.MockRouter
) -> None:
    api = router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("nobody"))
    token_endpoint = router.post(TOKEN_URL).mock(return_value=token_answer())

    with pytest.raises(BexioAuthError, match="bexio connection expired or revoked"):
        await client.users.me()

    assert api.call_count == 2
    assert token_endpoint.call_count == 1


async def test_rotated_refresh_token_is_saved_before_it_is_used(
    router: respx.MockRouter, oauth_http: httpx.AsyncClient
) -> None:
    events: list[str] = []
    store = RecordingStore(first_tokens(), events)
    auth = OAuthAuth("bxhours-client", CLIENT_SECRET, AUTH_URL, store, oauth_http, clock=lambda: NOW)

    def api(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        events.append(f"api:{token}")
        return by_token("access-A2-S3CR3T")(request)

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        events.append("token-endpoint")
        return token_answer()

    router.get(f"{BASE}/3.0/users/me").mock(side_effect=api)
    router.post(TOKEN_URL).mock(side_effect=token_endpoint)

    async with BexioClient(BASE, auth, auth_url=AUTH_URL) as bexio:
        await bexio.users.me()

    assert events == [
        "api:access-A1-S3CR3T",
        "token-endpoint",
        "save:access-A2-S3CR3T",
        "api:access-A2-S3CR3T",
    ]


async def test_concurrent_401s_cause_a_single_refresh(
    client: BexioClient, router: respx.MockRouter, auth: OAuthAuth
) -> None:
    refresh_started = asyncio.Event()

    async def slow_token_endpoint(request: httpx.Request) -> httpx.Response:
        refresh_started.set()
        await asyncio.sleep(0.01)  # the other callers pile up on the lock meanwhile
        return token_answer()

    router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    token_endpoint = router.post(TOKEN_URL).mock(side_effect=slow_token_endpoint)

    results = await asyncio.gather(*(client.users.me() for _ in range(5)))
    direct = await asyncio.gather(*(auth.refresh_after_unauthorized("access-A1-S3CR3T") for _ in range(3)))

    assert refresh_started.is_set()
    assert all(user.id == 1 for user in results)
    assert direct == [True, True, True]  # each learns of the new token without refreshing again
    assert token_endpoint.call_count == 1


async def test_a_refresh_done_by_another_process_is_reused(
    client: BexioClient, router: respx.MockRouter, store: InMemoryTokenStore
) -> None:
    router.get(f"{BASE}/2.0/unit").mock(side_effect=by_token("access-A1-S3CR3T", body=[]))
    router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    token_endpoint = router.post(TOKEN_URL).mock(return_value=token_answer("access-A9", "refresh-R9"))
    await client.units.list()  # this process now holds A1
    # Another process refreshes: bexio rotated R1 away, and the store holds A2/R2.
    await store.save(
        OAuthTokens(
            access_token="access-A2-S3CR3T",
            refresh_token="refresh-R2-S3CR3T",
            expires_at=NOW + timedelta(hours=1),
        )
    )

    me = await client.users.me()  # 401 for A1, then A2 from the store without a refresh of our own

    assert me.id == 1
    assert token_endpoint.call_count == 0


async def test_an_expiring_token_is_refreshed_before_the_call(
    router: respx.MockRouter, oauth_http: httpx.AsyncClient
) -> None:
    store = InMemoryTokenStore(first_tokens(expires_in=timedelta(seconds=30)))
    auth = OAuthAuth("bxhours-client", CLIENT_SECRET, AUTH_URL, store, oauth_http, clock=lambda: NOW)
    api = router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    router.post(TOKEN_URL).mock(return_value=token_answer())

    async with BexioClient(BASE, auth, auth_url=AUTH_URL) as bexio:
        await bexio.users.me()

    assert api.call_count == 1
    assert auth.expires_at == NOW + timedelta(hours=1)


async def test_a_refused_refresh_is_an_auth_error(client: BexioClient, router: respx.MockRouter) -> None:
    router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    router.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            400,
            json={"error": "invalid_grant", "error_description": "Token is not active (refresh-R1-S3CR3T)"},
        )
    )

    with pytest.raises(BexioAuthError) as raised:
        await client.users.me()

    assert raised.value.message == "bexio connection expired or revoked"


@pytest.mark.parametrize(
    "failure", [httpx.Response(503), httpx.ConnectTimeout("timed out")], ids=["503", "timeout"]
)
async def test_an_unreachable_login_service_is_unavailable(
    client: BexioClient, router: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    router.post(TOKEN_URL).mock(side_effect=[failure])

    with pytest.raises(BexioUnavailable):
        await client.users.me()


async def test_without_stored_tokens_bexio_is_not_connected(
    router: respx.MockRouter, oauth_http: httpx.AsyncClient
) -> None:
    auth = OAuthAuth("bxhours-client", CLIENT_SECRET, AUTH_URL, InMemoryTokenStore(), oauth_http)
    api = router.get(f"{BASE}/3.0/users/me").mock(return_value=httpx.Response(200, json=ME))

    async with BexioClient(BASE, auth, auth_url=AUTH_URL) as bexio:
        with pytest.raises(BexioAuthError, match="not connected"):
            await bexio.users.me()

    assert api.call_count == 0


async def test_userinfo_is_read_from_the_auth_server(client: BexioClient, router: respx.MockRouter) -> None:
    route = router.get(f"{AUTH_URL}/protocol/openid-connect/userinfo").mock(
        return_value=httpx.Response(
            200, json={"sub": "c579", "company_id": "q69vysq7fkzl", "company_user_id": 1}
        )
    )

    info = await client.userinfo()

    assert info.company_id == "q69vysq7fkzl"
    assert route.calls.last.request.headers["authorization"] == "Bearer access-A1-S3CR3T"


# --- secrets ----------------------------------------------------------------------------------------


async def test_no_token_reaches_errors_reprs_or_logs(
    client: BexioClient,
    router: respx.MockRouter,
    auth: OAuthAuth,
    store: InMemoryTokenStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    router.get(f"{BASE}/3.0/users/me").mock(side_effect=by_token("access-A2-S3CR3T"))
    router.get(f"{BASE}/3.0/users").mock(side_effect=by_token("nobody"))
    router.get(f"{BASE}/2.0/contact").mock(return_value=httpx.Response(503))
    token_endpoint = router.post(TOKEN_URL).mock(
        side_effect=[
            token_answer(),
            httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "refresh-R2-S3CR3T used"}
            ),
        ]
    )
    errors: list[BexioError] = []

    await client.users.me()  # refresh succeeds
    for call in (client.users.list, client.contacts.all):
        try:
            await call()
        except BexioError as exc:
            errors.append(exc)

    assert token_endpoint.call_count == 2
    assert len(errors) == 2
    visible = [caplog.text, *(record.getMessage() for record in caplog.records)]
    visible += [str(error) for error in errors] + [repr(error) for error in errors]
    visible += [repr(auth), repr(await store.load()), repr(first_tokens())]
    for text in visible:
        for secret in SECRETS:
            assert secret not in text


def test_the_in_memory_store_lock_is_an_async_context_manager(store: InMemoryTokenStore) -> None:
    assert isinstance(store.refresh_lock(), AbstractAsyncContextManager)
