"""A real browser for the install and connect pages: headless Chromium from the distribution's
packages (``apt-get install chromium chromium-driver``), driven by Selenium.

Without Chromium or its driver the browser tests are skipped, so a developer machine without them
still runs the suite; ``.ci/run`` installs both and sets ``BXHOURS_BROWSER_REQUIRED=1``, so there a
missing browser fails instead of skipping quietly.

The browser reaches nothing but the loopback servers of the test: every other host name resolves to
"not found" (Bolt's install page shows an image from slack-edge.com), and Chromium's own background
traffic is switched off.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
#: Generous: the CI machine is a loaded 2-core box, and a first page load starts the renderer.
WAIT_SECONDS = 30.0


def _find(names: tuple[str, ...], env: str) -> str | None:
    configured = os.environ.get(env, "").strip()
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return next((path for path in map(shutil.which, names) if path), None)


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    browser = _find(CHROMIUM_NAMES, "CHROMIUM")
    driver = _find(("chromedriver",), "CHROMEDRIVER")
    if browser is None or driver is None:
        missing = " and ".join(
            name for name, path in (("chromium", browser), ("chromedriver", driver)) if path is None
        )
        reason = f"{missing} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("BXHOURS_BROWSER_REQUIRED") == "1":
            pytest.fail(f"BXHOURS_BROWSER_REQUIRED=1 but {reason}")
        pytest.skip(reason)
    return browser, driver


@pytest.fixture
def chrome(chromium_paths: tuple[str, str], tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium: its own profile, so no cookie survives from another test."""
    browser, driver = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = browser  # with the driver's path too, Selenium Manager never runs
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=1024,900",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    service = Service(executable_path=driver, log_output=str(tmp_path / "chromedriver.log"))
    instance = webdriver.Chrome(options=options, service=service)
    instance.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield instance
    finally:
        instance.quit()
