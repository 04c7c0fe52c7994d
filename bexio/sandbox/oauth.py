"""bexio's identity provider (Keycloak realm `bexio`): discovery, token, userinfo, revoke.

The parts a client gets wrong in practice are enforced: the token endpoint takes its
parameters from a form-encoded body only (never the query string), PKCE is checked when the
authorize call used it, refresh tokens come only with `offline_access` and rotate — a used
refresh token is dead — and a refresh cannot widen the granted scopes.

The authorize endpoint and its login and consent page live in `bexio.sandbox.consent`; this
module checks an authorize request (`authorize_request`) and hands out the code
(`issue_code`), bound to the company and user who consented.

**Token families.** Every token traded for one authorization code, and every token a refresh
in that line returns, belongs to one family (one Keycloak client session):

* reusing a refresh token that rotation already spent revokes the whole family — every
  access and refresh token of it answers 401 / `invalid_grant` from then on — when
  `settings.oauth_reuse_revokes_family` is on (the default). Keycloak does this only with
  the realm setting "Revoke Refresh Token" (reuse then answers "Stale token" and ends the
  client session); whether bexio's realm has it on is UNCONFIRMED, so is the error text
  (the sandbox says "Invalid refresh token" for every refused refresh token).
* revoking a refresh token at `/revoke` (RFC 7009: "invalidate … other tokens based on the
  same authorization grant") ends its family; revoking an access token ends that token only.
  Keycloak's revocation endpoint removes the client session of a refresh token and also
  revokes the user's consent for the client (keycloak/keycloak#12916), which ends every
  other offline session of that user and client too; the sandbox ends the one family only.
  What bexio's realm does beyond Keycloak's defaults is UNCONFIRMED.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from aiohttp import web

from bexio.sandbox.resources import json_response
from bexio.sandbox.routing import Routes, state_of
from bexio.sandbox.seed_data import openid_configuration
from bexio.sandbox.state import SandboxState
from bexio.sandbox.tokens import (
    AUTH_CODE_LIFETIME,
    KNOWN_SCOPES,
    AuthorizationCode,
    IssuedToken,
    OAuthClient,
    encode_jwt,
)

REALM: Final = "/realms/bexio"
BEXIO_ISSUER: Final = "https://auth.bexio.com" + REALM
OIDC: Final = REALM + "/protocol/openid-connect"
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
_LOGOUT_PAGE: Final = """<!DOCTYPE html>
<html lang="de-CH"><head><meta charset="utf-8"><title>Login | bexio</title></head>
<body><div id="kc-header">bexio</div><p>Sie wurden abgemeldet.</p></body></html>
"""


class OAuthError(Exception):
    """An OAuth 2 error answer: `{"error", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> web.Response:
        return json_response({"error": self.error, "error_description": self.description}, self.status)


def issuer(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{REALM}"


def user_uuid(state: SandboxState, user_id: int) -> str:
    """The stable `sub` (bexio's login id) of a company user.

    One bexio login may be a user of several companies; `sub` names the login, so it is
    derived from the e-mail (ignoring case) and is the same in every company, while
    `company_user_id` differs. A user without an e-mail gets one per company and user id.
    """
    email = (state.tables["user"].get(user_id) or {}).get("email")
    if isinstance(email, str) and email:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bexio-sandbox:login:{email.casefold()}"))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bexio-sandbox:{state.company_id}:user:{user_id}"))


def user_claims(state: SandboxState, user_id: int, scopes: frozenset[str] | None) -> dict[str, Any]:
    """userinfo / id_token claims; `scopes` None means all (personal access tokens)."""
    user = state.tables["user"].get(user_id) or {}
    profile = next(iter(state.tables["company_profile"].values()), {})

    def wants(scope: str) -> bool:
        return scopes is None or scope in scopes

    claims: dict[str, Any] = {"sub": user_uuid(state, user_id)}
    if wants("email"):
        claims.update(email_verified=True, email=user.get("email"))
    if wants("profile"):
        claims.update(
            gender=user.get("salutation_type"),
            locale="de-CH",
            given_name=user.get("firstname"),
            family_name=user.get("lastname"),
        )
    if wants("company_profile"):
        claims.update(
            company_id=state.company_id,
            shard_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bexio-sandbox:{state.company_id}:shard")),
            company_name=profile.get("name"),
            company_user_id=user_id,
        )
    return claims


def _rebased(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return base + value.removeprefix(BEXIO_ISSUER) if value.startswith(BEXIO_ISSUER) else value
    if isinstance(value, dict):
        return {key: _rebased(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebased(item, base) for item in value]
    return value


async def discovery(request: web.Request) -> web.StreamResponse:
    """bexio's recorded discovery document, its URLs pointing at this sandbox."""
    return json_response(_rebased(openid_configuration(), issuer(request)))


@dataclass(frozen=True)
class AuthorizeRequest:
    """A checked authorize request: what the code will be bound to besides company and user."""

    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    #: The original query, as the login page carries it in hidden fields.
    query: tuple[tuple[str, str], ...]
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None
    login_hint: str | None = None

    def back(self, **params: str) -> web.HTTPFound:
        """The redirect to the client, carrying the code or the error (and `state`)."""
        if self.state is not None:
            params["state"] = self.state
        separator = "&" if "?" in self.redirect_uri else "?"
        return web.HTTPFound(self.redirect_uri + separator + urlencode(params))


def authorize_request(state: SandboxState, query: Mapping[str, str]) -> AuthorizeRequest:
    """Check an authorize call's parameters as Keycloak does.

    An unknown client or a redirect URI the client did not register is answered here (JSON
    400, raised as `OAuthError`: no redirect to an unverified URI); every later error is
    redirected to the client with `error` and `state` (raised as `web.HTTPFound`).
    """
    client = state.tokens.clients.get(query.get("client_id", ""))
    redirect_uri = query.get("redirect_uri", "")
    if client is None:
        raise OAuthError(400, "invalid_request", "Client not found.")
    if not client.accepts_redirect(redirect_uri):
        raise OAuthError(400, "invalid_request", "Invalid parameter: redirect_uri")
    scopes = frozenset(query.get("scope", "").split())
    method = query.get("code_challenge_method")
    challenge = query.get("code_challenge")
    checked = AuthorizeRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        query=tuple((key, value) for key, value in query.items()),
        state=query.get("state"),
        code_challenge=challenge or None,
        code_challenge_method=(method or "plain") if challenge else None,
        nonce=query.get("nonce"),
        login_hint=query.get("login_hint"),
    )
    if query.get("response_type") != "code":
        raise checked.back(
            error="unsupported_response_type", error_description="Only the code flow is supported."
        )
    unknown = scopes - KNOWN_SCOPES - set(openid_configuration()["scopes_supported"])
    if not scopes or unknown:
        raise checked.back(
            error="invalid_scope", error_description=f"Invalid scopes: {' '.join(sorted(unknown))}"
        )
    if challenge and (method or "plain") not in ("plain", "S256"):
        raise checked.back(
            error="invalid_request", error_description="Invalid parameter: code_challenge_method"
        )
    return checked


def issue_code(
    state: SandboxState, request: web.Request, checked: AuthorizeRequest, user_id: int
) -> web.HTTPFound:
    """The code for `user_id` of company `state` (the code lives in that company's store,
    so the token endpoint trades it for that company's tokens), as the redirect to the client."""
    code = secrets.token_urlsafe(32)
    state.tokens.codes[code] = AuthorizationCode(
        code=code,
        client_id=checked.client_id,
        redirect_uri=checked.redirect_uri,
        scopes=checked.scopes,
        user_id=user_id,
        expires_at=state.now() + AUTH_CODE_LIFETIME,
        code_challenge=checked.code_challenge,
        code_challenge_method=checked.code_challenge_method,
        nonce=checked.nonce,
    )
    return checked.back(code=code, session_state=secrets.token_hex(16), iss=issuer(request))


def _client(state: SandboxState, request: web.Request, form: dict[str, str]) -> OAuthClient:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(
                401, "unauthorized_client", "Invalid client or Invalid client credentials"
            ) from None
        client_id, _, secret = decoded.partition(":")
    client = state.tokens.clients.get(client_id or "")
    if client is None or secret is None or not hmac.compare_digest(client.client_secret, secret):
        raise OAuthError(401, "unauthorized_client", "Invalid client or Invalid client credentials")
    return client


async def _token_form(request: web.Request) -> dict[str, str]:
    if request.query:
        raise OAuthError(
            400,
            "invalid_request",
            "Token request parameters must be sent in the request body, not in the URL.",
        )
    if request.content_type != FORM_CONTENT_TYPE:
        raise OAuthError(
            400, "invalid_request", f"The token endpoint accepts {FORM_CONTENT_TYPE} bodies only."
        )
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _pkce_ok(code: AuthorizationCode, verifier: str | None) -> bool:
    if code.code_challenge is None:
        return True
    if not verifier:
        return False
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return hmac.compare_digest(computed, code.code_challenge)


def _token_answer(
    state: SandboxState, request: web.Request, issued: IssuedToken, nonce: str | None = None
) -> web.Response:
    body: dict[str, Any] = {
        "access_token": issued.token,
        "expires_in": int((issued.expires_at - state.now()).total_seconds()),
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": secrets.token_hex(16),
        "scope": " ".join(sorted(issued.scopes)),
    }
    if "offline_access" in issued.scopes:
        body["refresh_token"] = state.tokens.issue_refresh(
            client_id=issued.client_id or "",
            scopes=issued.scopes,
            user_id=issued.user_id,
            family=issued.family,
        )
    if "openid" in issued.scopes:
        claims = user_claims(state, issued.user_id, issued.scopes)
        claims.update(
            iss=issuer(request),
            aud=issued.client_id,
            iat=int(state.now().timestamp()),
            exp=int(issued.expires_at.timestamp()),
            typ="ID",
        )
        if nonce:
            claims["nonce"] = nonce
        body["id_token"] = encode_jwt(claims, state.tokens.signing_key)
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def token(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    try:
        form = await _token_form(request)
        client = _client(state, request, form)
        grant_type = form.get("grant_type")
        lifetime = state.settings.oauth_access_lifetime
        if grant_type == "authorization_code":
            code = state.tokens.codes.pop(form.get("code", ""), None)
            if code is None or code.client_id != client.client_id or code.expires_at <= state.now():
                raise OAuthError(400, "invalid_grant", "Code not valid")
            if form.get("redirect_uri") != code.redirect_uri:
                raise OAuthError(400, "invalid_grant", "Incorrect redirect_uri")
            if not _pkce_ok(code, form.get("code_verifier")):
                raise OAuthError(400, "invalid_grant", "PKCE verification failed")
            issued = state.tokens.issue_oauth_access(
                state.now(),
                client_id=client.client_id,
                scopes=code.scopes,
                user_id=code.user_id,
                lifetime=lifetime,
                family=code.family,
            )
            return _token_answer(state, request, issued, code.nonce)
        if grant_type == "refresh_token":
            presented = form.get("refresh_token", "")
            spent = state.tokens.spent_refresh.get(presented)
            if spent is not None and spent.client_id == client.client_id:
                # A refresh token used twice: someone holds a copy. End the whole family.
                if state.settings.oauth_reuse_revokes_family:
                    state.tokens.revoke_family(spent.family)
                raise OAuthError(400, "invalid_grant", "Invalid refresh token")
            grant = state.tokens.refresh.get(presented)
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError(400, "invalid_grant", "Invalid refresh token")
            requested = frozenset(form.get("scope", "").split()) or grant.scopes
            if not requested <= grant.scopes:
                raise OAuthError(
                    400, "invalid_scope", "Invalid scopes: a refresh cannot widen the granted scopes"
                )
            # Rotation: the refresh token just used is dead from now on (and remembered as spent).
            state.tokens.spend_refresh(grant)
            issued = state.tokens.issue_oauth_access(
                state.now(),
                client_id=client.client_id,
                scopes=requested,
                user_id=grant.user_id,
                lifetime=lifetime,
                family=grant.family,
            )
            return _token_answer(state, request, issued)
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
    except OAuthError as exc:
        return exc.response()


async def revoke(request: web.Request) -> web.StreamResponse:
    """RFC 7009: a refresh token ends its family, an access token only itself; 200 either way."""
    state = state_of(request)
    try:
        form = await _token_form(request)
        _client(state, request, form)
    except OAuthError as exc:
        return exc.response()
    token = form.get("token", "")
    grant = state.tokens.refresh.get(token)
    if grant is not None:
        state.tokens.revoke_family(grant.family)
    else:
        state.tokens.revoke(token)
    return web.Response(status=200)


async def userinfo(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    authorization = request.headers.get("Authorization", "")
    issued = state.tokens.valid(authorization.removeprefix("Bearer ").strip(), state.now())
    if not authorization.startswith("Bearer ") or issued is None:
        return OAuthError(401, "invalid_token", "Token verification failed").response()
    scopes = None if issued.kind == "pat" else issued.scopes
    return json_response(user_claims(state, issued.user_id, scopes))


async def logout(request: web.Request) -> web.StreamResponse:
    return web.Response(text=_LOGOUT_PAGE, content_type="text/html", charset="utf-8")


def register(routes: Routes) -> None:
    """The realm's endpoints but the authorize endpoint (`bexio.sandbox.consent` has it)."""
    routes.add("GET", REALM + "/.well-known/openid-configuration", discovery, kind="oauth")
    routes.add("POST", OIDC + "/token", token, kind="oauth")
    routes.add("POST", OIDC + "/revoke", revoke, kind="oauth")
    routes.add("GET", OIDC + "/userinfo", userinfo, kind="oauth")
    routes.add("POST", OIDC + "/userinfo", userinfo, kind="oauth")
    routes.add("GET", OIDC + "/logout", logout, kind="oauth")
