"""Where the client's bearer token comes from, and what happens when bexio refuses it.

Two ways to connect: a personal access token (PAT, a JWT that expires after 60 days and cannot be
refreshed) or OAuth 2 against bexio's Keycloak (``auth.bexio.com/realms/bexio``). bexio's refresh
tokens *rotate*: each refresh returns a new refresh token and invalidates the old one. Two
processes refreshing at once would therefore lose the connection, and so would a process that
crashes between receiving a new pair and storing it. Hence the rules here:

* refreshes go through ``TokenStore.refresh_lock()``, which the storage layer backs with a database
  row lock; inside the lock the tokens are re-read, and if another process refreshed meanwhile,
  its token is used and no second refresh happens;
* a new token pair is saved through the store BEFORE it is used for any call.

Tokens never appear in reprs, logs or error messages.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from bexio.errors import BexioAuthError, BexioError, BexioUnavailable

logger = logging.getLogger(__name__)

#: bexio's identity provider; the sandbox serves the same paths under its own base URL.
DEFAULT_AUTH_URL = "https://auth.bexio.com/realms/bexio"

_TOKEN_PATH = "/protocol/openid-connect/token"  # noqa: S105 - a URL path, not a secret

#: Refresh this long before the access token expires, so a call never races the expiry.
EXPIRY_MARGIN = timedelta(seconds=60)

WallClock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class BexioAuth(Protocol):
    """What the client needs from an authentication method."""

    async def bearer_token(self) -> str:
        """The token to send now (refreshing first if it is about to expire)."""
        ...

    async def refresh_after_unauthorized(self, rejected_token: str) -> bool:
        """bexio answered 401 to ``rejected_token``. Return True if a different token is now
        available and the call is worth one retry; False if there is nothing to refresh."""
        ...


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, read WITHOUT verifying the signature.

    Only for display ("expires on …"): bexio verifies the token, we just want to warn in time.
    Returns None for anything that is not a JWT with a numeric ``exp``.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


class StaticTokenAuth:
    """A personal access token (``BEXIO_ACCESS_TOKEN``). A 401 cannot be fixed by refreshing."""

    def __init__(self, token: str) -> None:
        if not token or token != token.strip():
            raise ValueError("the bexio access token is empty or has surrounding whitespace")
        self._token = token
        self.expires_at: datetime | None = jwt_expiry(token)

    def __repr__(self) -> str:
        return f"StaticTokenAuth(expires_at={self.expires_at!r})"

    async def bearer_token(self) -> str:
        return self._token

    async def refresh_after_unauthorized(self, rejected_token: str) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    """A token pair as bexio's token endpoint issued it (times in UTC)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""
    id_token: str | None = field(default=None, repr=False)

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        return self.expires_at - margin <= now


class TokenStore(Protocol):
    """Persistence for OAuth tokens, shared by every process of one tenant."""

    async def load(self) -> OAuthTokens | None: ...

    async def save(self, tokens: OAuthTokens) -> None: ...

    def refresh_lock(self) -> AbstractAsyncContextManager[OAuthTokens | None]:
        """Hold the refresh lock (across processes) and yield the tokens re-read inside it."""
        ...


