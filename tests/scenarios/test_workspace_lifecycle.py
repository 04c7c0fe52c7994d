"""A workspace's life in hosted mode: who may connect, starting from bexio, disconnecting, a broken
sign-in, removing the app, coming back, and being deleted — each through the public surface."""

from __future__ import annotations

import asyncio
import html
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bexio.sandbox import RunningSandbox
from bexio.sandbox.testing import consent
from bxhours import cli
from bxhours.fakes.stack import SIGNING_SECRET, HostedStack
from storage.db import Database
from storage.jobs import utcnow
from storage.models import BexioConnection, Job, SlackInstallation, SlackRequest, Tenant
from tests.scenarios.hosted import (
    ALPEN,
    ANDREA,
    ANDREA_MAIL,
    COMPANY_1,
    COMPANY_2,
    MIA,
    RETO,
    RETO_MAIL,
    SEE,
    Browser,
    connect,
    install,
    install_and_connect_both,
    tenant_of,
)


async def wait_until_uninstalled(db: Database, tenant_id: int) -> None:
    """Slack's events are acknowledged first and handled right after."""
    for _ in range(200):
        async with db.system_session() as session:
            tenant = await session.get(Tenant, tenant_id)
        if tenant is not None and tenant.status == "uninstalled":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the workspace was not marked uninstalled")


async def stored_tokens(db: Database, tenant_id: int) -> BexioConnection | None:
    async with db.session(tenant_id) as session:
        row = await session.scalar(select(BexioConnection))
    return row if row is not None and row.access_token_enc else None


async def test_each_failed_condition_is_named_and_nothing_is_stored(
    hosted: HostedStack, browser: Browser, db: Database, companies: RunningSandbox
) -> None:
    await install(hosted, browser, ALPEN, ANDREA)
    alpen = await tenant_of(db, ALPEN)
    connect_service = hosted.runtime.connect

    # Not an admin: a link minted for Mia (she never sees one) is refused at the callback.
    status, _page, to_bexio = await browser.get(connect_service.connect_link(alpen, MIA))
    assert status == 302 and to_bexio
    status, page, _ = await browser.get(await consent(to_bexio, email=ANDREA_MAIL, company_id=COMPANY_1))
    assert status == 403 and "Only bxhours admins can connect bexio" in html.unescape(page)

    # Not a superadmin: Andrea is only an accountant in company 2.
    status, page = await connect(hosted, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_2)
    assert status == 403 and "is not a superadmin of Seeblick Treuhand AG" in html.unescape(page)
    assert await stored_tokens(db, alpen) is None

    # Connected to company 1, then signing in to another company is refused; the same one resumes.
    status, page = await connect(hosted, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_1)
    assert status == 200, page
    companies.company(COMPANY_2).tables["user"][2]["is_superadmin"] = True  # now she is there too
    # Connected: the App Home offers Disconnect, no Connect; a fresh link is what Reconnect carries.
    relink = connect_service.connect_link(alpen, ANDREA)
    status, page = await connect(hosted, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_2, link=relink)
    assert status == 403 and "never switches a workspace to another company" in html.unescape(page)
    async with db.system_session() as session:
        tenant = await session.get(Tenant, alpen)
    assert tenant is not None and tenant.bexio_company_name == "Alpenblick Digital AG"
    relink = connect_service.connect_link(alpen, ANDREA)
    status, page = await connect(hosted, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_1, link=relink)
    assert status == 200 and "Signed in again" in page
    refusals = [m["text"] for m in hosted.fake.dm_messages(ANDREA) if "not connected" in m.get("text", "")]
    assert len(refusals) == 2, refusals  # each refusal also said in Slack (Mia's went to Mia)


