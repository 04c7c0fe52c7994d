"""Staging and applying: how fetched bexio records become rows, one resource per transaction.

An import must never hold a write transaction while it waits for bexio (SQLite has one writer,
and Slack commands must not queue behind an import), must apply each resource atomically, and
must stay flat in memory with 100 000 timesheets. So fetched pages are parked in a TEMPORARY
table on the import's own connection — writing there takes no lock on the real tables, on
SQLite or PostgreSQL — one short transaction per page. Once every page of a resource is in, one
short transaction applies the resource with a few set-based statements:

1. retire: local rows bexio no longer lists (or lists as inactive) are marked inactive — or, for
   tables without an ``active`` flag, deleted. Runs first, because it is a write: on SQLite it
   takes the write lock before anything is read, so the counts below cannot go stale;
2. upsert with ``INSERT … SELECT … ON CONFLICT (tenant_id, bexio id) DO UPDATE … WHERE changed``,
   "changed" being ``IS DISTINCT FROM`` on any field bexio owns: an import with nothing changed
   in bexio reports — and writes — nothing. The rows it wrote, and the rows counted before and
   after it, say what was created and what was updated.

Python only ever holds one page; the database does the rest at C speed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ColumnCollection

from services.importing.summary import ResourceChanges
from storage.db import TENANT_KEY, Database
from storage.models import Base

_MEMO_LIMIT = 10_000
_CHUNK = 500  # ids per IN list, far below every database's parameter limit
_KEPT_LIMIT = 1000  # unreadable records listed by id; more and the resource retires nothing this run

LIVE = "live"
"""The stage column saying whether bexio lists the record as active."""

Guard = Callable[[ColumnCollection[str, Any]], ColumnElement[bool]]
AfterApply = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class Mirror:
    """How one bexio resource is kept in one local table, matched by bexio id."""

    resource: str
    """The summary's name for it ("customers")."""
    model: type[Base]
    fields: tuple[str, ...]
    """Columns bexio owns: staged, compared, and overwritten when they differ."""
    key: str = "bexio_id"
    live: str | None = "active"
    """The row's liveness flag. None: a record that vanished from bexio is deleted locally."""
    keep_inactive: bool = False
    """Insert records bexio lists as inactive (accounts), instead of only the live ones."""
    snapshot: tuple[str, ...] = ()
    """Staged columns taken once (an entry's rate); refreshed only when one of `refresh_snapshot_on`
    changed, so later rate changes never re-price stored work."""
    refresh_snapshot_on: tuple[str, ...] = ()
    constants: Mapping[str, object] = field(default_factory=dict)
    """Values of new rows that bexio does not own (``source="bexio"``)."""
    on_retire: Mapping[str, object] = field(default_factory=dict)
    """Also written when a row goes inactive (a reason); cleared again when it comes back."""
    guard: Guard | None = None
    """Which local rows bexio may change or retire (time entries: imported and not yet invoiced)."""
    touched: tuple[str, ...] = ()
    """Timestamps set to the import's time on insert and on every change."""
    created_stamp: str | None = None
    """A timestamp set to the import's time on insert only."""

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    @property
    def staged(self) -> tuple[str, ...]:
        return (self.key, *self.fields, *self.snapshot, LIVE)


class ImportWorkspace:
    """The import's own connection: its staging tables live there, and it applies each resource."""

    def __init__(self, connection: AsyncConnection, tenant_id: int) -> None:
        self.connection = connection
        self.tenant_id = tenant_id
        # The tenant filter of storage.db applies to every ORM statement of this session.
        self.session = AsyncSession(bind=connection, expire_on_commit=False, info={TENANT_KEY: tenant_id})

    @asynccontextmanager
    async def stage(self, mirror: Mirror) -> AsyncIterator[Stage]:
        stage = Stage(self, mirror)
        async with self.session.begin():
            # checkfirst: a pooled connection may still hold one from an import that was killed.
            await self.session.run_sync(lambda sync: stage.table.drop(sync.connection(), checkfirst=True))
            await self.session.run_sync(lambda sync: stage.table.create(sync.connection()))
        try:
            yield stage
        finally:
            async with self.session.begin():
                await self.session.run_sync(lambda sync: stage.table.drop(sync.connection()))


@asynccontextmanager
async def open_workspace(db: Database, tenant_id: int) -> AsyncIterator[ImportWorkspace]:
    async with db.engine.connect() as connection:
        workspace = ImportWorkspace(connection, tenant_id)
        try:
            yield workspace
        finally:
            await workspace.session.close()


