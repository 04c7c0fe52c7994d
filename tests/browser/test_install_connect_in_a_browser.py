"""Installing bxhours and connecting bexio in a real browser (issue 13 §11).

Headless Chromium clicks "Add to Slack" on Bolt's install page, picks the workspace and the person
on the fake Slack's authorize page and clicks Allow, lands on bxhours' "installed" page; then opens
the Connect link of the App Home bxhours published, signs in on the sandbox's bexio login page
(choosing the company: the e-mail belongs to two), allows, and lands on "connected". Cookies,
redirects and ``state`` are handled by the browser, not by a test client that might forgive what
Chromium does not.

The sandbox is served as ``localhost`` while bxhours and the fake Slack are ``127.0.0.1``: to the
browser bexio is another site, as in production, so the callback after bexio's form post must work
with a ``SameSite=Lax`` state cookie.

The servers run on the test's event loop; every blocking Selenium call runs in a thread
(``asyncio.to_thread``) so the loop keeps serving the browser meanwhile.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp
import pytest
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bot.connect_routes import BEXIO_STATE_COOKIE
from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.stack import HOSTED_CLIENT, HostedStack, run_hosted_stack
from storage.db import Database
from storage.models import BexioConnection, Tenant

from .conftest import WAIT_SECONDS

ALPEN, ALPEN_NAME = "T0ALPEN", "Alpenblick"
ANDREA, MIA = "U0ANDREA", "U0MIA"
ANDREA_MAIL = "andrea.keller@alpenblick.example"
COMPANY_1, COMPANY_1_NAME = "sandbox0company", "Alpenblick Digital AG"
SLACK_STATE_COOKIE = "bxhours-slack-oauth-state"

T = TypeVar("T")

# What a browser does with cookies and redirects does not depend on the database, and both backends
# run this flow in tests/scenarios/test_workspaces.py: one browser run is enough.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def companies() -> AsyncIterator[RunningSandbox]:
    """Two companies, so Andrea's e-mail (a user of both) has to choose one on the login page."""
    async with serve_sandbox(build_state("demo"), companies=[build_state("demo", company=2)]) as running:
        yield running


@pytest.fixture
async def hosted(database_url: str, db: Database, companies: RunningSandbox) -> AsyncIterator[HostedStack]:
    # bexio is another site to the browser: "localhost", while bxhours is 127.0.0.1.
    bexio_url = companies.url.replace("://127.0.0.1:", "://localhost:")
    async with run_hosted_stack(database_url, bexio_url=bexio_url, with_worker=False) as stack:
        companies.register_oauth_client(HOSTED_CLIENT[0], HOSTED_CLIENT[1], [stack.bexio_redirect_uri])
        stack.fake.add_workspace("T0OTHER", "Another Workspace")  # shown first: the test switches
        stack.fake.add_workspace(ALPEN, ALPEN_NAME)
        stack.fake.add_user(ANDREA, ANDREA_MAIL, "Andrea Keller", is_owner=True, team_id=ALPEN)
        stack.fake.add_user(MIA, "mia.schmid@alpenblick.example", "Mia Schmid", team_id=ALPEN)
        yield stack


# -- the browser's side (blocking: run in a thread) ----------------------------------------------------


def wait(driver: Chrome, condition: Callable[[Chrome], T], what: str) -> T:
    """Wait for ``condition``; on a timeout fail with where the browser is and what it shows.

    While the browser navigates, ChromeDriver answers some lookups with errors (an element of the
    page being left is stale, its node "does not belong to the document", a script's context was
    destroyed): the condition is simply asked again. The last such error is in the failure.
    """
    errors: list[WebDriverException] = []

    def asked(d: Chrome) -> T | bool:
        try:
            return condition(d)
        except WebDriverException as exc:
            errors.append(exc)
            return False

    try:
        return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(asked)  # type: ignore[return-value]
    except TimeoutException:
        try:
            shown = driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            shown = driver.page_source
        last = f"\n(last error: {errors[-1].msg})" if errors else ""
        raise AssertionError(
            f"waited for {what}; the browser is at {driver.current_url}:\n{shown}{last}"
        ) from None


