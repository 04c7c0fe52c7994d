"""Access tokens, OAuth grants and scopes as bexio's identity provider hands them out.

bexio accepts two kinds of bearer tokens: personal access tokens (JWT-looking, all default
scopes, 60 days) and OAuth access tokens from the Keycloak realm `bexio` (scoped, short-lived,
with refresh tokens that ROTATE: a used refresh token is dead). The sandbox keeps every issued
token here so tests can inspect, expire or revoke them.

Every OAuth token belongs to a *family*: the access and refresh tokens descending from one
authorization code (one Keycloak client session). `revoke_family` ends all of them at once —
what reusing a spent refresh token or revoking a refresh token does (see `bexio.sandbox.oauth`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

#: API scopes documented by bexio ("API Scopes"); a PAT carries all of them.
API_SCOPES: Final = frozenset(
    {
        "accounting",
        "article_show",
        "article_edit",
        "bank_account_show",
        "bank_payment_show",
        "bank_payment_edit",
        "contact_show",
        "contact_edit",
        "file",
        "kb_invoice_show",
        "kb_invoice_edit",
        "kb_offer_show",
        "kb_offer_edit",
        "kb_order_show",
        "kb_order_edit",
        "kb_delivery_show",
        "kb_delivery_edit",
        "monitoring_show",
        "monitoring_edit",
        "note_show",
        "note_edit",
        "kb_article_order_show",
        "kb_article_order_edit",
        "project_show",
        "project_edit",
        "stock_edit",
        "task_show",
        "task_edit",
        "kb_bill_show",
        "kb_expense_show",
        "payroll_employee_show",
        "payroll_employee_edit",
        "payroll_absence_show",
        "payroll_absence_edit",
        "payroll_paystub_show",
    }
)
OIDC_SCOPES: Final = frozenset({"openid", "profile", "email", "offline_access", "company_profile"})
KNOWN_SCOPES: Final = API_SCOPES | OIDC_SCOPES

PAT_LIFETIME: Final = timedelta(days=60)
OAUTH_ACCESS_LIFETIME: Final = timedelta(hours=1)
AUTH_CODE_LIFETIME: Final = timedelta(minutes=1)

# The demo token must be byte-identical in every process (a test process and a standalone
# sandbox it started), so it is derived from constants only. Its `exp` lies far ahead so a
# pasted .env keeps working; `TokenStore.issue_pat` makes realistic 60-day tokens.
_DEMO_SIGNING_KEY: Final = b"bexio-sandbox-demo-signing-key"
DEMO_TOKEN_EXP: Final = 4102444800  # 2100-01-01T00:00:00Z
DEMO_USER_ID: Final = 1


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_jwt(claims: dict[str, Any], key: bytes) -> str:
    """An HS256 JWT: bexio PATs look like JWTs and clients read `exp` from them."""
    header = {"alg": "HS256", "typ": "JWT", "kid": "bexio-sandbox"}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    )
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT-looking token, without verifying it (what a client does)."""
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    claims = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


DEMO_TOKEN: Final = encode_jwt(
    {
        "iss": "bexio-sandbox",
        "sub": "pat:demo",
        "typ": "Bearer",
        "azp": "personal-access-token",
        "iat": 1767225600,  # 2026-01-01T00:00:00Z
        "exp": DEMO_TOKEN_EXP,
        "jti": "00000000-0000-4000-8000-000000000001",
        "user_id": DEMO_USER_ID,
    },
    _DEMO_SIGNING_KEY,
)


def implied_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """Write implies read: `contact_edit` grants `contact_show`."""
    granted = set(scopes)
    for scope in list(granted):
        if scope.endswith("_edit"):
            granted.add(scope.removesuffix("_edit") + "_show")
    return frozenset(granted)


def new_family() -> str:
    """The id of a new token family (one per authorization code)."""
    return secrets.token_hex(12)


@dataclass
class IssuedToken:
    token: str
    kind: Literal["pat", "oauth"]
    scopes: frozenset[str]
    user_id: int
    expires_at: datetime
    client_id: str | None = None
    #: The authorization code this OAuth token descends from (None for personal access tokens).
    family: str | None = None

    def grants(self, scope: str) -> bool:
        return scope in implied_scopes(self.scopes)


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    #: Exact redirect URIs; a trailing `*` matches any suffix (Keycloak's wildcard).
    redirect_uris: tuple[str, ...]

    def accepts_redirect(self, uri: str) -> bool:
        return any(
            uri.startswith(allowed[:-1]) if allowed.endswith("*") else uri == allowed
            for allowed in self.redirect_uris
        )


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    user_id: int
    expires_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None
    #: The family every token traded for this code belongs to.
    family: str = field(default_factory=new_family)