class Stage:
    """One resource's fetched records, parked in a temporary table until they are applied."""

    def __init__(self, workspace: ImportWorkspace, mirror: Mirror) -> None:
        self.workspace = workspace
        self.mirror = mirror
        target = mirror.table
        key_type = BigInteger().with_variant(Integer, "sqlite")  # INTEGER PRIMARY KEY = SQLite's rowid
        columns = [Column(mirror.key, key_type, primary_key=True, autoincrement=False)]
        columns += [Column(name, target.c[name].type) for name in (*mirror.fields, *mirror.snapshot)]
        columns.append(Column(LIVE, Boolean, nullable=False))
        self.table = Table(f"bxhours_stage_{target.name}", MetaData(), *columns, prefixes=["TEMPORARY"])
        dialect = workspace.connection.dialect
        self._insert_sql = _insert(self.table, dialect)
        self._values = itemgetter(*mirror.staged)
        self._kept: set[int] = set()
        self._keep_all = False
        self._processors = [
            (index, memoized(processor))
            for index, name in enumerate(mirror.staged)
            if (processor := self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            is not None
        ]

    async def add(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Park rows (dicts with every staged column) in one short transaction; returns how many."""
        return await self.add_values([self._values(row) for row in rows])

    async def add_values(self, rows: Sequence[Sequence[Any]]) -> int:
        """Park rows given as values in ``mirror.staged`` order (the fast path of big lists).

        A record listed twice (offset paging while bexio changes) is kept once. The statement is
        compiled once and run with the driver's ``executemany``: SQLAlchemy's own per-row parameter
        handling costs ~30 µs a row here, more than the rest of an import together.
        """
        if not rows:
            return 0
        values = self._bind(rows)
        session = self.workspace.session
        async with session.begin():
            connection = await session.connection()
            await connection.exec_driver_sql(self._insert_sql, values)
        return len(values)

    def keep(self, key: int | None) -> None:
        """A record bexio listed but bxhours could not read: its local row stays as it was — not
        updated, never retired (issue 11 §2). Without a usable id (None) nothing of this resource
        may be retired in this run, since any local row could be that record."""
        if key is None or len(self._kept) >= _KEPT_LIMIT:
            self._keep_all = True  # also past the limit: a NOT IN list must stay a statement
        else:
            self._kept.add(key)

    async def mark_not_live(self, keys: Collection[int]) -> None:
        """Staged records that bexio lists but that must count as inactive (contacts the rule leaves out)."""
        session, stage = self.workspace.session, self.table.c
        ordered = sorted(keys)
        async with session.begin():
            for start in range(0, len(ordered), _CHUNK):
                chunk = ordered[start : start + _CHUNK]
                await session.execute(
                    update(self.table).where(stage[self.mirror.key].in_(chunk)).values(live=False)
                )

    def _bind(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """The driver's values, converted a column at a time: a page repeats a handful of values
        per converted column, so each distinct one is converted once and the rest is C loops."""
        if not self._processors:
            return [tuple(row) for row in rows]
        columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
        for index, processor in self._processors:
            columns[index] = _converted(cast(tuple[Any, ...], columns[index]), processor)
        return list(zip(*columns, strict=True))

    async def apply(
        self,
        now: datetime,
        *,
        scope: Collection[int] | None = None,
        after: AfterApply | None = None,
    ) -> ResourceChanges:
        """Make the table match the stage in one transaction and say what changed.

        ``scope`` limits retiring to these bexio ids (re-reading one record); None means the
        stage holds the whole resource, so everything missing from it is gone from bexio.
        ``after`` runs inside the same transaction (e.g. linking people to Slack users).
        """
        session = self.workspace.session
        async with session.begin():
            retired = await self._retire(session, now, scope)
            before = await self._count(session, live_only=False)
            result = await session.execute(self._upsert(now))
            written = int(result.rowcount)  # type: ignore[attr-defined]
            created = await self._count(session, live_only=False) - before
            total = await self._count(session, live_only=True)
            if after is not None:
                await after(session)
        session.expunge_all()  # rows loaded by `after` would otherwise shadow later set-based changes
        return ResourceChanges(created=created, updated=written - created, deactivated=retired, total=total)

    # -- the statements -------------------------------------------------------------------------

    def _insertable(self) -> ColumnElement[bool]:
        return true() if self.mirror.keep_inactive else self.table.c[LIVE].is_(True)

    def _guard(self, target: ColumnCollection[str, Any]) -> ColumnElement[bool]:
        return self.mirror.guard(target) if self.mirror.guard is not None else true()

    async def _retire(self, session: AsyncSession, now: datetime, scope: Collection[int] | None) -> int:
        mirror, stage, target = self.mirror, self.table.c, self.mirror.table.c
        if self._keep_all:
            return 0
        listed_live = exists().where(stage[mirror.key] == target[mirror.key], stage[LIVE].is_(True))
        conditions = [target[mirror.key].is_not(None), ~listed_live, self._guard(target)]
        if scope is not None:
            conditions.append(target[mirror.key].in_(list(scope)) if scope else false())
        if self._kept:
            conditions.append(target[mirror.key].not_in(sorted(self._kept)))
        if mirror.live is None:
            statement: Any = delete(mirror.model).where(*conditions)
        else:
            values = {mirror.live: False, **mirror.on_retire, **dict.fromkeys(mirror.touched, now)}
            statement = (
                update(mirror.model).where(target[mirror.live].is_(True), *conditions).values(**values)
            )
        result = await session.execute(statement.execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _count(self, session: AsyncSession, *, live_only: bool) -> int:
        """Local rows of this resource that have a bexio id (and are live)."""
        mirror, target = self.mirror, self.mirror.table.c
        conditions = [target[mirror.key].is_not(None)]
        if live_only and mirror.live is not None:
            conditions.append(target[mirror.live].is_(True))
        return int(
            await session.scalar(select(func.count()).select_from(mirror.model).where(*conditions)) or 0
        )

    def _differs(
        self, target: ColumnCollection[str, Any], other: ColumnCollection[str, Any], other_live: Any
    ) -> ColumnElement[bool]:
        changes = [_distinct(target[name], other[name]) for name in self.mirror.fields]
        if self.mirror.live is not None:
            changes.append(target[self.mirror.live].is_distinct_from(other_live))
        return or_(*changes)

    def _upsert(self, now: datetime) -> Any:
        mirror, stage, table = self.mirror, self.table.c, self.mirror.table
        target = table.c
        names: list[str] = ["tenant_id", mirror.key, *mirror.fields, *mirror.snapshot]
        values: list[Any] = [literal(self.workspace.tenant_id, Integer())]
        values += [stage[name] for name in names[1:]]
        if mirror.live is not None:
            names.append(mirror.live)
            values.append(stage[LIVE])
        for name, constant in mirror.constants.items():
            names.append(name)
            values.append(literal(constant, target[name].type))
        stamps = [*mirror.touched, *([mirror.created_stamp] if mirror.created_stamp else [])]
        for name in stamps:
            names.append(name)
            values.append(literal(now, target[name].type))
        # SQLite needs a WHERE in the SELECT to tell its ON CONFLICT from a join's ON.
        rows = select(*values).select_from(self.table).where(self._insertable())
        insert = (
            postgresql.insert if self.workspace.connection.dialect.name == "postgresql" else sqlite.insert
        )
        statement = insert(table).from_select(names, rows)
        excluded = statement.excluded
        changes: dict[str, Any] = {name: excluded[name] for name in mirror.fields}
        if mirror.live is not None:
            changes[mirror.live] = excluded[mirror.live]
        refresh = or_(
            false(), *(_distinct(target[name], excluded[name]) for name in mirror.refresh_snapshot_on)
        )
        for name in mirror.snapshot:
            changes[name] = case((refresh, excluded[name]), else_=target[name])
        changes.update(dict.fromkeys(mirror.on_retire))
        changes.update({name: excluded[name] for name in mirror.touched})
        live = excluded[mirror.live] if mirror.live is not None else None
        return statement.on_conflict_do_update(
            index_elements=["tenant_id", mirror.key],
            set_=changes,
            where=and_(self._guard(target), self._differs(target, excluded, live)),
        )


def _insert(table: Table, dialect: Dialect) -> str:
    """``INSERT … ON CONFLICT DO NOTHING`` with positional parameters in staged-column order."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    compiled = insert(table).on_conflict_do_nothing().compile(dialect=dialect)
    if list(compiled.positiontup or []) != [column.name for column in table.columns]:
        raise RuntimeError(f"unexpected parameter order in {compiled}")
    return str(compiled)


def memoized(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` applied once per distinct value: 100 000 staged rows repeat a handful of values
    per column (flags, days, rates, durations). Remembers at most ``_MEMO_LIMIT`` of them, so memory
    stays flat; unhashable values (JSON) are converted every time."""
    known: dict[Any, Any] = {}

    def convert_once(value: Any) -> Any:
        try:
            return known[value]
        except KeyError:
            result = convert(value)
            if len(known) < _MEMO_LIMIT:
                known[value] = result
            return result
        except TypeError:
            return convert(value)

    return convert_once


def _converted(values: tuple[Any, ...], convert: Callable[[Any], Any]) -> Iterable[Any]:
    """``convert`` applied to a column, once per distinct value (``convert`` is ``memoized``, so
    equal values get the result of the first one seen, as before); unhashable values (JSON) one by
    one."""
    try:
        results = {value: convert(value) for value in set(values)}
    except TypeError:
        return map(convert, values)
    return map(results.__getitem__, values)


def _distinct(left: Any, right: Any) -> ColumnElement[bool]:
    """NULL-safe "differs"; JSON is compared as text (PostgreSQL's json type has no equality)."""
    if isinstance(left.type, JSON):
        left, right = sql_cast(left, Text), sql_cast(right, Text)
    return cast(ColumnElement[bool], left.is_distinct_from(right))
