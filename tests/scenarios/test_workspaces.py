"""Two workspaces installed through "Add to Slack", each connected to its own bexio company by OAuth.

Everything goes through the public surface as a person's browser and Slack would: the install page,
the fake Slack's authorize page, the redirect back (with Bolt's state cookie), the App Home's Connect
link, the sandbox's login and consent page, the callback (with our state cookie) — then each
workspace imports its own company, and nothing crosses between them.
"""

from __future__ import annotations

import html

from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bxhours.fakes.stack import HostedStack
from storage.db import Database
from storage.models import BexioConnection, SlackInstallation, User
from tests.scenarios.hosted import (
    ALPEN,
    ANDREA,
    ANDREA_MAIL,
    COMPANY_1,
    COMPANY_2,
    RETO,
    RETO_MAIL,
    SEE,
    Browser,
    connect,
    install,
    tenant_of,
    wait_for_people,
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
    await wait_for_people(db, alpen)
    await wait_for_people(db, see)
    async with db.session(alpen) as session:
        alpen_mails = set(await session.scalars(select(User.email)))
    async with db.session(see) as session:
        see_mails = set(await session.scalars(select(User.email)))
    assert RETO_MAIL not in {m.casefold() for m in alpen_mails if m}
    assert RETO_MAIL in {m.casefold() for m in see_mails if m}
    second = companies.company("sandbox2company")
    assert second is not None and second.calls_to("GET", "/3.0/users"), (
        "company 2 was read with its own token"
    )

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
