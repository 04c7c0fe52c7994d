"""Running the Alembic migrations from code (`bxhours db upgrade`, and `serve`/`demo` on start).

The migration scripts ship inside the package (``storage/migrations``), so a plain ``pip install``
can upgrade a database without an alembic.ini next to it.
"""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "storage:migrations")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade_sync(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` (runs Alembic on one of its connections)."""
    url = engine.url.render_as_string(hide_password=False)

    def _upgrade(connection: Connection) -> None:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def upgrade_blocking(url: str) -> None:
    """For synchronous callers outside an event loop (scripts)."""
    asyncio.run(_upgrade_url(url))


async def _upgrade_url(url: str) -> None:
    from storage.db import create_engine

    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
