"""The whole service running in-process against a fake Slack (and the bexio sandbox, when given).

`make demo`, the scenario tests and the benchmarks all start bxhours this way: the real Runtime and
the real aiohttp server on a loopback port, with Slack and bexio replaced by faithful fakes. Nothing
leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bxhours.fakes.slack_api import FakeSlack
from bxhours.fakes.slack_client import SlackSimulator
from bxhours.runtime import Runtime
from bxhours.server import RedactingAccessLogger, create_web_app
from bxhours.settings import Settings
from storage.crypto import generate_key
from storage.jobs import utcnow

SIGNING_SECRET = "demo-signing-secret-0123456789abcdef"

# The people of the demo workspace; their e-mails match users of the sandbox's demo company
# (Andrea is its bexio superadmin; Gina has no bexio user). E-mail case differs on purpose.
ANDREA, MIA, NOAH, GUEST = "U01ANDREA", "U02MIA", "U03NOAH", "U09GUEST"
DEMO_PEOPLE: tuple[tuple[str, str, str], ...] = (
    (ANDREA, "Andrea.Keller@alpenblick.example", "Andrea Keller"),
    (MIA, "mia.schmid@alpenblick.example", "Mia Schmid"),
    (NOAH, "noah.keller@alpenblick.example", "Noah Keller"),
    (GUEST, "gina@guest.example", "Gina Guest"),
)


@dataclass
class Stack:
    runtime: Runtime
    fake: FakeSlack
    slack: SlackSimulator
    url: str

    @property
    def tenant_id(self) -> int:
        return self.runtime.tenant_id


@contextlib.asynccontextmanager
async def run_stack(
    database_url: str,
    *,
    bexio_url: str | None = None,
    bexio_token: str | None = None,
    admins: str = ANDREA,
    now: Callable[[], datetime] = utcnow,
    with_worker: bool = True,
    people: tuple[tuple[str, str, str], ...] = DEMO_PEOPLE,
    extra_settings: dict[str, Any] | None = None,
) -> AsyncIterator[Stack]:
    fake = FakeSlack()
    for user_id, email, name in people:
        fake.add_user(user_id, email, name, is_admin=user_id in admins)
    fake_runner = await fake.start()
    settings = Settings(
        database_url=database_url,
        slack_bot_token=fake.bot_token,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=fake.api_url,
        bexio_api_url=bexio_url or "http://127.0.0.1:9",
        # The sandbox is bexio's identity provider too (userinfo names the company).
        bexio_auth_url=f"{bexio_url or 'http://127.0.0.1:9'}/realms/bexio",
        bexio_access_token=bexio_token,  # type: ignore[arg-type]
        bxhours_encryption_key=generate_key(),  # type: ignore[arg-type]
        bexio_webhook_secret="webhook-secret-" + secrets.token_hex(8),  # type: ignore[arg-type]
        bxhours_admins=admins,
        **{"bxhours_language": "en", **(extra_settings or {})},  # tests read English unless they ask
    )
    async with _serving(settings, now, fake, fake_runner, 0, with_worker) as (runtime, simulator, url):
        yield Stack(runtime, fake, simulator, url)


@contextlib.asynccontextmanager
async def _serving(
    settings: Settings,
    now: Callable[[], datetime],
    fake: FakeSlack,
    fake_runner: web.AppRunner,
    port: int,
    with_worker: bool,
) -> AsyncIterator[tuple[Runtime, SlackSimulator, str]]:
    """bxhours' real server on 127.0.0.1:``port`` (0: any) with its worker, torn down in order."""
    try:
        runtime = await Runtime.create(settings, now=now)
    except BaseException:
        await fake_runner.cleanup()
        raise
    runner = web.AppRunner(create_web_app(runtime), access_log_class=RedactingAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    worker_task = asyncio.create_task(runtime.worker.run(stop)) if with_worker else None
    simulator = SlackSimulator(url, SIGNING_SECRET, fake)
    try:
        yield runtime, simulator, url
    finally:
        stop.set()
        try:
            if worker_task is not None:
                await worker_task
            await simulator.aclose()
            await runner.cleanup()
            await runtime.drain()
            await runtime.close()
        finally:
            # Last, once nothing can talk to Slack any more: a strict fake fails here when bxhours
            # sent something Slack would refuse and the test did not expect it.
            await fake_runner.cleanup()


HOSTED_CLIENT = ("bxhours-hosted", "hosted-client-secret-0123456789")
"""The bexio OAuth app of the hosted stack (register it in the sandbox with ``register_bexio_client``)."""


@dataclass
class HostedStack:
    """bxhours in multi-workspace mode: installed into workspaces through ``/slack/install``."""

    runtime: Runtime
    fake: FakeSlack
    slack: SlackSimulator
    url: str

    @property
    def bexio_redirect_uri(self) -> str:
        return f"{self.url}/bexio/callback"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def run_hosted_stack(
    database_url: str,
    *,
    bexio_url: str | None = None,
    now: Callable[[], datetime] = utcnow,
    with_worker: bool = True,
    token_rotation: bool = False,
    extra_settings: dict[str, Any] | None = None,
) -> AsyncIterator[HostedStack]:
    """The hosted deployment: SLACK_CLIENT_ID/SECRET and no bot token; bexio by OAuth only.

    The fake Slack starts with no workspace installed; tests add workspaces and install through
    ``/slack/install``. PUBLIC_URL is the loopback address the server listens on.
    """
    fake = FakeSlack(token_rotation=token_rotation)
    fake_runner = await fake.start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    fake.allow_redirect(f"{url}/slack/oauth_redirect")
    bexio = bexio_url or "http://127.0.0.1:9"
    settings = Settings(
        database_url=database_url,
        slack_client_id=fake.client_id,
        slack_client_secret=fake.client_secret,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=fake.api_url,
        slack_authorize_url=fake.authorize_url,
        public_url=url,
        bexio_api_url=bexio,
        bexio_auth_url=f"{bexio}/realms/bexio",
        bexio_client_id=HOSTED_CLIENT[0],
        bexio_client_secret=HOSTED_CLIENT[1],  # type: ignore[arg-type]
        bxhours_encryption_key=generate_key(),  # type: ignore[arg-type]
        **{"bxhours_language": "en", **(extra_settings or {})},
    )
    async with _serving(settings, now, fake, fake_runner, port, with_worker) as (runtime, simulator, _url):
        yield HostedStack(runtime, fake, simulator, url)
