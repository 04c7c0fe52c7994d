"""What every import step works with: the bexio client, the staging workspace, settings, progress."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter

from bexio.client import BexioClient
from services.importing.staging import ImportWorkspace, Stage
from services.settings import TenantSettings

T = TypeVar("T")
M = TypeVar("M")

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

    def pages(
        self, path: str, adapter: TypeAdapter[list[M]], *, by_id: bool = False
    ) -> AsyncIterator[list[M]]:
        """A bexio list at the largest page size, the next page fetched while this one is staged.

        ``by_id`` orders long lists by id, so offset paging stays stable while bexio changes
        (only where bexio documents ``order_by=id``).
        """
        return self.client.pages(path, adapter, params={"order_by": "id"} if by_id else None)

    async def stage_pages(
        self,
        stage: Stage,
        pages: AsyncIterator[list[M]],
        to_row: Callable[[M], Row | None],
        *,
        seen: Callable[[list[M]], None] | None = None,
    ) -> None:
        """Park every page in the stage; ``to_row`` may skip a record by returning None."""
        async for page in pages:
            if seen is not None:
                seen(page)
            await stage.add(_rows(page, to_row))
            self.on_read(stage.mirror.resource, len(page))

    async def reference_list(self, path: str, adapter: TypeAdapter[list[M]]) -> list[M]:
        """A small list read whole (project states, types …)."""
        records: list[M] = []
        async for page in self.pages(path, adapter):
            records.extend(page)
        return records


def _rows(page: Iterable[M], to_row: Callable[[M], Row | None]) -> list[Row]:
    return [row for row in map(to_row, page) if row is not None]


_DONE = object()


async def prefetched(pages: AsyncIterator[T], depth: int = 1) -> AsyncIterator[T]:
    """Ask bexio for the next page while the current one is being staged.

    bexio (and the network) work while the database does; at most ``depth`` pages wait in
    memory besides the one being handled, so memory stays flat however long the list is.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=depth)

    async def pump() -> None:
        try:
            async for page in pages:
                await queue.put(page)
        except Exception as exc:  # handed to the consumer, which raises it where it reads
            await queue.put(_Failure(exc))
            return
        await queue.put(_DONE)

    task = asyncio.create_task(pump())
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass(frozen=True)
class _Failure:
    error: Exception
