"""Slack token rotation (hosted mode): a bot token about to expire is refreshed once, stored before it
is used, and two processes refreshing at the same moment spend the single-use refresh token once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bexio.sandbox import RunningSandbox
from bot.slack_oauth import SlackClients
from bxhours.fakes.stack import HOSTED_CLIENT, HostedStack, run_hosted_stack
from storage.db import Database
from storage.installations import InstallationRepository
from storage.jobs import utcnow
from storage.models import SlackInstallation
from tests.scenarios.hosted import ALPEN, ANDREA, ANDREA_MAIL, Browser, install, tenant_of


@pytest.fixture
async def rotating(database_url: str, db: Database, companies: RunningSandbox) -> AsyncIterator[HostedStack]:
    async with run_hosted_stack(database_url, bexio_url=companies.url, token_rotation=True) as stack:
        companies.register_oauth_client(HOSTED_CLIENT[0], HOSTED_CLIENT[1], [stack.bexio_redirect_uri])
        stack.fake.add_workspace(ALPEN, "Alpenblick")
        stack.fake.add_user(ANDREA, ANDREA_MAIL, "Andrea Keller", is_owner=True, team_id=ALPEN)
        yield stack


async def test_an_expiring_bot_token_is_rotated_once_even_by_two_processes(
    rotating: HostedStack, browser: Browser, db: Database
) -> None:
    await install(rotating, browser, ALPEN, ANDREA)
    tenant_id = await tenant_of(db, ALPEN)
    runtime = rotating.runtime
    repo: InstallationRepository = runtime.installations
    first = await repo.for_tenant(tenant_id)
    assert first is not None and first.bot_refresh_token and first.bot_token_expires_at is not None
    assert first.bot_token and first.bot_token.startswith("xoxe.xoxb-")
    # The token expires within the rotation margin.
    async with db.system_session() as session:
        await session.execute(
            update(SlackInstallation)
            .where(SlackInstallation.tenant_id == tenant_id)
            .values(bot_token_expires_at=utcnow() + timedelta(minutes=5))
        )
    # Two processes (their own engines and clients) need the token at the same moment.
    other_db = Database(runtime.settings.database_url)
    try:
        clients = [
            SlackClients(
                runtime.settings.slack_api_url,
                installations=InstallationRepository(database, runtime.cipher),
                client_id=runtime.settings.slack_client_id,
                client_secret=runtime.settings.slack_client_secret.get_secret_value()
                if runtime.settings.slack_client_secret
                else None,
            )
            for database in (runtime.db, other_db)
        ]
        bots = await asyncio.gather(*(c.bot(tenant_id) for c in clients))
    finally:
        await other_db.dispose()
    refreshes = [
        call
        for call in rotating.fake.calls_to("oauth.v2.access")
        if call.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1, "the single-use refresh token was spent once"
    assert bots[0].bot_token == bots[1].bot_token != first.bot_token
    stored = await repo.for_tenant(tenant_id)
    assert stored is not None and stored.bot_token == bots[0].bot_token
    assert stored.bot_refresh_token != first.bot_refresh_token
    async with db.system_session() as session:
        row = await session.scalar(select(SlackInstallation).where(SlackInstallation.tenant_id == tenant_id))
    assert row is not None and row.bot_token_enc and "xoxe" not in row.bot_token_enc  # encrypted at rest
    # And the new token works for what bxhours does next.
    client = await clients[0].for_tenant(tenant_id)
    assert (await client.auth_test())["team_id"] == ALPEN