def click_away(driver: Chrome, target: WebElement, what: str) -> None:
    """Click something that leaves the page, and wait until the browser shows another document (a
    mark left on this page's window is gone)."""
    driver.execute_script("window.bxhoursLeaving = true")
    target.click()
    wait(
        driver,
        lambda d: d.execute_script(
            "return window.bxhoursLeaving !== true && document.readyState !== 'loading'"
        ),
        f"the browser to leave the page after {what}",
    )


def element(driver: Chrome, by: str, value: str) -> WebElement | bool:
    found = driver.find_elements(by, value)
    return found[0] if found and found[0].is_displayed() else False


def heading_at(url_prefix: str) -> Callable[[Chrome], str | bool]:
    """The page's ``<h1>`` once the browser shows a page under ``url_prefix``."""

    def shown(d: Chrome) -> str | bool:
        if not d.current_url.startswith(url_prefix):
            return False
        heading = element(d, By.TAG_NAME, "h1")
        return heading.text if isinstance(heading, WebElement) and heading.text else False

    return shown


def add_to_slack(driver: Chrome, stack: HostedStack, team_id: str, user_id: str, *, allow: bool) -> str:
    """From bxhours' install page through the Slack authorize page back to bxhours; the page's text."""
    driver.get(f"{stack.url}/slack/install")
    link = wait(
        driver, lambda d: element(d, By.XPATH, "//a[img[@alt='Add to Slack']]"), "the Add to Slack link"
    )
    assert isinstance(link, WebElement)
    cookie = driver.get_cookie(SLACK_STATE_COOKIE)
    assert cookie is not None, f"the browser kept no {SLACK_STATE_COOKIE} cookie: {driver.get_cookies()}"
    assert cookie["httpOnly"] and cookie.get("sameSite") == "Lax" and not cookie["secure"], cookie
    click_away(driver, link, "Add to Slack")

    authorize = stack.fake.authorize_url
    wait(driver, lambda d: d.current_url.startswith(authorize) and element(d, By.ID, "team"), "Slack's page")
    workspace = stack.fake.workspace(team_id).name
    if driver.find_element(By.ID, "workspace-name").text != workspace:
        Select(driver.find_element(By.ID, "team")).select_by_value(team_id)
        click_away(driver, driver.find_element(By.ID, "switch"), "Switch workspace")
        wait(
            driver,
            lambda d: (name := element(d, By.ID, "workspace-name")) and name.text == workspace,  # type: ignore[union-attr]
            f"Slack's page for {workspace}",
        )
    Select(driver.find_element(By.ID, "user")).select_by_value(user_id)
    click_away(driver, driver.find_element(By.ID, "allow" if allow else "cancel"), "Allow or Cancel")

    wait(driver, heading_at(f"{stack.url}/slack/oauth_redirect"), "bxhours' page after Slack")
    left = driver.get_cookie(SLACK_STATE_COOKIE)  # the state is used up, allowed or cancelled
    assert left is None, f"the used state cookie is still in the browser: {left}"
    return str(driver.find_element(By.TAG_NAME, "body").text)


