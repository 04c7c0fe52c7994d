"""What every import step works with: the bexio client, the staging workspace, settings, progress,
and the records that could not be read.

A record bexio sends that bxhours cannot read costs that record, not the import (issue 11 §2):
it is logged (one line), counted and named in ``skipped``, and the stage it belonged to is told
to keep its local row as it was — a record that could not be read is not a record bexio deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from bexio.client import BexioClient
from bexio.reading import PageReader, Problem, Unreadable, problem_of_row, record_id
from services.importing.staging import ImportWorkspace, Stage
from services.importing.summary import SkippedRecord
from services.settings import TenantSettings

log = logging.getLogger(__name__)

M = TypeVar("M")

PAGES_AHEAD = 3
"""Pages of a large list in flight while one is staged: enough to hide 50 ms and more of bexio's
latency behind staging a page of 2000 timesheets, and at most two calls more per large list."""

#: What converting a readable record into a row may raise for a value it cannot use.
ROW_ERRORS = (ValueError, TypeError, ArithmeticError, KeyError)

Row = Mapping[str, Any]
ReadCallback = Callable[[str, int], None]


@dataclass
class ImportContext:
    tenant_id: int
    client: BexioClient
    workspace: ImportWorkspace
    settings: TenantSettings
    now: datetime
    """The import's timestamp: every row it writes carries the same one."""
    on_read: ReadCallback
    """Told after each page: (resource, records in that page)."""

    skipped: list[SkippedRecord] = field(default_factory=list)
    """Records bexio sent that could not be read, in the order they were met."""
    prefetched: dict[tuple[str, bool], asyncio.Task[Prefetched]] = field(default_factory=dict)
    """Lists read ahead of their turn (``prefetch``), by path and whether ordered by id."""

    primed: dict[tuple[str, bool], _Primed[Any]] = field(default_factory=dict)
    """Streamed lists whose first page is requested ahead of their turn (``prime``)."""

    def prime(self, path: str, reader: PageReader[Any], *, by_id: bool) -> None:
        """Request the first page of a streamed list (the timesheets) now: it is waiting when the
        list's turn comes, and the pages after it are requested from then on as it is staged. Only
        that first page (and, once it came back full, the next one) is held: memory stays flat."""
        if (path, by_id) not in self.primed:
            self.primed[path, by_id] = _Primed(
                lambda unreadable: self.client.pages(
                    path,
                    reader,
                    params={"order_by": "id"} if by_id else None,
                    on_unreadable=unreadable,
                    ahead=PAGES_AHEAD,
                )
            )

    def prefetch(self, reads: list[ListRead]) -> None:
        """Start reading these lists now, all at once, so that each phase finds its list waiting
        instead of waiting one round trip per page for it (issue 18 §3). Lists are small beside the
        timesheets, which are never prefetched: they stream page by page."""
        for path, reader, by_id in reads:
            if (path, by_id) not in self.prefetched:
                self.prefetched[path, by_id] = asyncio.ensure_future(self._read_whole(path, reader, by_id))

    async def _read_whole(self, path: str, reader: PageReader[Any], by_id: bool) -> Prefetched:
        found = Prefetched([], [])
        pages = self.client.pages(
            path,
            reader,
            params={"order_by": "id"} if by_id else None,
            on_unreadable=found.unreadable.extend,
            ahead=PAGES_AHEAD,
        )
        async for page in pages:
            found.pages.append(page)
        return found

    async def close(self) -> None:
        """Give up reads ahead nobody used (an import that failed half-way)."""
        tasks = list(self.prefetched.values())
        self.prefetched.clear()
        primed = list(self.primed.values())
        self.primed.clear()
        for stream in primed:
            await stream.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def pages(
        self,
        path: str,
        reader: PageReader[M],
        *,
        by_id: bool = False,
        resource: str,
        stage: Stage | None = None,
    ) -> AsyncIterator[list[M]]:
        """A bexio list at the largest page size, one page at a time; unreadable records are
        skipped (``skip``), and kept in ``stage`` when given.

        ``by_id`` orders long lists by id, so offset paging stays stable while bexio changes
        (only where bexio documents ``order_by=id``). Once a page comes back full, the next
        ``PAGES_AHEAD`` are requested while this one is staged, so bexio's latency hides behind
        our own work; they wait as bytes and are decoded in turn (decoding ahead only made the two
        fight over the GIL: an import of 100 000 timesheets took 12 % longer that way).
        """

        def unreadable(records: list[Unreadable]) -> None:
            for record in records:
                self.skip(resource, record.id, record.reason, stage, problem=record.problem)

        waiting = self.prefetched.pop((path, by_id), None)
        if waiting is not None:
            return _replayed(waiting, unreadable)
        primed = self.primed.pop((path, by_id), None)
        if primed is not None:
            return primed.pages(unreadable)
        return self.client.pages(
            path,
            reader,
            params={"order_by": "id"} if by_id else None,
            on_unreadable=unreadable,
            ahead=PAGES_AHEAD,
        )

    def skip(
        self,
        resource: str,
        record_id: int | None,
        reason: str,
        stage: Stage | None = None,
        *,
        problem: Problem | None = None,
    ) -> None:
        """Name a record that could not be read; its local row (if any) stays as it was. ``reason``
        is English (the log); ``problem``, when known, tells people in their language."""
        log.warning("bexio %s record %s could not be read: %s", resource, record_id, reason)
        self.skipped.append(SkippedRecord(resource, record_id, reason, problem))
        if stage is not None:
            stage.keep(record_id)

    async def stage_pages(
        self,
        stage: Stage,
        path: str,
        reader: PageReader[M],
        to_row: Callable[[M], Row | None],
        *,
        by_id: bool = False,
        seen: Callable[[list[M]], None] | None = None,
    ) -> None:
        """Park every page of ``path`` in the stage; ``to_row`` may leave a record out by returning
        None. A record that cannot be read, or whose values ``to_row`` cannot use, is skipped."""
        resource = stage.mirror.resource
        async for page in self.pages(path, reader, by_id=by_id, resource=resource, stage=stage):
            if seen is not None:
                seen(page)
            await stage.add(self.rows(page, to_row, resource, stage))
            self.on_read(resource, len(page))

    def rows(
        self, page: list[M], to_row: Callable[[M], Row | None], resource: str, stage: Stage | None = None
    ) -> list[Row]:
        rows: list[Row] = []
        for record in page:
            try:
                row = to_row(record)
            except ROW_ERRORS as exc:
                reason = f"{type(exc).__name__}: {exc}"[:200]
                self.skip(resource, _id_of(record), reason, stage, problem=problem_of_row(exc))
                continue
            if row is not None:
                rows.append(row)
        return rows

    async def reference_list(self, path: str, reader: PageReader[M], *, resource: str) -> list[M]:
        """A small list read whole (project states, types …)."""
        records: list[M] = []
        async for page in self.pages(path, reader, resource=resource):
            records.extend(page)
        return records