async def test_starting_from_bexio_connects_the_workspace_installed_next(
    hosted: HostedStack, browser: Browser, db: Database
) -> None:
    status, _page, to_bexio = await browser.get(f"{hosted.url}/bexio/connect")
    assert status == 302 and to_bexio
    status, page, _ = await browser.get(await consent(to_bexio, email=RETO_MAIL, company_id=COMPANY_2))
    assert status == 200 and "Add bxhours to Slack" in page, page
    add = html.unescape(page.split('id="next" href="', 1)[1].split('"', 1)[0])
    assert add.startswith("/slack/install?pending=")
    status, install_page, _ = await browser.get(hosted.url + add)
    assert status == 200
    found = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', install_page)
    assert found, install_page
    authorize = html.unescape(found.group(1))
    back = await hosted.fake.approve(authorize, team_id=SEE, user_id=RETO)
    status, page, _ = await browser.get(back)
    assert status == 200 and "connected to Seeblick Treuhand AG" in page, page
    see = await tenant_of(db, SEE)
    assert await stored_tokens(db, see) is not None


async def test_disconnect_forgets_the_tokens_and_keeps_the_data(
    hosted: HostedStack, browser: Browser, db: Database, companies: RunningSandbox
) -> None:
    both = await install_and_connect_both(hosted, browser, db)
    revokes_before = len(
        companies.company(COMPANY_1).calls_to("POST", "/realms/bexio/protocol/openid-connect/revoke")
    )
    await hosted.slack.block_action(
        ANDREA, "bexio_disconnect", value="disconnect", team_id=ALPEN, view={"type": "home", "id": "V1"}
    )
    for _ in range(100):
        if await stored_tokens(db, both.alpen) is None:
            break
        await asyncio.sleep(0.05)
    assert await stored_tokens(db, both.alpen) is None
    assert await stored_tokens(db, both.see) is not None  # the other workspace is untouched
    revokes = companies.company(COMPANY_1).calls_to("POST", "/realms/bexio/protocol/openid-connect/revoke")
    assert len(revokes) > revokes_before
    async with db.system_session() as session:
        tenant = await session.get(Tenant, both.alpen)
    assert tenant is not None and tenant.bexio_company_name == "Alpenblick Digital AG"


async def test_removing_the_app_stops_the_workspace_and_deletes_it_later(
    hosted: HostedStack, browser: Browser, db: Database
) -> None:
    both = await install_and_connect_both(hosted, browser, db)
    for envelope in hosted.fake.uninstall(ALPEN):
        assert (await hosted.slack.send_event(envelope)).status == 200
    await wait_until_uninstalled(db, both.alpen)
    queued = None
    for _ in range(200):  # a job running at that moment ends, and what it queued next goes too
        async with db.system_session() as session:
            tenant = await session.get(Tenant, both.alpen)
            installed = await session.scalar(
                select(func.count())
                .select_from(SlackInstallation)
                .where(SlackInstallation.tenant_id == both.alpen)
            )
            queued = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.tenant_id == both.alpen, Job.status.in_(("queued", "running")))
            )
        if not queued:
            break
        await asyncio.sleep(0.05)
    assert tenant is not None and tenant.status == "uninstalled" and installed == 0 and queued == 0

    # Not deleted before DELETE_AFTER_UNINSTALL_DAYS; deleted after; the other workspace stays.
    workspaces = hosted.runtime.workspaces
    assert await workspaces.purge_due() == []
    async with db.system_session() as session:
        tenant = await session.get(Tenant, both.alpen)
        assert tenant is not None
        tenant.uninstalled_at = utcnow() - timedelta(days=31)
    assert await workspaces.purge_due() == [both.alpen]
    async with db.system_session() as session:
        assert await session.get(Tenant, both.alpen) is None
        assert await session.get(Tenant, both.see) is not None


async def test_reinstalling_before_the_deletion_brings_everything_back(
    hosted: HostedStack, browser: Browser, db: Database
) -> None:
    both = await install_and_connect_both(hosted, browser, db)
    for envelope in hosted.fake.uninstall(ALPEN):
        await hosted.slack.send_event(envelope)
    await wait_until_uninstalled(db, both.alpen)
    page = await install(hosted, browser, ALPEN, ANDREA)
    assert "installed in Alpenblick" in page
    assert await tenant_of(db, ALPEN) == both.alpen
    async with db.system_session() as session:
        tenant = await session.get(Tenant, both.alpen)
    assert tenant is not None and tenant.status == "active" and tenant.bexio_company_name