def connect_bexio(
    driver: Chrome, stack: HostedStack, connect_url: str, email: str, company_id: str
) -> tuple[str, bool]:
    """From the App Home's Connect link through bexio's login page back to bxhours: the page's text,
    and whether bexio asked for the company."""
    driver.get(connect_url)
    wait(
        driver,
        lambda d: "/realms/bexio/" in d.current_url and element(d, By.ID, "kc-form-login"),
        "bexio's login page",
    )
    assert driver.current_url.startswith("http://localhost:"), driver.current_url
    username = driver.find_element(By.ID, "username")
    username.clear()
    username.send_keys(email)
    driver.find_element(By.ID, "password").send_keys("any password will do")
    asked = False
    for _ in range(2):  # the company is asked on the first page or after signing in
        company = element(driver, By.ID, "company")
        if isinstance(company, WebElement):
            Select(company).select_by_value(company_id)
            asked = True
        click_away(driver, driver.find_element(By.ID, "kc-login"), "Zugriff erlauben")

        def answered(d: Chrome) -> str | bool:
            back = heading_at(stack.bexio_redirect_uri)(d)
            if back:
                return "back"
            asking = element(d, By.ID, "company")
            if isinstance(asking, WebElement) and not Select(asking).first_selected_option.get_attribute(
                "value"
            ):
                return "company"
            return False

        if wait(driver, answered, "bxhours' page after bexio (or bexio asking for the company)") == "back":
            left = driver.get_cookie(BEXIO_STATE_COOKIE)  # visible here: the page is under /bexio
            assert left is None, f"the used state cookie is still in the browser: {left}"
            return str(driver.find_element(By.TAG_NAME, "body").text), asked
    raise AssertionError(f"bexio's page kept asking: {driver.find_element(By.TAG_NAME, 'body').text}")


async def in_browser(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


# -- the test's side ----------------------------------------------------------------------------------


async def connect_link(stack: HostedStack, user_id: str, team_id: str) -> str:
    """Open the App Home as ``user_id`` in Slack and read the URL of its Connect bexio button."""

    def for_user(call: SlackCall) -> bool:
        return call.params.get("user_id") == user_id

    before = len([call for call in stack.fake.calls_to("views.publish") if for_user(call)])
    await stack.slack.open_home(user_id, team_id=team_id)
    published = await stack.fake.wait_for("views.publish", for_user, count=before + 1, timeout=WAIT_SECONDS)
    view = published[-1].params["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    for block in view["blocks"]:
        for item in block.get("elements", []):
            if item.get("action_id") == "bexio_connect":
                return str(item["url"])
    raise AssertionError(f"the App Home has no Connect bexio button: {view}")


async def test_add_to_slack_then_connect_bexio_in_a_browser(
    hosted: HostedStack, chrome: Chrome, db: Database, companies: RunningSandbox
) -> None:
    page = await in_browser(add_to_slack, chrome, hosted, ALPEN, ANDREA, allow=True)
    assert f"bxhours is installed in {ALPEN_NAME}" in page, page
    assert "Connect bexio" in page, page

    link = await connect_link(hosted, ANDREA, ALPEN)
    assert link.startswith(f"{hosted.url}/bexio/connect"), link
    page, asked = await in_browser(connect_bexio, chrome, hosted, link, ANDREA_MAIL, COMPANY_1)
    assert asked, "bexio did not ask for the company, though Andrea's e-mail signs in to two"
    assert f"bxhours is connected to {COMPANY_1_NAME}" in page, page

    async with db.system_session() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slack_team_id == ALPEN))
    assert tenant is not None
    async with db.session(tenant.id) as session:
        row = await session.scalar(select(BexioConnection))
    assert row is not None and row.auth_kind == "oauth" and row.access_token_enc and row.refresh_token_enc
    token = hosted.runtime.cipher.decrypt(row.access_token_enc)
    assert token not in row.access_token_enc  # stored encrypted
    # ... and it is a token of the company Andrea chose.
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{companies.url}/2.0/company_profile",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        ) as answer,
    ):
        assert answer.status == 200, await answer.text()
        profile = await answer.json()
    assert profile[0]["name"] == COMPANY_1_NAME


async def test_cancel_on_slack_shows_not_installed(hosted: HostedStack, chrome: Chrome, db: Database) -> None:
    page = await in_browser(add_to_slack, chrome, hosted, ALPEN, ANDREA, allow=False)
    assert "bxhours was not installed" in page and "You cancelled the installation" in page, page
    async with db.system_session() as session:
        assert await session.scalar(select(Tenant).where(Tenant.slack_team_id == ALPEN)) is None
