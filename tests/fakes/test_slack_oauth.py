"""The fake Slack as an OAuth identity provider: the authorize page a browser clicks through,
``oauth.v2.access`` as strict as Slack's, several workspaces (one pair in an Enterprise Grid org)
told apart by token, token rotation, revocation and uninstalling, and the simulator acting in
another workspace."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bxhours.fakes.slack_api import FakeSlack
from bxhours.fakes.slack_client import SlackSimulator

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

REDIRECT = "https://bxhours.example/slack/oauth_redirect"
SCOPES = ["commands", "chat:write", "users:read", "users:read.email", "im:write"]
BERG, GRID_EAST, GRID_WEST, ORG = "T0002BERG", "T0003EAST", "T0004WEST", "E0001ALP"
ANNA, BEN = "U01ANNA", "U02BEN"  # the default workspace (T0001BX)
CLARA, DAVID = "U11CLARA", "U12DAVID"  # Bergbahn AG
ERIKA, FRANZ, GINA = "W21ERIKA", "W22FRANZ", "W31GINA"  # the Grid org: East (Erika, Franz), West (Gina)


def build_fake(**options: Any) -> FakeSlack:
    fake = FakeSlack(**options)
    fake.allow_redirect(REDIRECT)
    fake.add_user(ANNA, "anna@acme.example", "Anna Muster", is_primary_owner=True)
    fake.add_user(BEN, "ben@acme.example", "Ben Keller")
    fake.add_workspace(BERG, "Bergbahn AG", domain="bergbahn")
    fake.add_user(CLARA, "clara@bergbahn.example", "Clara Frei", team_id=BERG)
    fake.add_user(DAVID, "david@bergbahn.example", "David Roth", is_admin=True, team_id=BERG)
    fake.add_workspace(GRID_EAST, "Alpenblick Ost", enterprise_id=ORG, enterprise_name="Alpenblick Holding")
    fake.add_workspace(GRID_WEST, "Alpenblick West", enterprise_id=ORG)
    fake.add_user(ERIKA, "erika@alpenblick.example", "Erika Berg", is_owner=True, team_id=GRID_EAST)
    fake.add_user(FRANZ, "franz@alpenblick.example", "Franz Gerber", team_id=GRID_EAST)
    fake.add_user(GINA, "gina@alpenblick.example", "Gina Meier", team_id=GRID_WEST)
    return fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = build_fake()
    runner = await slack.start()
    yield slack
    await runner.cleanup()


@pytest.fixture
async def rotating() -> AsyncIterator[FakeSlack]:
    slack = build_fake(token_rotation=True)
    runner = await slack.start()
    yield slack
    await runner.cleanup()


def api(fake: FakeSlack, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.api_url)


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def exchange(fake: FakeSlack, code: str, redirect_uri: str | None = REDIRECT) -> dict[str, Any]:
    answer = await api(fake).oauth_v2_access(
        client_id=fake.client_id, client_secret=fake.client_secret, code=code, redirect_uri=redirect_uri
    )
    return answer.data  # type: ignore[return-value]


async def install(
    fake: FakeSlack,
    team_id: str,
    user_id: str | None = None,
    *,
    enterprise: bool = False,
    user_scopes: tuple[str, ...] = (),
) -> dict[str, Any]:
    url = fake.install_url(SCOPES, user_scopes=user_scopes, redirect_uri=REDIRECT, state="s1", team=team_id)
    location = await fake.approve(url, user_id=user_id, enterprise=enterprise)
    return await exchange(fake, query_of(location)["code"])


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def slack_error(call: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return str(refused.value.response["error"])


# -- the code flow ---------------------------------------------------------------------------------


async def test_two_workspaces_install_through_the_page_and_each_token_acts_in_its_own(
    fake: FakeSlack,
) -> None:
    state = "st&te=ü 1/2"
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT, state=state)
    async with aiohttp.ClientSession() as http, http.get(url) as page:
        text = await page.text()
    assert page.status == 200
    assert "Acme Digital" in text and "Bergbahn AG" in text and "users:read.email" in text
    assert 'name="nonce"' in text and 'id="allow"' in text and 'id="cancel"' in text

    location = await fake.approve(url, team_id=BERG, user_id=DAVID)
    assert location.startswith(REDIRECT + "?")
    sent = query_of(location)
    assert sent["state"] == state, "state comes back unchanged"
    berg = await exchange(fake, sent["code"])
    assert berg["ok"] is True
    assert berg["token_type"] == "bot"
    assert berg["access_token"].startswith("xoxb-")
    assert berg["scope"] == ",".join(SCOPES)
    assert berg["app_id"] == fake.app_id
    assert berg["bot_user_id"] == fake.workspaces[BERG].bot_user_id
    assert berg["team"] == {"name": "Bergbahn AG", "id": BERG}
    assert berg["enterprise"] is None
    assert berg["is_enterprise_install"] is False
    assert berg["authed_user"] == {"id": DAVID}
    assert "refresh_token" not in berg and "expires_in" not in berg

    acme = await install(fake, fake.team_id)
    assert acme["authed_user"] == {"id": ANNA}, "the primary owner is signed in by default"
    assert acme["access_token"] != berg["access_token"]

    for answer, team_id, name in ((berg, BERG, "Bergbahn AG"), (acme, fake.team_id, "Acme Digital")):
        identity = await api(fake, answer["access_token"]).auth_test()
        assert (identity["team_id"], identity["team"], identity["user_id"]) == (
            team_id,
            name,
            answer["bot_user_id"],
        )
        assert identity["is_enterprise_install"] is False
        assert "enterprise_id" not in identity.data  # type: ignore[operator]
        assert set(identity.headers["x-oauth-scopes"].split(",")) == set(SCOPES)
    assert [call.team_id for call in fake.calls_to("auth.test")] == [BERG, fake.team_id]
    assert fake.calls_to("oauth.v2.access")[0].team_id is None


async def test_bolt_runs_the_installation_against_the_fake(fake: FakeSlack, tmp_path: Path) -> None:
    """What bxhours' `/slack/oauth_redirect` will do: Bolt's own exchange, then auth.test for bot_id."""
    flow = AsyncOAuthFlow(
        client=api(fake),
        settings=AsyncOAuthSettings(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            scopes=SCOPES,
            redirect_uri=REDIRECT,
            installation_store=FileInstallationStore(base_dir=str(tmp_path / "i")),
            state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "s")),
        ),
    )
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT, state="x")
    code = query_of(await fake.approve(url, team_id=BERG))["code"]
    installation = await flow.run_installation(code)
    assert installation is not None
    assert (installation.team_id, installation.enterprise_id) == (BERG, None)
    assert installation.bot_id == fake.workspaces[BERG].bot_id
    assert installation.bot_token is not None and installation.bot_token.startswith("xoxb-")

    code = query_of(await fake.approve(url, team_id=GRID_EAST, user_id=ERIKA, enterprise=True))["code"]
    org = await flow.run_installation(code)
    assert org is not None
    assert (org.team_id, org.enterprise_id, org.is_enterprise_install) == (None, ORG, True)
    assert org.enterprise_url == fake.enterprises[ORG].url


async def test_credentials_by_basic_auth_or_in_the_form_and_wrong_ones_refused(fake: FakeSlack) -> None:
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT)
    codes = [query_of(await fake.approve(url))["code"] for _ in range(2)]
    async with aiohttp.ClientSession() as http:

        async def post(form: dict[str, str], auth: tuple[str, str] | None = None) -> dict[str, Any]:
            headers = {"Authorization": basic(*auth)} if auth else {}
            async with http.post(f"{fake.api_url}oauth.v2.access", data=form, headers=headers) as answer:
                assert answer.status == 200
                return dict(await answer.json())

        by_form = await post(
            {
                "client_id": fake.client_id,
                "client_secret": fake.client_secret,
                "code": codes[0],
                "redirect_uri": REDIRECT,
            }
        )
        assert by_form["ok"] is True
        form = {"code": codes[1], "redirect_uri": REDIRECT}
        assert await post(form, (fake.client_id, "wrong")) == {
            "ok": False,
            "error": "bad_client_secret",
        }
        assert (await post(form, ("1.2", fake.client_secret)))["error"] == "invalid_client_id"
        assert (await post(form))["error"] == "invalid_client_id"
        grant = {**form, "grant_type": "password"}
        refused = await post(grant, (fake.client_id, fake.client_secret))
        assert refused["error"] == "invalid_grant_type"
        assert (await post(form, (fake.client_id, fake.client_secret)))["ok"] is True


async def test_a_code_works_once_and_for_ten_minutes(fake: FakeSlack) -> None:
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT)
    code = query_of(await fake.approve(url))["code"]
    assert (await exchange(fake, code))["ok"] is True
    assert await slack_error(exchange(fake, code)) == "invalid_code"
    assert await slack_error(exchange(fake, "4724469134.1.nonsense")) == "invalid_code"
    late = query_of(await fake.approve(url))["code"]
    fake.advance(601)
    assert await slack_error(exchange(fake, late)) == "invalid_code"


async def test_the_redirect_uri_must_be_registered_and_repeated_exactly(fake: FakeSlack) -> None:
    elsewhere = "https://evil.example/steal"
    async with aiohttp.ClientSession() as http:
        url = fake.install_url(SCOPES, redirect_uri=elsewhere, state="s")
        async with http.get(url, allow_redirects=False) as page:
            text = await page.text()
        assert page.status == 400 and "Location" not in page.headers
        assert "bad_redirect_uri" in text and elsewhere in text
        with pytest.raises(AssertionError, match="bad_redirect_uri"):
            await fake.approve(url)

    url = fake.install_url(SCOPES, redirect_uri=REDIRECT)
    code = query_of(await fake.approve(url))["code"]
    assert await slack_error(exchange(fake, code, redirect_uri=REDIRECT + "/other")) == "bad_redirect_uri"
    assert await slack_error(exchange(fake, code, redirect_uri=None)) == "bad_redirect_uri"
    assert (await exchange(fake, code))["ok"] is True, "the refused tries did not use the code up"

    # Without redirect_uri Slack sends the person to the first configured URL.
    location = await fake.approve(fake.install_url(SCOPES))
    assert location.startswith(REDIRECT + "?")
    assert (await exchange(fake, query_of(location)["code"], redirect_uri=None))["ok"] is True


@pytest.mark.parametrize(
    ("change", "error", "shown"),
    [
        ({"client_id": "999.999"}, "invalid_client_id", "Invalid client_id"),
        ({"scope": "commands,chat:wirte"}, "invalid_scope", "Invalid scopes: chat:wirte"),
        ({"scope": "", "user_scope": "identity.basic"}, "invalid_scope", "Invalid scopes: identity.basic"),
        ({"scope": ""}, "invalid_scope", "cannot be blank"),
    ],
)
async def test_a_bad_authorize_request_gets_an_error_page_and_no_redirect(
    fake: FakeSlack, change: dict[str, str], error: str, shown: str
) -> None:
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT, state="s")
    query = {**query_of(url), **change}
    async with (
        aiohttp.ClientSession() as http,
        http.get(fake.authorize_url, params=query, allow_redirects=False) as page,
    ):
        text = await page.text()
    assert page.status == 400 and "Location" not in page.headers
    assert f'<code id="error">{error}</code>' in text
    assert shown in text


async def test_cancel_sends_access_denied_with_the_state(fake: FakeSlack) -> None:
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT, state="keep me")
    location = await fake.approve(url, cancel=True)
    assert query_of(location) == {"error": "access_denied", "state": "keep me"}
    assert not fake._codes


async def test_the_consent_form_only_counts_once_and_as_shown(fake: FakeSlack) -> None:
    url = fake.install_url(SCOPES, redirect_uri=REDIRECT, state="s")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            text = await page.text()
        nonce = text.split('name="nonce" value="')[1].split('"')[0]
        form = {
            **query_of(url),
            "team": fake.team_id,
            "nonce": nonce,
            "user": ANNA,
            "action": "allow",
        }
        forged = {**form, "redirect_uri": "https://evil.example/"}
        async with http.post(fake.authorize_url, data=forged, allow_redirects=False) as answer:
            assert answer.status == 400
        async with http.get(url) as page:
            nonce = (await page.text()).split('name="nonce" value="')[1].split('"')[0]
        form["nonce"] = nonce
        async with http.post(
            fake.authorize_url, data={**form, "user": CLARA}, allow_redirects=False
        ) as answer:
            assert answer.status == 400, "someone of another workspace cannot allow for this one"
        async with http.get(url) as page:
            form["nonce"] = (await page.text()).split('name="nonce" value="')[1].split('"')[0]
        async with http.post(fake.authorize_url, data=form, allow_redirects=False) as answer:
            assert answer.status == 302
        async with http.post(fake.authorize_url, data=form, allow_redirects=False) as answer:
            assert answer.status == 400, "a form is sent once"
        async with http.post(
            fake.authorize_url, data={k: v for k, v in form.items() if k != "nonce"}, allow_redirects=False
        ) as answer:
            assert answer.status == 400


# -- Enterprise Grid ---------------------------------------------------------------------------------


async def test_an_org_wide_install_serves_every_workspace_of_the_org(fake: FakeSlack) -> None:
    with pytest.raises(AssertionError, match="organisation admins"):
        await install(fake, GRID_EAST, FRANZ, enterprise=True)
    with pytest.raises(AssertionError, match="no org-wide install"):
        await install(fake, BERG, enterprise=True)

    org = await install(fake, GRID_EAST, ERIKA, enterprise=True)
    assert org["is_enterprise_install"] is True
    assert org["team"] is None
    assert org["enterprise"] == {"name": "Alpenblick Holding", "id": ORG}
    assert org["authed_user"] == {"id": ERIKA}
    token = org["access_token"]

    identity = await api(fake, token).auth_test()
    assert identity["is_enterprise_install"] is True
    assert identity["enterprise_id"] == ORG
    assert identity["url"] == fake.enterprises[ORG].url
    assert identity["user_id"] == org["bot_user_id"]
    gina = await api(fake, token).users_info(user=GINA)
    assert gina["user"]["team_id"] == GRID_WEST
    assert gina["user"]["enterprise_user"]["enterprise_id"] == ORG
    assert await slack_error(api(fake, token).users_info(user=CLARA)) == "user_not_found"
    members = await api(fake, token).users_list(team_id=GRID_WEST)
    assert [m["id"] for m in members["members"]] == [GINA]

    refused = await slack_error(install(fake, GRID_WEST, GINA))
    assert refused == "cannot_install_an_org_installed_app"


async def test_a_workspace_of_an_org_can_install_for_itself(fake: FakeSlack) -> None:
    east = await install(fake, GRID_EAST, FRANZ)
    assert east["team"] == {"name": "Alpenblick Ost", "id": GRID_EAST}
    assert east["enterprise"] == {"name": "Alpenblick Holding", "id": ORG}
    assert east["is_enterprise_install"] is False
    identity = await api(fake, east["access_token"]).auth_test()
    assert (identity["team_id"], identity["enterprise_id"], identity["is_enterprise_install"]) == (
        GRID_EAST,
        ORG,
        False,
    )
    assert await slack_error(api(fake, east["access_token"]).users_info(user=GINA)) == "user_not_found"


# -- token rotation ----------------------------------------------------------------------------------


async def test_rotating_tokens_expire_and_a_refresh_token_works_once(rotating: FakeSlack) -> None:
    fake = rotating
    first = await install(fake, BERG, CLARA, user_scopes=("search:read",))
    assert first["access_token"].startswith("xoxe.xoxb-1-")
    assert first["refresh_token"].startswith("xoxe-1-")
    assert first["expires_in"] == 43200
    user = first["authed_user"]
    assert user["access_token"].startswith("xoxe.xoxp-1-")
    assert user["refresh_token"].startswith("xoxe-1-") and user["expires_in"] == 43200
    assert (await api(fake, first["access_token"]).auth_test())["team_id"] == BERG

    assert fake.expire_tokens(BERG) == 2
    assert await slack_error(api(fake, first["access_token"]).auth_test()) == "token_expired"

    client = api(fake)
    refreshed = await client.oauth_v2_access(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    assert refreshed["token_type"] == "bot"
    assert refreshed["access_token"].startswith("xoxe.xoxb-1-")
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert refreshed["expires_in"] == 43200
    assert refreshed["team"] == {"name": "Bergbahn AG", "id": BERG}
    assert (await api(fake, refreshed["access_token"]).auth_test())["team_id"] == BERG

    again = client.oauth_v2_access(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    assert await slack_error(again) == "invalid_refresh_token", "the old refresh token is dead"

    user_refresh = await client.oauth_v2_access(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        grant_type="refresh_token",
        refresh_token=user["refresh_token"],
    )
    assert user_refresh["token_type"] == "user"
    assert (await api(fake, user_refresh["access_token"]).auth_test())["user_id"] == CLARA

    fake.advance(43200)
    assert await slack_error(api(fake, refreshed["access_token"]).auth_test()) == "token_expired"


async def test_without_rotation_tokens_do_not_expire(fake: FakeSlack) -> None:
    berg = await install(fake, BERG)
    assert fake.expire_tokens(BERG) == 0
    fake.advance(10 * 43200)
    assert (await api(fake, berg["access_token"]).auth_test())["ok"] is True


# -- revoking and uninstalling -----------------------------------------------------------------------


async def test_uninstall_kills_the_tokens_and_returns_both_events(rotating: FakeSlack) -> None:
    fake = rotating
    berg = await install(fake, BERG, DAVID, user_scopes=("search:read",))
    acme_token = fake.bot_token

    revoked, uninstalled = fake.uninstall(BERG)

    assert revoked["type"] == uninstalled["type"] == "event_callback"
    for envelope in (revoked, uninstalled):
        assert envelope["team_id"] == BERG
        assert envelope["api_app_id"] == fake.app_id
        assert envelope["token"] == fake.verification_token
        assert envelope["event_id"].startswith("Ev") and isinstance(envelope["event_time"], int)
        assert "enterprise_id" not in envelope
    assert revoked["event"] == {
        "type": "tokens_revoked",
        "tokens": {"oauth": [DAVID], "bot": [berg["bot_user_id"]]},
    }
    assert uninstalled["event"] == {"type": "app_uninstalled"}
    assert revoked["event_id"] != uninstalled["event_id"]
    assert fake.sent_events[-2:] == [revoked, uninstalled]

    assert await slack_error(api(fake, berg["access_token"]).auth_test()) == "account_inactive"
    user_token = berg["authed_user"]["access_token"]
    assert await slack_error(api(fake, user_token).auth_test()) == "token_revoked"
    refresh = api(fake).oauth_v2_access(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        grant_type="refresh_token",
        refresh_token=berg["refresh_token"],
    )
    assert await slack_error(refresh) == "invalid_refresh_token"
    assert (await api(fake, acme_token).auth_test())["team_id"] == fake.team_id, "other workspaces go on"
    with pytest.raises(ValueError, match="not installed"):
        fake.uninstall(BERG)

    again = await install(fake, BERG, DAVID)
    assert (await api(fake, again["access_token"]).auth_test())["team_id"] == BERG


async def test_an_org_wide_uninstall_names_the_org(fake: FakeSlack) -> None:
    org = await install(fake, GRID_EAST, ERIKA, enterprise=True)
    revoked, uninstalled = fake.uninstall(None, enterprise_id=ORG)
    for envelope in (revoked, uninstalled):
        assert envelope["enterprise_id"] == ORG and "team_id" not in envelope
    assert revoked["event"]["tokens"] == {"oauth": [], "bot": [org["bot_user_id"]]}
    assert await slack_error(api(fake, org["access_token"]).auth_test()) == "account_inactive"


async def test_auth_revoke_and_team_info(fake: FakeSlack) -> None:
    berg = await install(fake, BERG)
    client = api(fake, berg["access_token"])
    team = await client.team_info()
    assert team["team"]["id"] == BERG and team["team"]["domain"] == "bergbahn"
    assert await slack_error(client.team_info(team=fake.team_id)) == "team_not_found"
    assert (await client.auth_revoke(test=True))["revoked"] is False
    assert (await client.auth_test())["ok"] is True
    assert (await client.auth_revoke())["revoked"] is True
    assert await slack_error(client.auth_test()) == "token_revoked"
    assert [e["event"]["type"] for e in fake.sent_events] == ["tokens_revoked", "app_uninstalled"]
    assert await slack_error(api(fake, "xoxb-never-issued").auth_test()) == "invalid_auth"
    assert await slack_error(api(fake).auth_test()) == "not_authed"


# -- one workspace's token sees only its workspace ---------------------------------------------------


async def test_a_person_of_one_workspace_is_unknown_to_another_workspaces_token(fake: FakeSlack) -> None:
    acme = api(fake, fake.bot_token)
    berg = api(fake, (await install(fake, BERG))["access_token"])

    assert (await berg.users_info(user=CLARA))["user"]["team_id"] == BERG
    assert await slack_error(berg.users_info(user=ANNA)) == "user_not_found"
    assert await slack_error(acme.users_info(user=CLARA)) == "user_not_found"
    assert await slack_error(berg.users_lookupByEmail(email="anna@acme.example")) == "users_not_found"
    assert [m["id"] for m in (await berg.users_list())["members"]] == [CLARA, DAVID]
    assert await slack_error(berg.conversations_open(users=ANNA)) == "user_not_found"
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}
    assert await slack_error(berg.views_publish(user_id=ANNA, view=home)) == "user_not_found"
    anna_dm = (await acme.conversations_open(users=ANNA))["channel"]["id"]
    assert await slack_error(berg.chat_postMessage(channel=anna_dm, text="hello")) == "channel_not_found"
    await acme.chat_postMessage(channel=anna_dm, text="hello")
    assert [m["text"] for m in fake.dm_messages(ANNA)] == ["hello"]

    assert {c.team_id for c in fake.calls_in(BERG)} == {BERG}
    assert [c.method for c in fake.calls_in(fake.team_id, "chat.postMessage")] == ["chat.postMessage"]
    fake.fail_next("users.info", "ratelimited", status=429, retry_after=1, team_id=fake.team_id)
    assert (await berg.users_info(user=CLARA))["ok"] is True, "a failure scripted for Acme spares Bergbahn"
    assert await slack_error(acme.users_info(user=ANNA)) == "ratelimited"


async def test_the_default_workspace_works_as_before(fake: FakeSlack) -> None:
    identity = await api(fake, fake.bot_token).auth_test()
    assert identity.data == {
        "ok": True,
        "url": "https://acme-digital.slack.com/",
        "team": "Acme Digital",
        "team_id": fake.team_id,
        "user": "bxhours",
        "user_id": fake.bot_user_id,
        "bot_id": "B0BOT",
        "is_enterprise_install": False,
    }
    assert fake.users[ANNA].is_primary_owner and fake.users[ANNA].is_admin
    assert set(fake.users) == {ANNA, BEN}
    with pytest.raises(ValueError, match="member of T0002BERG"):
        fake.add_user(CLARA, "x@example.ch", "X Y")


# -- the simulator in several workspaces -------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[tuple[str, str]] = []

    async def events(self, request: web.Request) -> web.Response:
        self.bodies.append((request.content_type, await request.text()))
        return web.Response(status=200)

    def last(self) -> Any:
        content_type, body = self.bodies[-1]
        if content_type == "application/json":
            return json.loads(body)
        fields = {key: values[0] for key, values in parse_qs(body).items()}
        return json.loads(fields["payload"]) if "payload" in fields else fields


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/slack/events", recorder.events)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield recorder, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_the_simulator_acts_in_the_persons_workspace(
    fake: FakeSlack, recorder: tuple[Recorder, str]
) -> None:
    seen, url = recorder
    async with SlackSimulator(url, "secret", fake) as slack:
        await slack.command("/log-hours", "2h", user_id=ANNA)
        acme = seen.last()
        assert (acme["team_id"], acme["team_domain"], acme["is_enterprise_install"]) == (
            fake.team_id,
            "acme-digital",
            "false",
        )
        assert "enterprise_id" not in acme

        await slack.command("/log-hours", "2h", user_id=CLARA)
        berg = seen.last()
        assert (berg["team_id"], berg["team_domain"]) == (BERG, "bergbahn")
        assert f"/hooks/commands/{BERG}/" in berg["response_url"]

        await install(fake, GRID_EAST, ERIKA, enterprise=True)
        await slack.command("/log-hours", "2h", user_id=GINA)
        grid = seen.last()
        assert (grid["team_id"], grid["enterprise_id"], grid["enterprise_name"]) == (
            GRID_WEST,
            ORG,
            "Alpenblick Holding",
        )
        assert grid["is_enterprise_install"] == "true"

        await slack.block_action(GINA, "week_nav", value="1")
        action = seen.last()
        assert action["team"]["id"] == GRID_WEST and action["user"]["team_id"] == GRID_WEST
        assert action["enterprise"] == {"id": ORG, "name": "Alpenblick Holding"}
        assert action["is_enterprise_install"] is True

        await slack.submit_view(CLARA, {"id": "V1", "type": "modal", "blocks": []}, {})
        assert seen.last()["team"] == {"id": BERG, "domain": "bergbahn"}
        assert seen.last()["enterprise"] is None

        await slack.open_home(GINA)
        home = seen.last()
        assert (home["team_id"], home["enterprise_id"]) == (GRID_WEST, ORG)
        assert home["authorizations"] == [
            {
                "enterprise_id": ORG,
                "team_id": None,
                "user_id": fake.enterprises[ORG].bot_user_id,
                "is_bot": True,
                "is_enterprise_install": True,
            }
        ]
        await slack.open_home(CLARA)
        assert seen.last()["authorizations"][0]["team_id"] == BERG

        envelopes = fake.uninstall(None, enterprise_id=ORG)
        for envelope in envelopes:
            await slack.send_event(envelope)
            assert seen.last() == envelope