async def test_a_refused_refresh_parks_jobs_tells_admins_once_and_reconnecting_resumes(
    hosted: HostedStack, browser: Browser, db: Database, companies: RunningSandbox
) -> None:
    both = await install_and_connect_both(hosted, browser, db)
    company = companies.company(COMPANY_1)
    # bexio ends the sign-in (an admin revoked bxhours in bexio): every token of the family dies.
    for token in [*company.tokens.refresh, *company.tokens.access]:
        company.tokens.revoke(token)
    async with db.session(both.alpen) as session:
        row = await session.scalar(select(BexioConnection))
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
    await hosted.slack.command("/bx-sync", "", user_id=ANDREA, team_id=ALPEN)
    reconnect = await hosted.fake.wait_for(
        "chat.postMessage", lambda c: "Reconnect" in str(c.params.get("blocks", "")), timeout=30
    )
    assert reconnect[0].team_id == ALPEN
    parked: list[Job] = []
    for _ in range(200):  # the job is parked right after the DM went out
        async with db.system_session() as session:
            parked = list(
                await session.scalars(select(Job).where(Job.tenant_id == both.alpen, Job.status == "failed"))
            )
        if parked:
            break
        await asyncio.sleep(0.05)
    assert parked and all((job.last_error or "").startswith("bexio connection broken") for job in parked)
    assert (
        len(
            hosted.fake.calls_to(
                "chat.postMessage",
            )
        )
        >= 1
    )
    # The App Home now offers Reconnect bexio.
    status, page = await connect(hosted, browser, ANDREA, ALPEN, ANDREA_MAIL, COMPANY_1)
    assert status == 200, page
    async with db.system_session() as session:
        still = await session.scalar(
            select(func.count()).select_from(Job).where(Job.tenant_id == both.alpen, Job.status == "failed")
        )
    assert still == 0  # back in the queue (or done already)


def test_cli_names_the_workspaces_and_asks_which(
    hosted_cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["workspaces", "list"]) == 0
    out = capsys.readouterr().out
    assert ALPEN in out and SEE in out and "Alpenblick Digital AG" in out
    assert cli.main(["settings", "list"]) == 1
    assert "--workspace" in capsys.readouterr().err
    assert cli.main(["settings", "list", "--workspace", SEE]) == 0
    assert cli.main(["workspaces", "delete", SEE]) == 1
    assert "--confirm" in capsys.readouterr().err
    assert cli.main(["workspaces", "delete", SEE, "--confirm"]) == 0
    capsys.readouterr()
    assert cli.main(["workspaces", "list"]) == 0
    assert SEE not in capsys.readouterr().out


