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
        repo = TenantRepository(db)
        try:
            count = await repo.count()
            if settings.bxhours_workspace:
                tenant = await repo.by_team(settings.bxhours_workspace.strip())
                if tenant is None:
                    raise CommandError(
                        f"no workspace {settings.bxhours_workspace} uses this database "
                        "(see `bxhours workspaces list`)"
                    )
            else:
                tenant = await repo.only()
        except DBAPIError:
            raise CommandError(
                "cannot read the bxhours tables in DATABASE_URL — run `bxhours db upgrade` first"
            ) from None
        if tenant is None:
            raise CommandError("no Slack workspace uses this database yet — start `bxhours serve` once")
        if count > 1 and not settings.bxhours_workspace:
            raise CommandError(
                f"this database serves {count} workspaces: name one with --workspace T… "
                "(see `bxhours workspaces list`)"
            )
        yield db, tenant.id
    finally:
        await db.dispose()