@dataclass
class RefreshGrant:
    token: str
    client_id: str
    scopes: frozenset[str]
    user_id: int
    family: str = field(default_factory=new_family)


@dataclass
class TokenStore:
    """Every credential the sandbox issued. Tests may delete entries to revoke them."""

    access: dict[str, IssuedToken] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    #: Refresh tokens already traded in (rotation), with their family: reuse is detectable.
    spent_refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    #: Shared by every company one sandbox serves (see `SandboxCompanies`).
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def register_demo_token(self, now: datetime) -> str:
        self.access[DEMO_TOKEN] = IssuedToken(
            token=DEMO_TOKEN,
            kind="pat",
            scopes=API_SCOPES,
            user_id=DEMO_USER_ID,
            expires_at=datetime.fromtimestamp(DEMO_TOKEN_EXP, tz=now.tzinfo),
        )
        return DEMO_TOKEN

    def issue_pat(self, now: datetime, *, user_id: int = 1, lifetime: timedelta = PAT_LIFETIME) -> str:
        """A personal access token as developer.bexio.com issues it: all scopes, 60 days."""
        expires_at = now + lifetime
        token = encode_jwt(
            {
                "iss": "bexio-sandbox",
                "sub": f"pat:{secrets.token_hex(8)}",
                "typ": "Bearer",
                "azp": "personal-access-token",
                "iat": int(now.timestamp()),
                "exp": int(expires_at.timestamp()),
                "jti": secrets.token_hex(16),
                "user_id": user_id,
            },
            self.signing_key,
        )
        self.access[token] = IssuedToken(token, "pat", API_SCOPES, user_id, expires_at)
        return token

    def issue_oauth_access(
        self,
        now: datetime,
        *,
        client_id: str,
        scopes: frozenset[str],
        user_id: int,
        lifetime: timedelta,
        family: str | None = None,
    ) -> IssuedToken:
        expires_at = now + lifetime
        token = encode_jwt(
            {
                "iss": "bexio-sandbox",
                "sub": f"user:{user_id}",
                "typ": "Bearer",
                "azp": client_id,
                "iat": int(now.timestamp()),
                "exp": int(expires_at.timestamp()),
                "jti": secrets.token_hex(16),
                "scope": " ".join(sorted(scopes)),
            },
            self.signing_key,
        )
        issued = IssuedToken(token, "oauth", scopes, user_id, expires_at, client_id, family or new_family())
        self.access[token] = issued
        return issued

    def issue_refresh(
        self, *, client_id: str, scopes: frozenset[str], user_id: int, family: str | None = None
    ) -> str:
        """A refresh token; without `family` it starts a family of its own."""
        token = secrets.token_urlsafe(48)
        self.refresh[token] = RefreshGrant(token, client_id, scopes, user_id, family or new_family())
        return token

    def spend_refresh(self, grant: RefreshGrant) -> None:
        """Rotation: the refresh token just traded in is dead, but remembered as spent."""
        self.refresh.pop(grant.token, None)
        self.spent_refresh[grant.token] = grant

    def holds(self, token: str) -> bool:
        """Whether this store issued `token` (access, refresh, spent refresh token or code)."""
        return (
            token in self.access
            or token in self.refresh
            or token in self.spent_refresh
            or token in self.codes
        )

    def family_of(self, token: str) -> str | None:
        issued = self.access.get(token)
        if issued is not None:
            return issued.family
        grant = self.refresh.get(token) or self.spent_refresh.get(token)
        return grant.family if grant is not None else None

    def revoke_family(self, family: str) -> int:
        """End every access and refresh token of one family; returns how many were live."""
        access = [token for token, issued in self.access.items() if issued.family == family]
        refresh = [token for token, grant in self.refresh.items() if grant.family == family]
        for token in access:
            del self.access[token]
        for token in refresh:
            self.spent_refresh[token] = self.refresh.pop(token)
        return len(access) + len(refresh)

    def valid(self, token: str, now: datetime) -> IssuedToken | None:
        issued = self.access.get(token)
        if issued is None or issued.expires_at <= now:
            return None
        return issued

    def revoke(self, token: str) -> bool:
        """Revoke one access or refresh token (nothing else of its family); True when it existed."""
        found = self.access.pop(token, None) is not None
        return self.refresh.pop(token, None) is not None or found

    def revoke_all(self) -> int:
        count = len(self.access) + len(self.refresh)
        self.access.clear()
        self.refresh.clear()
        return count
