"""bexio's identity provider (Keycloak realm `bexio`): discovery, authorize, token, userinfo.

The parts a client gets wrong in practice are enforced: the token endpoint takes its
parameters from a form-encoded body only (never the query string), PKCE is checked when the
authorize call used it, refresh tokens come only with `offline_access` and rotate — a used
refresh token is dead — and a refresh cannot widen the granted scopes. There is no login
page: the authorize endpoint consents at once as `settings.oauth_login_user_id`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
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
    """The stable `sub` (bexio's login id) of a company user."""
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


async def authorize(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    query = request.query
    client = state.tokens.clients.get(query.get("client_id", ""))
    redirect_uri = query.get("redirect_uri", "")
    if client is None:
        return OAuthError(400, "invalid_request", "Client not found.").response()
    if not client.accepts_redirect(redirect_uri):
        return OAuthError(400, "invalid_request", "Invalid parameter: redirect_uri").response()

    def back(**params: str) -> web.HTTPFound:
        """The redirect to the client, carrying the code or the error (and `state`)."""
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return web.HTTPFound(redirect_uri + separator + urlencode(params))

    if query.get("response_type") != "code":
        raise back(error="unsupported_response_type", error_description="Only the code flow is supported.")
    scopes = frozenset(query.get("scope", "").split())
    unknown = scopes - KNOWN_SCOPES - set(openid_configuration()["scopes_supported"])
    if not scopes or unknown:
        raise back(error="invalid_scope", error_description=f"Invalid scopes: {' '.join(sorted(unknown))}")
    method = query.get("code_challenge_method")
    challenge = query.get("code_challenge")
    if challenge and (method or "plain") not in ("plain", "S256"):
        raise back(error="invalid_request", error_description="Invalid parameter: code_challenge_method")
    code = secrets.token_urlsafe(32)
    state.tokens.codes[code] = AuthorizationCode(
        code=code,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        user_id=state.settings.oauth_login_user_id,
        expires_at=state.now() + AUTH_CODE_LIFETIME,
        code_challenge=challenge,
        code_challenge_method=(method or "plain") if challenge else None,
        nonce=query.get("nonce"),
    )
    raise back(code=code, session_state=secrets.token_hex(16), iss=issuer(request))


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
            client_id=issued.client_id or "", scopes=issued.scopes, user_id=issued.user_id
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
            )
            return _token_answer(state, request, issued, code.nonce)
        if grant_type == "refresh_token":
            grant = state.tokens.refresh.get(form.get("refresh_token", ""))
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError(400, "invalid_grant", "Invalid refresh token")
            requested = frozenset(form.get("scope", "").split()) or grant.scopes
            if not requested <= grant.scopes:
                raise OAuthError(
                    400, "invalid_scope", "Invalid scopes: a refresh cannot widen the granted scopes"
                )
            # Rotation: the refresh token just used is dead from now on.
            del state.tokens.refresh[grant.token]
            issued = state.tokens.issue_oauth_access(
                state.now(),
                client_id=client.client_id,
                scopes=requested,
                user_id=grant.user_id,
                lifetime=lifetime,
            )
            return _token_answer(state, request, issued)
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
    except OAuthError as exc:
        return exc.response()


async def revoke(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    try:
        form = await _token_form(request)
        _client(state, request, form)
    except OAuthError as exc:
        return exc.response()
    state.tokens.revoke(form.get("token", ""))
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
    routes.add("GET", REALM + "/.well-known/openid-configuration", discovery, kind="oauth")
    routes.add("GET", OIDC + "/auth", authorize, kind="oauth")
    routes.add("POST", OIDC + "/token", token, kind="oauth")
    routes.add("POST", OIDC + "/revoke", revoke, kind="oauth")
    routes.add("GET", OIDC + "/userinfo", userinfo, kind="oauth")
    routes.add("POST", OIDC + "/userinfo", userinfo, kind="oauth")
    routes.add("GET", OIDC + "/logout", logout, kind="oauth")