class InMemoryTokenStore:
    """A ``TokenStore`` for tests and single-process tools; the lock is an ``asyncio.Lock``."""

    def __init__(self, tokens: OAuthTokens | None = None) -> None:
        self._tokens = tokens
        self._lock = asyncio.Lock()
        self.saves: list[OAuthTokens] = []

    async def load(self) -> OAuthTokens | None:
        return self._tokens

    async def save(self, tokens: OAuthTokens) -> None:
        self._tokens = tokens
        self.saves.append(tokens)

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[OAuthTokens | None]:
        async with self._lock:
            yield self._tokens

    def refresh_lock(self) -> AbstractAsyncContextManager[OAuthTokens | None]:
        return self._locked()


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the user, and what to keep (server-side) until the callback comes back."""

    url: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)


def pkce_challenge(code_verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthAuth:
    """OAuth 2 (authorization code + PKCE, rotating refresh tokens) against bexio's Keycloak."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        auth_url: str,
        store: TokenStore,
        http: httpx.AsyncClient,
        *,
        clock: WallClock = _utcnow,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self.auth_url = auth_url.rstrip("/")
        self._store = store
        self._http = http
        self._clock = clock
        self._tokens: OAuthTokens | None = None

    def __repr__(self) -> str:
        return f"OAuthAuth(client_id={self._client_id!r}, auth_url={self.auth_url!r})"

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}{_TOKEN_PATH}"

    @property
    def expires_at(self) -> datetime | None:
        """Expiry of the access token in use (None before the first call)."""
        return self._tokens.expires_at if self._tokens is not None else None

    # --- connecting ------------------------------------------------------------------------------

    def authorization_request(self, redirect_uri: str, scopes: Sequence[str]) -> AuthorizationRequest:
        """Build the authorize URL with a fresh ``state`` and a PKCE S256 challenge.

        Keep ``state`` and ``code_verifier`` until the callback: compare ``state``, then pass the
        verifier to ``exchange_code``.
        """
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        query = urlencode(
            {
                "client_id": self._client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": " ".join(scopes),
                "state": state,
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        url = f"{self.auth_url}/protocol/openid-connect/auth?{query}"
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> OAuthTokens:
        """Trade the callback's ``code`` for tokens, and store them before returning."""
        tokens = await self._token_call(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            previous_refresh_token=None,
        )
        await self._store.save(tokens)
        self._tokens = tokens
        return tokens

    # --- BexioAuth -------------------------------------------------------------------------------

    async def bearer_token(self) -> str:
        tokens = self._tokens or await self._store.load()
        if tokens is None:
            raise BexioAuthError("bexio is not connected", method="POST", path=_TOKEN_PATH, status=None)
        if tokens.expires_within(EXPIRY_MARGIN, self._clock()):
            tokens = await self._refresh(stale_access_token=tokens.access_token)
        self._tokens = tokens
        return tokens.access_token

    async def refresh_after_unauthorized(self, rejected_token: str) -> bool:
        tokens = await self._refresh(stale_access_token=rejected_token)
        self._tokens = tokens
        return tokens.access_token != rejected_token

    # --- refreshing ------------------------------------------------------------------------------

    async def _refresh(self, *, stale_access_token: str) -> OAuthTokens:
        async with self._store.refresh_lock() as current:
            if current is None:
                raise BexioAuthError("bexio is not connected", method="POST", path=_TOKEN_PATH, status=None)
            if current.access_token != stale_access_token and not current.expires_within(
                EXPIRY_MARGIN, self._clock()
            ):
                # Another process (or task) refreshed while we waited for the lock: use its token.
                return current
            if current.refresh_token is None:
                raise BexioAuthError(method="POST", path=_TOKEN_PATH)
            tokens = await self._token_call(
                {"grant_type": "refresh_token", "refresh_token": current.refresh_token},
                previous_refresh_token=current.refresh_token,
            )
            # Persist before use: the old refresh token is already dead at bexio.
            await self._store.save(tokens)
            logger.info("bexio access token refreshed; valid until %s", tokens.expires_at.isoformat())
            return tokens

    async def _token_call(self, form: dict[str, str], *, previous_refresh_token: str | None) -> OAuthTokens:
        path = _TOKEN_PATH
        body = {**form, "client_id": self._client_id, "client_secret": self._client_secret}
        try:
            # Keycloak takes these parameters only in a form-encoded body, never in the query.
            response = await self._http.post(
                self.token_url, data=body, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise BexioUnavailable(
                f"bexio login service unreachable ({type(exc).__name__})", method="POST", path=path
            ) from None
        if response.status_code in (400, 401):
            # invalid_grant: refresh token expired, revoked or already used.
            raise BexioAuthError(method="POST", path=path, status=response.status_code)
        if response.status_code >= 500:
            raise BexioUnavailable(
                "bexio login service failed", method="POST", path=path, status=response.status_code
            )
        if response.status_code != 200:
            raise BexioError(_oauth_error(response), method="POST", path=path, status=response.status_code)
        return self._parse_tokens(response, previous_refresh_token, path)

    def _parse_tokens(
        self, response: httpx.Response, previous_refresh_token: str | None, path: str
    ) -> OAuthTokens:
        try:
            payload: Any = response.json()
            access_token = payload["access_token"]
            expires_in = int(payload.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise BexioError(
                "bexio login service sent an unreadable token answer", method="POST", path=path, status=200
            ) from None
        if not isinstance(access_token, str) or not access_token:
            raise BexioError("bexio login service sent no access token", method="POST", path=path, status=200)
        refresh_token = payload.get("refresh_token")
        return OAuthTokens(
            access_token=access_token,
            # Without rotation (no new refresh token sent) the old one stays valid.
            refresh_token=refresh_token if isinstance(refresh_token, str) else previous_refresh_token,
            expires_at=self._clock() + timedelta(seconds=expires_in),
            scope=str(payload.get("scope", "")),
            id_token=payload.get("id_token") if isinstance(payload.get("id_token"), str) else None,
        )


def _oauth_error(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return "bexio login service refused the request"
    if isinstance(payload, dict):
        # error_description can quote the request; keep only Keycloak's fixed error code.
        code = payload.get("error")
        if isinstance(code, str):
            return f"bexio login service refused the request ({code})"
    return "bexio login service refused the request"
