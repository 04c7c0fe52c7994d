"""Several companies behind one sandbox, told apart by token; token families (reuse of a
rotated refresh token and revocation end the whole family); and what `bxhours sandbox` prints."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from bexio.sandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_TOKEN,
    ManualClock,
    RunningSandbox,
    SandboxCompanies,
    build_state,
    serve_sandbox,
)
from bexio.sandbox.server import serve_until_stopped
from bexio.sandbox.testing import consent

OIDC = "/realms/bexio/protocol/openid-connect"
REDIRECT = "http://127.0.0.1:8080/bexio/callback"
SCOPES = "openid email company_profile offline_access contact_show"
RETO = "reto.brunner@seeblick.example"
COMPANY_1, COMPANY_2 = "sandbox0company", "sandbox2company"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    first = build_state("demo", clock=clock, timesheets=50, shapes="usual")
    second = build_state("demo", clock=clock, timesheets=50, shapes="usual", company=2)
    async with serve_sandbox(first, companies=[second]) as running:
        yield running


@pytest.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        yield client


def api(token: str) -> dict[str, str]:
    return {"Accept": "application/json", "Authorization": f"Bearer {token}"}


async def token_call(http: httpx.AsyncClient, **form: str) -> httpx.Response:
    body = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, **form}
    return await http.post(f"{OIDC}/token", data=body)


async def connect(
    sandbox: RunningSandbox,
    http: httpx.AsyncClient,
    email: str = RETO,
    *,
    client: tuple[str, str] = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
) -> dict[str, Any]:
    """The whole code flow through the consent page; returns the token answer."""
    query = urlencode(
        {
            "client_id": client[0],
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "s",
        }
    )
    location = await consent(f"{sandbox.url}{OIDC}/auth?{query}", email=email)
    code = parse_qs(urlparse(location).query)["code"][0]
    response = await http.post(
        f"{OIDC}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client[0],
            "client_secret": client[1],
        },
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


# -- several companies ---------------------------------------------------------------------


async def test_the_same_path_answers_each_companys_own_data(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    first, second = sandbox.companies
    assert sandbox.tokens[0] == sandbox.token == DEMO_TOKEN
    answers = {}
    for state in sandbox.companies:
        response = await http.get("/2.0/contact", headers=api(sandbox.token_for(state)))
        assert response.status_code == 200
        answers[state.company_id] = {contact["id"]: contact["name_1"] for contact in response.json()}
    # The ids overlap on purpose; the records behind them do not.
    assert set(answers[COMPANY_1]) & set(answers[COMPANY_2])
    assert answers[COMPANY_1] != answers[COMPANY_2]
    for state in sandbox.companies:
        expected = {
            contact_id: contact["name_1"]
            for contact_id, contact in state.tables["contact"].items()
            if not state.is_archived("contact", contact_id)
        }
        assert answers[state.company_id] == expected
    # Each company logged its own call only.
    assert len(first.calls_to("GET", "/2.0/contact")) == 1
    assert len(second.calls_to("GET", "/2.0/contact")) == 1


async def test_a_write_stays_in_its_company(http: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    body = {"contact_type_id": 1, "name_1": "Nur bei Seeblick", "user_id": 1, "owner_id": 1}
    created = await http.post("/2.0/contact", json=body, headers=api(sandbox.token_for(COMPANY_2)))
    assert created.status_code == 201
    contact_id = created.json()["id"]
    assert sandbox.company(COMPANY_2).tables["contact"][contact_id]["name_1"] == "Nur bei Seeblick"
    same_id = await http.get(f"/2.0/contact/{contact_id}", headers=api(sandbox.token))
    assert same_id.status_code == 404 or same_id.json()["name_1"] != "Nur bei Seeblick"


async def test_userinfo_and_the_profile_name_the_tokens_company(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    for company_id, name, email, vat in (
        (COMPANY_1, "Alpenblick Digital AG", "andrea.keller@alpenblick.example", "CHE-123.456.789 MWST"),
        (COMPANY_2, "Seeblick Treuhand AG", RETO, "CHE-234.567.891 MWST"),
    ):
        headers = api(sandbox.token_for(company_id))
        info = (await http.get(f"{OIDC}/userinfo", headers=headers)).json()
        assert (info["company_id"], info["company_name"], info["email"]) == (company_id, name, email)
        profile = (await http.get("/2.0/company_profile/1", headers=headers)).json()
        assert (profile["name"], profile["mwst_nr"]) == (name, vat)
    assert len(sandbox.company(COMPANY_2).calls_to("GET", f"{OIDC}/userinfo")) == 1


async def test_the_second_company_has_its_own_superadmin_in_the_users_shape(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    first = (await http.get("/3.0/users", headers=api(sandbox.token))).json()
    second = (await http.get("/3.0/users", headers=api(sandbox.token_for(COMPANY_2)))).json()
    assert [user for user in second if user["is_superadmin"]] == [
        {
            "id": 1,
            "salutation_type": "male",
            "firstname": "Reto",
            "lastname": "Brunner",
            "email": RETO,
            "is_superadmin": True,
            "is_accountant": False,
        }
    ]
    assert {frozenset(user) for user in first} == {frozenset(user) for user in second}
    shared = {user["email"] for user in first} & {user["email"] for user in second}
    assert shared == {"andrea.keller@alpenblick.example"}  # the trustee, superadmin in company 1 only


async def test_the_demo_token_belongs_to_the_first_company_only(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    me = (await http.get("/3.0/users/me", headers=api(DEMO_TOKEN))).json()
    assert me["email"] == "andrea.keller@alpenblick.example"
    assert DEMO_TOKEN not in sandbox.company(COMPANY_2).tokens.access
    copy = build_state("empty")
    copy.company_id = "copy0company"
    with pytest.raises(ValueError, match="demo token"):
        SandboxCompanies([build_state("empty"), copy])
    with pytest.raises(ValueError, match="share the company_id sandbox2company"):
        SandboxCompanies(
            [build_state("empty"), build_state("empty", company=2), build_state("empty", company=2)]
        )


async def test_faults_and_rate_limits_are_per_company(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    sandbox.company(COMPANY_2).faults.script("GET /2.0/contact", [503])
    assert (await http.get("/2.0/contact", headers=api(sandbox.token))).status_code == 200
    assert (await http.get("/2.0/contact", headers=api(sandbox.token_for(COMPANY_2)))).status_code == 503
    unknown = await http.get("/2.0/contact", headers=api("nobody's token"))
    assert unknown.status_code == 401
    assert sandbox.state.calls_to("GET", "/2.0/contact")[-1].status == 401


async def test_clients_are_registered_once_and_codes_and_refresh_tokens_are_found_in_any_company(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    sandbox.register_oauth_client("other-app", "other-secret", [REDIRECT])
    assert "other-app" in sandbox.company(COMPANY_2).tokens.clients
    tokens = await connect(sandbox, http, client=("other-app", "other-secret"))
    second = sandbox.company(COMPANY_2)
    assert tokens["access_token"] in second.tokens.access
    assert tokens["access_token"] not in sandbox.state.tokens.access
    refreshed = await http.post(
        f"{OIDC}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "other-app",
            "client_secret": "other-secret",
        },
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] in second.tokens.refresh
    contacts = await http.get("/2.0/contact", headers=api(refreshed.json()["access_token"]))
    assert {contact["id"] for contact in contacts.json()} == {
        contact_id for contact_id in second.tables["contact"] if not second.is_archived("contact", contact_id)
    }
    assert len(second.calls_to("POST", f"{OIDC}/token")) == 2
    assert not sandbox.state.calls_to("POST", f"{OIDC}/token")


# -- token families ------------------------------------------------------------------------


async def test_reusing_a_rotated_refresh_token_ends_the_whole_family(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    first = await connect(sandbox, http)
    bystander = await connect(sandbox, http)  # another code: another family
    second = (await token_call(http, grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    assert (await http.get("/2.0/contact", headers=api(second["access_token"]))).status_code == 200

    reused = await token_call(http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    for access in (first["access_token"], second["access_token"]):
        answer = await http.get("/2.0/contact", headers=api(access))
        assert (answer.status_code, answer.json()) == (401, {"error_code": 401, "message": "Invalid token."})
    info = await http.get(f"{OIDC}/userinfo", headers=api(second["access_token"]))
    assert info.status_code == 401
    latest = await token_call(http, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert latest.json()["error"] == "invalid_grant"
    # Another family of the same user and client is untouched.
    assert (await http.get("/2.0/contact", headers=api(bystander["access_token"]))).status_code == 200
    still = await token_call(http, grant_type="refresh_token", refresh_token=bystander["refresh_token"])
    assert still.status_code == 200


async def test_revoking_a_refresh_token_ends_its_family_an_access_token_only_itself(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    async def revoke(token: str) -> None:
        response = await http.post(
            f"{OIDC}/revoke",
            data={"token": token, "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
        )
        assert response.status_code == 200

    first = await connect(sandbox, http)
    second = (await token_call(http, grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    await revoke(second["access_token"])
    assert (await http.get("/2.0/contact", headers=api(second["access_token"]))).status_code == 401
    assert (await http.get("/2.0/contact", headers=api(first["access_token"]))).status_code == 200

    bystander = await connect(sandbox, http)
    await revoke(second["refresh_token"])
    assert (await http.get("/2.0/contact", headers=api(first["access_token"]))).status_code == 401
    after = await token_call(http, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert after.json()["error"] == "invalid_grant"
    assert (await http.get("/2.0/contact", headers=api(bystander["access_token"]))).status_code == 200
    # The revocation went to the company whose token it was.
    assert len(sandbox.company(COMPANY_2).calls_to("POST", f"{OIDC}/revoke")) == 2


# -- bxhours sandbox -----------------------------------------------------------------------


async def test_the_printed_lines_are_everything_a_local_try_out_needs() -> None:
    out = io.StringIO()
    stop = asyncio.Event()
    states = [build_state("empty"), build_state("empty", company=2)]
    task = asyncio.create_task(
        serve_until_stopped(states, out=out, public_url="https://bx.example.test/", stop=stop)
    )
    try:
        for _ in range(200):
            if out.getvalue().count("\n") >= 8:
                break
            await asyncio.sleep(0.01)
        lines = out.getvalue().splitlines()
        env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
        assert [line.split("=", 1)[0] for line in lines[:5]] == [
            "BEXIO_API_URL",
            "BEXIO_ACCESS_TOKEN",
            "BEXIO_AUTH_URL",
            "BEXIO_CLIENT_ID",
            "BEXIO_CLIENT_SECRET",
        ]
        url = env["BEXIO_API_URL"]
        assert (env["BEXIO_AUTH_URL"], env["BEXIO_ACCESS_TOKEN"]) == (f"{url}/realms/bexio", DEMO_TOKEN)
        comments = [line for line in lines if line.startswith("#")]
        assert "https://bx.example.test/bexio/callback" in comments[0]
        assert '# company 2 sandbox2company "Seeblick Treuhand AG"' in comments[2]
        assert RETO in comments[2]
        second_token = comments[2].rsplit("BEXIO_ACCESS_TOKEN=", 1)[1]
        async with httpx.AsyncClient(base_url=url) as http:
            discovery = (
                await http.get(f"{env['BEXIO_AUTH_URL'].removeprefix(url)}/.well-known/openid-configuration")
            ).json()
            assert discovery["issuer"] == env["BEXIO_AUTH_URL"]
            info = (await http.get(f"{OIDC}/userinfo", headers=api(second_token))).json()
            assert info["company_name"] == "Seeblick Treuhand AG"
            query = urlencode(
                {
                    "client_id": env["BEXIO_CLIENT_ID"],
                    "response_type": "code",
                    "redirect_uri": "https://bx.example.test/bexio/callback",
                    "scope": SCOPES,
                }
            )
            location = await consent(
                f"{env['BEXIO_AUTH_URL']}/protocol/openid-connect/auth?{query}", email=RETO
            )
            assert location.startswith("https://bx.example.test/bexio/callback?")
            code = parse_qs(urlparse(location).query)["code"][0]
            traded = await http.post(
                f"{OIDC}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": "https://bx.example.test/bexio/callback",
                    "client_id": env["BEXIO_CLIENT_ID"],
                    "client_secret": env["BEXIO_CLIENT_SECRET"],
                },
            )
            assert traded.status_code == 200
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_bxhours_sandbox_serves_several_companies_and_stops_on_sigterm(tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("BEXIO_", "SLACK_"))
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bxhours.cli",
        "sandbox",
        "--seed",
        "empty",
        "--companies",
        "3",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        cwd=tmp_path,
        env=environment,
    )
    assert process.stdout is not None
    try:
        lines = [
            (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode().rstrip("\n")
            for _ in range(9)
        ]
        assert lines[0].startswith("BEXIO_API_URL=http://127.0.0.1:")
        assert lines[1] == f"BEXIO_ACCESS_TOKEN={DEMO_TOKEN}"
        assert lines[3:5] == [
            f"BEXIO_CLIENT_ID={DEMO_CLIENT_ID}",
            f"BEXIO_CLIENT_SECRET={DEMO_CLIENT_SECRET}",
        ]
        assert "http://127.0.0.1:3000/bexio/callback" in lines[5]
        assert [line.split('"')[1] for line in lines[6:9]] == [
            "Mustermann AG",
            "Seeblick Treuhand AG",
            "Sandbox Firma 3 AG",
        ]
        url = lines[0].split("=", 1)[1]
        third_token = lines[8].rsplit("BEXIO_ACCESS_TOKEN=", 1)[1]
        async with httpx.AsyncClient(base_url=url) as http:
            me = (await http.get("/3.0/users/me", headers=api(third_token))).json()
            assert me["is_superadmin"] is True and me["email"].endswith("@firma3.example")
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