ListRead = tuple[str, PageReader[Any], bool]
"""A list an import phase reads: its path, its reader, and whether it is read ordered by id."""


@dataclass
class Prefetched:
    pages: list[list[Any]]
    unreadable: list[Unreadable]


async def _replayed(
    waiting: asyncio.Task[Prefetched], unreadable: Callable[[list[Unreadable]], None]
) -> AsyncIterator[list[Any]]:
    """A prefetched list, page by page, as if it was read now (its unreadable records told now,
    when the stage they belong to exists)."""
    found = await waiting
    if found.unreadable:
        unreadable(found.unreadable)
    for page in found.pages:
        yield page


def _id_of(record: Any) -> int | None:
    found = getattr(record, "id", None)
    return record_id({"id": found} if found is not None else record)


class _Primed(Generic[M]):
    """A paged list whose first page was asked for before anyone reads it (``ImportContext.prime``).

    Records bexio sent that cannot be read are held until the reader says where they go.
    """

    def __init__(
        self, open_pages: Callable[[Callable[[list[Unreadable]], None]], AsyncIterator[list[M]]]
    ) -> None:
        self._held: list[Unreadable] = []
        self._target: Callable[[list[Unreadable]], None] | None = None
        self._pages = open_pages(self._unreadable)
        self._first: asyncio.Future[list[M]] = asyncio.ensure_future(anext(self._pages))

    def _unreadable(self, records: list[Unreadable]) -> None:
        if self._target is None:
            self._held.extend(records)
        else:
            self._target(records)

    async def pages(self, unreadable: Callable[[list[Unreadable]], None]) -> AsyncIterator[list[M]]:
        self._target = unreadable
        if self._held:
            held, self._held = self._held, []
            unreadable(held)
        try:
            first = await self._first
        except StopAsyncIteration:
            return
        yield first
        async for page in self._pages:
            yield page

    async def close(self) -> None:
        self._first.cancel()
        await asyncio.gather(self._first, return_exceptions=True)
        aclose = getattr(self._pages, "aclose", None)
        if aclose is not None:
            await aclose()
