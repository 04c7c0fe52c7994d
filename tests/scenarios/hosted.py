"""Hosted (multi-workspace) mode for scenario tests: two Slack workspaces, two bexio companies, and a
browser-like client that installs and connects them through the public pages.

``connected`` gives both workspaces installed through ``/slack/install`` and connected through
``/bexio/connect`` to their own sandbox company (Alpenblick → company 1, Seeblick → company 2).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import func, select

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bexio.sandbox.testing import consent
from bxhours.fakes.stack import HOSTED_CLIENT, HostedStack, run_hosted_stack
from storage.db import Database
from storage.models import Tenant, User

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
    view = view if isinstance(view, dict) else json.loads(view)
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "bexio_connect":
                return str(element["url"])
    raise AssertionError("the App Home has no Connect bexio button")


async def connect(
    stack: HostedStack,
    browser: Browser,
    user_id: str,
    team_id: str,
    email: str,
    company: str,
    *,
    link: str | None = None,
) -> tuple[int, str]:
    """Click Connect bexio in the App Home (or follow ``link``), sign in at the sandbox, come back."""
    if link is None:
        mine = lambda call: call.params.get("user_id") == user_id  # noqa: E731
        before = len([call for call in stack.fake.calls_to("views.publish") if mine(call)])
        await stack.slack.open_home(user_id, team_id=team_id)
        await stack.fake.wait_for("views.publish", mine, count=1 + before)
        link = connect_url(stack, user_id)
    status, _page, to_bexio = await browser.get(link)
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
        lambda c: (
            "import finished" in str(c.params.get("text", "")).lower()
            or "imported" in str(c.params.get("text", "")).lower()
        ),
        timeout=60,
    )


@dataclass
class Connected:
    stack: HostedStack
    browser: Browser
    alpen: int
    see: int


async def wait_for_people(db: Database, tenant_id: int) -> None:
    for _ in range(600):
        async with db.session(tenant_id) as session:
            if await session.scalar(select(func.count()).select_from(User)):
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"tenant {tenant_id} imported nobody")


async def wait_for_imports(db: Database, tenant_id: int) -> None:
    """Until no import of the tenant is queued or running (the first one starts by itself)."""
    from storage.models import SyncRun

    for _ in range(1200):
        async with db.session(tenant_id) as session:
            busy = await session.scalar(
                select(func.count()).select_from(SyncRun).where(SyncRun.status.in_(("queued", "running")))
            )
        if not busy:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"tenant {tenant_id}'s import did not finish")


async def install_and_connect_both(stack: HostedStack, browser: Browser, db: Database) -> Connected:
    await install(stack, browser, ALPEN, ANDREA)
    await install(stack, browser, SEE, RETO)
    status, page = await connect(stack, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_1)
    assert status == 200, page
    status, page = await connect(stack, browser, RETO, SEE, RETO_MAIL, COMPANY_2)
    assert status == 200, page
    alpen, see = await tenant_of(db, ALPEN), await tenant_of(db, SEE)
    await wait_for_people(db, alpen)
    await wait_for_people(db, see)
    await wait_for_imports(db, alpen)
    await wait_for_imports(db, see)
    return Connected(stack, browser, alpen, see)
