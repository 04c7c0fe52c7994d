"""The sandbox's login and consent page, as a browser (or `bexio.sandbox.testing.consent`)
clicks through it: allow, cancel, unknown e-mail, the CSRF nonce and cookie, the company
choice of a person who is a user of two companies, and the code bound to the chosen company."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

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
from bexio.sandbox.consent import (
    EXPIRED,
    INVALID_REQUEST,
    MISSING_PASSWORD,
    NO_COOKIE,
    UNKNOWN_USER,
    WRONG_COMPANY,
)
from bexio.sandbox.testing import ConsentError, consent, parse_login_page
from bexio.sandbox.tokens import decode_jwt_claims

OIDC = "/realms/bexio/protocol/openid-connect"
REDIRECT = "http://127.0.0.1:8080/bexio/callback"
SCOPES = "openid profile email offline_access company_profile contact_show kb_invoice_edit"
ANDREA = "andrea.keller@alpenblick.example"  # superadmin of company 1, accountant of company 2
RETO = "reto.brunner@seeblick.example"  # superadmin of company 2 only
COMPANY_1, COMPANY_2 = "sandbox0company", "sandbox2company"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    first = build_state("demo", clock=clock, timesheets=50)
    second = build_state("demo", clock=clock, timesheets=50, company=2)
    async with serve_sandbox(first, companies=[second]) as running:
        yield running


@pytest.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        yield client


def authorize_url(sandbox: RunningSandbox, **extra: str) -> str:
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "xyz",
        **extra,
    }
    return f"{sandbox.url}{OIDC}/auth?{urlencode(params)}"


def query_of(location: str) -> dict[str, str]:
    parsed = urlparse(location)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == REDIRECT
    return {key: values[0] for key, values in parse_qs(parsed.query).items()}


async def exchange(http: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await http.post(
        f"{OIDC}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def api(token: str) -> dict[str, str]:
    return {"Accept": "application/json", "Authorization": f"Bearer {token}"}


async def open_page(http: httpx.AsyncClient, url: str) -> tuple[httpx.Response, dict[str, str], str]:
    """GET the page; returns it, the hidden fields and the absolute form action."""
    page = await http.get(url)
    assert page.status_code == 200, page.text
    form = parse_login_page(page.text)
    return page, dict(form.hidden), urljoin(str(page.url), form.action)


async def test_the_page_asks_for_email_and_password_and_lists_the_scopes(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    page, hidden, action = await open_page(http, authorize_url(sandbox, login_hint=RETO))
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "AUTH_SESSION_ID" in page.cookies
    form = parse_login_page(page.text)
    assert {"username", "password"} <= form.inputs
    assert "company" not in form.selects  # Reto is a user of one company only
    assert f'value="{RETO}"' in page.text
    for text in (
        "Zugriff erlauben",
        "Abbrechen",
        "Bei bexio anmelden",
        "Kontakte anzeigen",
        "kb_invoice_edit",
    ):
        assert text in page.text
    assert action == f"{sandbox.url}/realms/bexio/login-actions/authenticate"
    assert hidden["query.redirect_uri"] == REDIRECT and hidden["query.state"] == "xyz"
    assert hidden["csrf"] and hidden["tab_id"]
    # Nothing was handed out by showing the page.
    assert all(not company.tokens.codes for company in sandbox.companies)


async def test_allow_redirects_with_a_code_for_the_user_who_signed_in(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    location = await consent(authorize_url(sandbox, nonce="n-1"), email="RETO.Brunner@seeblick.example")
    query = query_of(location)
    assert set(query) == {"code", "state", "session_state", "iss"}
    assert (query["state"], query["iss"]) == ("xyz", f"{sandbox.url}/realms/bexio")
    tokens = await exchange(http, query["code"])
    claims = decode_jwt_claims(tokens["id_token"])
    assert (claims["email"], claims["company_id"], claims["company_user_id"], claims["nonce"]) == (
        RETO,
        COMPANY_2,
        1,
        "n-1",
    )
    me = (await http.get("/3.0/users/me", headers=api(tokens["access_token"]))).json()
    assert (me["email"], me["is_superadmin"]) == (RETO, True)


async def test_cancel_redirects_with_access_denied(http: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    location = await consent(authorize_url(sandbox), email=RETO, allow=False)
    assert query_of(location) == {
        "error": "access_denied",
        "error_description": "Der Zugriff wurde abgelehnt.",
        "state": "xyz",
    }
    assert all(not company.tokens.codes for company in sandbox.companies)


async def test_an_unknown_email_shows_the_page_again_with_an_error(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    _, hidden, action = await open_page(http, authorize_url(sandbox))
    wrong = await http.post(
        action, data={**hidden, "username": "nobody@example.ch", "password": "x", "action": "allow"}
    )
    assert wrong.status_code == 200
    again = parse_login_page(wrong.text)
    assert again.error == UNKNOWN_USER
    assert 'value="nobody@example.ch"' in wrong.text
    empty_password = await http.post(
        action, data={**again.hidden, "username": RETO, "password": "", "action": "allow"}
    )
    assert parse_login_page(empty_password.text).error == MISSING_PASSWORD
    # The page shown last still works, with its own nonce.
    latest = parse_login_page(empty_password.text).hidden
    right = await http.post(action, data={**latest, "username": RETO, "password": "x", "action": "allow"})
    assert right.status_code == 302
    assert "code" in query_of(right.headers["Location"])

    with pytest.raises(ConsentError, match=UNKNOWN_USER):
        await consent(authorize_url(sandbox), email="nobody@example.ch")


async def test_a_post_without_the_pages_nonce_cookie_or_query_is_refused(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    _, hidden, action = await open_page(http, authorize_url(sandbox))
    filled = {**hidden, "username": RETO, "password": "x", "action": "allow"}

    forged = await http.post(action, data={**filled, "csrf": "forged-nonce"})
    assert (forged.status_code, parse_login_page(forged.text).error) == (400, INVALID_REQUEST)
    assert "Location" not in forged.headers
    no_nonce = await http.post(action, data={key: value for key, value in filled.items() if key != "csrf"})
    assert no_nonce.status_code == 400
    redirected = await http.post(action, data={**filled, "query.redirect_uri": "http://127.0.0.1:9/steal"})
    assert (redirected.status_code, parse_login_page(redirected.text).error) == (400, INVALID_REQUEST)
    widened = await http.post(action, data={**filled, "query.scope": SCOPES + " contact_edit"})
    assert widened.status_code == 400
    async with httpx.AsyncClient() as other_browser:  # has the form, not the cookie
        no_cookie = await other_browser.post(action, data=filled)
        assert (no_cookie.status_code, parse_login_page(no_cookie.text).error) == (400, NO_COOKIE)
        other_browser.cookies.set("AUTH_SESSION_ID", "someone-else", path="/realms/bexio/")
        wrong_cookie = await other_browser.post(action, data=filled)
        assert wrong_cookie.status_code == 400
    assert all(not company.tokens.codes for company in sandbox.companies)

    # A nonce is bound to the page it was shown on: after the page is shown again, the old one is void.
    shown_again = await http.post(action, data={**filled, "username": "nobody@example.ch"})
    stale = await http.post(action, data=filled)
    assert (stale.status_code, parse_login_page(stale.text).error) == (400, INVALID_REQUEST)
    fresh = parse_login_page(shown_again.text).hidden
    allowed = await http.post(action, data={**filled, **fresh})
    assert allowed.status_code == 302
    # The answered page is used up.
    replayed = await http.post(action, data={**filled, **fresh})
    assert (replayed.status_code, parse_login_page(replayed.text).error) == (400, EXPIRED)


async def test_a_login_page_expires(
    http: httpx.AsyncClient, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    _, hidden, action = await open_page(http, authorize_url(sandbox))
    clock.advance(30 * 60)
    late = await http.post(action, data={**hidden, "username": RETO, "password": "x", "action": "allow"})
    assert (late.status_code, parse_login_page(late.text).error) == (400, EXPIRED)


async def test_a_person_in_two_companies_chooses_and_the_code_is_bound_to_that_company(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    with pytest.raises(ConsentError, match=f"{COMPANY_1}, {COMPANY_2}"):
        await consent(authorize_url(sandbox), email=ANDREA)

    for company_id, user_id, superadmin, name in (
        (COMPANY_1, 1, True, "Alpenblick Digital AG"),
        (COMPANY_2, 2, False, "Seeblick Treuhand AG"),
    ):
        location = await consent(authorize_url(sandbox), email=ANDREA, company_id=company_id)
        tokens = await exchange(http, query_of(location)["code"])
        headers = api(tokens["access_token"])
        info = (await http.get(f"{OIDC}/userinfo", headers=headers)).json()
        assert (info["company_id"], info["company_name"], info["company_user_id"]) == (
            company_id,
            name,
            user_id,
        )
        me = (await http.get("/3.0/users/me", headers=headers)).json()
        assert (me["id"], me["email"], me["is_superadmin"]) == (user_id, ANDREA, superadmin)
        profile = (await http.get("/2.0/company_profile", headers=headers)).json()
        assert profile[0]["name"] == name
    # One login, two companies: the same `sub`, as bexio's login id.
    subs = {
        decode_jwt_claims(
            (
                await exchange(
                    http, query_of(await consent(authorize_url(sandbox), email=ANDREA, company_id=c))["code"]
                )
            )["id_token"]
        )["sub"]
        for c in (COMPANY_1, COMPANY_2)
    }
    assert len(subs) == 1


async def test_the_company_step_signs_in_first_then_asks_for_the_company(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    _, hidden, action = await open_page(http, authorize_url(sandbox))
    step = await http.post(action, data={**hidden, "username": ANDREA, "password": "x", "action": "allow"})
    assert step.status_code == 200
    form = parse_login_page(step.text)
    assert form.error is None and form.info is not None and "Firma" in form.info
    assert "password" not in form.inputs  # signed in already
    assert form.selects["company"] == ["", COMPANY_1, COMPANY_2]
    assert "Seeblick Treuhand AG" in step.text and "Alpenblick Digital AG" in step.text
    chosen = await http.post(action, data={**form.hidden, "company": COMPANY_2, "action": "allow"})
    assert chosen.status_code == 302
    code = query_of(chosen.headers["Location"])["code"]
    assert code in sandbox.company(COMPANY_2).tokens.codes
    assert code not in sandbox.company(COMPANY_1).tokens.codes
    assert sandbox.company(COMPANY_2).tokens.codes[code].user_id == 2


async def test_a_login_hint_of_a_person_in_two_companies_offers_the_choice_at_once(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    page, _, _ = await open_page(http, authorize_url(sandbox, login_hint=ANDREA))
    assert parse_login_page(page.text).selects["company"] == ["", COMPANY_1, COMPANY_2]
    with pytest.raises(ConsentError, match=WRONG_COMPANY):
        await consent(authorize_url(sandbox), email=RETO, company_id=COMPANY_1)


async def test_the_authorize_checks_still_come_first(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    unknown_client = await http.get(f"{OIDC}/auth", params={"client_id": "nobody", "redirect_uri": REDIRECT})
    assert (unknown_client.status_code, unknown_client.json()["error"]) == (400, "invalid_request")
    foreign = await http.get(authorize_url(sandbox, redirect_uri="https://evil.example/cb"))
    assert foreign.json()["error_description"] == "Invalid parameter: redirect_uri"
    bad_scope = await http.get(authorize_url(sandbox, scope="contact_show launch_rockets"))
    assert bad_scope.status_code == 302
    assert query_of(bad_scope.headers["Location"])["error"] == "invalid_scope"
    token_flow = await http.get(authorize_url(sandbox, response_type="token"))
    assert query_of(token_flow.headers["Location"])["error"] == "unsupported_response_type"


async def test_auto_consent_skips_the_page(http: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    sandbox.state.settings.oauth_login_user_id = 3
    direct = await http.get(authorize_url(sandbox))
    assert direct.status_code == 302
    code = query_of(direct.headers["Location"])["code"]
    assert sandbox.state.tokens.codes[code].user_id == 3
    # The helper returns the first redirect as it is.
    location = await consent(authorize_url(sandbox), email="whoever@example.ch")
    assert "code" in query_of(location)


async def test_passwords_are_not_written_to_the_call_log(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    await consent(authorize_url(sandbox), email=RETO, password="hunter2")
    posts = sandbox.state.calls_to("POST", "/realms/bexio/login-actions/authenticate")
    assert posts and posts[-1].json_body["password"] == "***"
    assert posts[-1].status == 302
