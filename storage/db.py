"""Engine, sessions and the tenant filter.

Tenancy is enforced here once: a session opened for a tenant has every ORM query on a
``TenantScoped`` table filtered to that tenant and every new row stamped with it. A session
opened without a tenant (``Database.system_session``) may not touch tenant tables at all, so
forgetting the tenant is an error and never a leak across workspaces.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from storage.models import TenantScoped

log = logging.getLogger(__name__)

TENANT_KEY = "tenant_id"
SYSTEM_KEY = "system_scope"


class TenantScopeError(RuntimeError):
    """A tenant table was queried from a session that has no tenant."""


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        _tune_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    """WAL lets readers (Slack commands) proceed while an import writes; FKs are off by default."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("skip_tenant_filter", False):
        return
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        if state.session.info.get(SYSTEM_KEY) and _touches_tenant_table(state):
            raise TenantScopeError("a system session queried a tenant table; open a tenant session")
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )


def _touches_tenant_table(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers)


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    for obj in session.new:
        if isinstance(obj, TenantScoped):
            if tenant_id is None:
                if getattr(obj, "tenant_id", None) is None:
                    raise TenantScopeError(f"new {type(obj).__name__} without a tenant")
            elif obj.tenant_id is None:
                obj.tenant_id = tenant_id
            elif obj.tenant_id != tenant_id:
                raise TenantScopeError(
                    f"{type(obj).__name__} of tenant {obj.tenant_id} in tenant {tenant_id}"
                )


class Database:
    """Owns the engine; hands out sessions bound to a tenant, or system sessions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self, tenant_id: int) -> AsyncIterator[AsyncSession]:
        """A unit of work for one tenant: commits on success, rolls back on error."""
        async with self._sessions() as session:
            session.info[TENANT_KEY] = tenant_id
            async with session.begin():
                yield session

    @asynccontextmanager
    async def system_session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work across tenants: the tenants table and the job queue only."""
        async with self._sessions() as session:
            session.info[SYSTEM_KEY] = True
            async with session.begin():
                yield session

    async def ping(self) -> None:
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