@pytest.fixture
def hosted_cli_env(
    database_url: str, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> dict[str, str]:
    """Two workspaces installed and connected, then the CLI configured like the server."""
    from bexio.sandbox import build_state, serve_sandbox
    from bxhours.fakes.stack import HOSTED_CLIENT, run_hosted_stack
    from tests.scenarios.hosted import Browser as _Browser

    env: dict[str, str] = {}

    async def prepare() -> None:
        import aiohttp

        async with (
            serve_sandbox(build_state("demo"), companies=[build_state("demo", company=2)]) as sandbox,
            run_hosted_stack(database_url, bexio_url=sandbox.url) as stack,
        ):
            sandbox.register_oauth_client(HOSTED_CLIENT[0], HOSTED_CLIENT[1], [stack.bexio_redirect_uri])
            stack.fake.add_workspace(ALPEN, "Alpenblick")
            stack.fake.add_user(ANDREA, ANDREA_MAIL, "Andrea Keller", is_owner=True, team_id=ALPEN)
            stack.fake.add_workspace(SEE, "Seeblick")
            stack.fake.add_user(RETO, RETO_MAIL, "Reto Brunner", is_admin=True, team_id=SEE)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
                await install_and_connect_both(stack, _Browser(session), db)
            settings = stack.runtime.settings
            env.update(
                DATABASE_URL=database_url,
                SLACK_CLIENT_ID=settings.slack_client_id or "",
                SLACK_CLIENT_SECRET=settings.slack_client_secret.get_secret_value()
                if settings.slack_client_secret
                else "",
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=settings.slack_api_url,
                BEXIO_CLIENT_ID=HOSTED_CLIENT[0],
                BEXIO_CLIENT_SECRET=HOSTED_CLIENT[1],
                BXHOURS_ENCRYPTION_KEY=settings.bxhours_encryption_key.get_secret_value()
                if settings.bxhours_encryption_key
                else "",
            )

    asyncio.run(prepare())
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for key in ("SLACK_BOT_TOKEN", "BXHOURS_ADMINS", "BEXIO_ACCESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


async def test_an_org_wide_install_is_one_tenant_for_the_enterprise(
    hosted: HostedStack, browser: Browser, db: Database
) -> None:
    fake = hosted.fake
    fake.add_workspace("T0GRIDA", "Grid Zürich", enterprise_id="E0GRID", enterprise_name="Grid Holding")
    fake.add_workspace("T0GRIDB", "Grid Bern", enterprise_id="E0GRID", enterprise_name="Grid Holding")
    fake.add_user(
        "U0GRIDADMIN", "it@grid.example", "Ida Admin", is_admin=True, is_owner=True, team_id="T0GRIDA"
    )
    fake.add_user("U0GRIDBERN", "ben@grid.example", "Ben Bern", team_id="T0GRIDB")
    status, page, _ = await browser.get(f"{hosted.url}/slack/install")
    found = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page)
    assert status == 200 and found
    back = await fake.approve(
        html.unescape(found.group(1)), team_id="T0GRIDA", user_id="U0GRIDADMIN", enterprise=True
    )
    status, page, _ = await browser.get(back)
    assert status == 200 and "installed in Grid Holding" in page, page
    async with db.system_session() as session:
        tenants = list(await session.scalars(select(Tenant)))
    assert [(t.slack_team_id, t.is_enterprise_install) for t in tenants] == [("E0GRID", True)]
    # People of both workspaces of the org reach the same tenant.
    for user, team in (("U0GRIDADMIN", "T0GRIDA"), ("U0GRIDBERN", "T0GRIDB")):
        answer = await hosted.slack.command("/bx-sync", "status", user_id=user, team_id=team)
        assert answer.status == 200
        assert "not installed" not in answer.text
    async with db.system_session() as session:
        rows = list(await session.scalars(select(SlackRequest.tenant_id)))
    assert rows and set(rows) == {tenants[0].id}


async def test_admins_are_asked_to_reconnect_for_a_scope_the_workspace_has_not_granted(
    hosted: HostedStack, browser: Browser, db: Database
) -> None:
    both = await install_and_connect_both(hosted, browser, db)
    async with db.session(both.alpen) as session:
        row = await session.scalar(select(BexioConnection))
        assert row is not None and row.scopes and "monitoring_edit" in row.scopes.split()
        row.scopes = " ".join(s for s in row.scopes.split() if s != "monitoring_edit")  # an older grant
    await hosted.slack.open_home(ANDREA, team_id=ALPEN)
    # Another refresh (the import's end) may publish meanwhile: wait for the Home that shows it.
    await hosted.fake.wait_for(
        "views.publish",
        lambda c: (
            c.params.get("user_id") == ANDREA
            and "Reconnect to allow monitoring_edit" in str(c.params["view"])
        ),
    )
    # Mia, no admin, sees neither the button nor the company's connection controls.
    await hosted.slack.open_home(MIA, team_id=ALPEN)
    mine = await hosted.fake.wait_for("views.publish", lambda c: c.params.get("user_id") == MIA)
    assert "bexio_connect" not in str(mine[-1].params["view"])
