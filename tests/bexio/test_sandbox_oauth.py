"""The sandbox's identity provider: code flow with PKCE, form-only token endpoint, rotating
refresh tokens, scopes, userinfo and discovery.

These tests take the code without the login page (auto-consent as user 1,
`settings.oauth_login_user_id`); the page itself is proven in test_sandbox_consent.py."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from bexio.sandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    ManualClock,
    RunningSandbox,
    build_state,
    serve_sandbox,
)
from bexio.sandbox.tokens import decode_jwt_claims

OIDC = "/realms/bexio/protocol/openid-connect"
REDIRECT = "http://127.0.0.1:8080/bexio/callback"
SCOPES = "openid profile email offline_access company_profile contact_show kb_invoice_edit"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    state = build_state("demo", clock=clock)
    state.settings.oauth_login_user_id = 1
    async with serve_sandbox(state) as running:
        yield running


@pytest.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def authorize(http: httpx.AsyncClient, scope: str = SCOPES, **extra: str) -> dict[str, list[str]]:
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        **extra,
    }
    response = await http.get(f"{OIDC}/auth", params=params)
    assert response.status_code == 302, response.text
    location = urlparse(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


async def token(http: httpx.AsyncClient, **form: str) -> httpx.Response:
    body = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, **form}
    return await http.post(f"{OIDC}/token", data=body)


async def code_grant(http: httpx.AsyncClient, scope: str = SCOPES) -> dict[str, Any]:
    verifier, challenge = pkce()
    query = await authorize(http, scope, code_challenge=challenge, code_challenge_method="S256")
    response = await token(
        http,
        grant_type="authorization_code",
        code=query["code"][0],
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def test_code_flow_with_pkce_issues_scoped_tokens(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    tokens = await code_grant(http)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]
    assert set(tokens["scope"].split()) == set(SCOPES.split())
    claims = decode_jwt_claims(tokens["id_token"])
    assert (claims["aud"], claims["company_id"], claims["email"]) == (
        DEMO_CLIENT_ID,
        sandbox.state.company_id,
        "andrea.keller@alpenblick.example",
    )
    headers = {"Accept": "application/json", "Authorization": f"Bearer {tokens['access_token']}"}
    assert (await http.get("/2.0/contact", headers=headers)).status_code == 200
    assert (await http.get("/2.0/kb_invoice", headers=headers)).status_code == 200  # edit implies show
    assert (await http.get("/2.0/timesheet", headers=headers)).status_code == 403


async def test_refresh_tokens_rotate(http: httpx.AsyncClient) -> None:
    first = await code_grant(http)
    refreshed = await token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = await token(http, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert again.status_code == 200
    reused = await token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


async def test_without_family_revocation_a_reused_refresh_token_is_only_refused(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.settings.oauth_reuse_revokes_family = False
    first = await code_grant(http)
    second = (await token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    reused = await token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.json()["error"] == "invalid_grant"
    again = await token(http, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert again.status_code == 200


async def test_refresh_needs_offline_access_and_cannot_widen_scopes(http: httpx.AsyncClient) -> None:
    online = await code_grant(http, scope="openid contact_show")
    assert "refresh_token" not in online
    offline = await code_grant(http, scope="offline_access contact_show")
    wider = await token(
        http,
        grant_type="refresh_token",
        refresh_token=offline["refresh_token"],
        scope="contact_show contact_edit",
    )
    assert (wider.status_code, wider.json()["error"]) == (400, "invalid_scope")
    narrower = await token(
        http, grant_type="refresh_token", refresh_token=offline["refresh_token"], scope="offline_access"
    )
    assert narrower.json()["scope"] == "offline_access"


async def test_the_token_endpoint_takes_a_form_body_only(http: httpx.AsyncClient) -> None:
    query = await authorize(http)
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": REDIRECT,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    }
    as_json = await http.post(f"{OIDC}/token", json=form)
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    in_query = await http.post(f"{OIDC}/token", params=form, data={})
    assert (in_query.status_code, in_query.json()["error"]) == (400, "invalid_request")
    assert "request body" in in_query.json()["error_description"]
    as_form = await http.post(f"{OIDC}/token", data=form)
    assert as_form.status_code == 200  # the refused attempts did not use up the code


async def test_client_credentials_may_come_as_basic_auth(http: httpx.AsyncClient) -> None:
    query = await authorize(http)
    response = await http.post(
        f"{OIDC}/token",
        data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert response.status_code == 200


async def test_bad_grants_are_refused(http: httpx.AsyncClient, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    query = await authorize(http, code_challenge=challenge, code_challenge_method="S256")
    code = query["code"][0]
    wrong_secret = await http.post(
        f"{OIDC}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(DEMO_CLIENT_ID, "guess"),
    )
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "unauthorized_client")
    wrong_verifier = await token(
        http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="x" * 43
    )
    assert wrong_verifier.json()["error_description"] == "PKCE verification failed"
    reused = await token(
        http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert reused.json() == {"error": "invalid_grant", "error_description": "Code not valid"}

    late = (await authorize(http))["code"][0]
    clock.advance(61)
    expired = await token(http, grant_type="authorization_code", code=late, redirect_uri=REDIRECT)
    assert expired.json()["error"] == "invalid_grant"
    unsupported = await token(http, grant_type="password", username="a", password="b")
    assert unsupported.json()["error"] == "unsupported_grant_type"


async def test_authorize_checks_client_redirect_and_scopes(http: httpx.AsyncClient) -> None:
    unknown_client = await http.get(f"{OIDC}/auth", params={"client_id": "nobody", "redirect_uri": REDIRECT})
    assert unknown_client.status_code == 400
    foreign_redirect = await http.get(
        f"{OIDC}/auth",
        params={
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
        },
    )
    assert foreign_redirect.json()["error_description"] == "Invalid parameter: redirect_uri"
    bad_scope = await authorize(http, scope="contact_show launch_rockets")
    assert (bad_scope["error"], bad_scope["state"]) == (["invalid_scope"], ["xyz"])


async def test_access_tokens_expire(http: httpx.AsyncClient, clock: ManualClock) -> None:
    tokens = await code_grant(http)
    headers = {"Accept": "application/json", "Authorization": f"Bearer {tokens['access_token']}"}
    clock.advance(3599)
    assert (await http.get("/2.0/contact", headers=headers)).status_code == 200
    clock.advance(1)
    assert (await http.get("/2.0/contact", headers=headers)).json() == {
        "error_code": 401,
        "message": "Invalid token.",
    }


async def test_userinfo_claims_follow_the_scopes(http: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    narrow = await code_grant(http, scope="openid email")
    info = await http.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {narrow['access_token']}"})
    assert set(info.json()) == {"sub", "email", "email_verified"}
    full = await http.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {sandbox.token}"})
    assert full.json()["company_name"] == "Alpenblick Digital AG"
    assert full.json()["company_user_id"] == 1
    refused = await http.get(f"{OIDC}/userinfo", headers={"Authorization": "Bearer nope"})
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")


async def test_revocation_and_discovery(http: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    tokens = await code_grant(http)
    revoked = await http.post(
        f"{OIDC}/revoke",
        data={
            "token": tokens["refresh_token"],
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert revoked.status_code == 200
    after = await token(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert after.json()["error"] == "invalid_grant"
    discovery = (await http.get("/realms/bexio/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == f"{sandbox.url}/realms/bexio"
    assert discovery["token_endpoint"] == f"{sandbox.url}{OIDC}/token"
    assert discovery["mtls_endpoint_aliases"]["token_endpoint"] == f"{sandbox.url}{OIDC}/token"
    assert "S256" in discovery["code_challenge_methods_supported"]


async def test_a_lost_refresh_answer_costs_the_connection(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    tokens = await code_grant(http)
    faults = sandbox.state.faults
    faults.hang_seconds = 20
    faults.script(f"POST {OIDC}/token", [503, "timeout_after_write"])
    unavailable = await token(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert unavailable.status_code == 503
    with pytest.raises(httpx.ReadTimeout):
        await http.post(
            f"{OIDC}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
            },
            timeout=0.3,
        )
    # The refresh happened although its answer never arrived: the old refresh token is spent.
    retried = await token(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert retried.json()["error"] == "invalid_grant"
    calls = sandbox.state.calls_to("POST", f"{OIDC}/token")
    assert [call.fault for call in calls[-3:]] == ["503", "timeout_after_write", None]
    assert calls[-1].json_body["client_secret"] == "***"
