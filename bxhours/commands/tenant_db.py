"""The database and tenant of this installation, for commands that need neither Slack nor bexio.

`bxhours export` and `bxhours categories` run from cron jobs and operators' shells; they read the
one workspace the database serves instead of asking Slack which workspace the token belongs to.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.exc import DBAPIError

from bxhours.commands import CommandError
from bxhours.settings import Settings
from storage.db import Database
from storage.tenants import TenantRepository


@contextlib.asynccontextmanager
async def tenant_database(settings: Settings) -> AsyncIterator[tuple[Database, int]]:
    db = Database(settings.database_url)
    try:
        try:
            tenant = await TenantRepository(db).only()
        except DBAPIError:
            raise CommandError(
                "cannot read the bxhours tables in DATABASE_URL — run `bxhours db upgrade` first"
            ) from None
        if tenant is None:
            raise CommandError("no Slack workspace uses this database yet — start `bxhours serve` once")
        yield db, tenant.id
    finally:
        await db.dispose()
