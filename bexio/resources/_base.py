"""Building blocks shared by the resource classes: paged lists, search, fetch by id.

A resource is a thin, typed description of one bexio endpoint family; the client owns the
transport, retries and paging. Each resource class mixes in exactly the operations bexio offers
for it, so a method that exists here exists at bexio.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter

from bexio.search import Criterion

if TYPE_CHECKING:
    from bexio.client import BexioClient

M = TypeVar("M", bound=BaseModel)

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter_for(kind: type[M]) -> TypeAdapter[M]:
    """One cached adapter per model: building them is costly, using them is cheap."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def list_adapter_for(kind: type[M]) -> TypeAdapter[list[M]]:
    key = ("list", kind)
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        adapter = _ADAPTERS[key] = TypeAdapter(list[kind])  # type: ignore[valid-type]
    return adapter


def query(**params: Any) -> dict[str, Any]:
    """Query parameters without the ones left at None; booleans as bexio writes them."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else value
        for name, value in params.items()
        if value is not None
    }


class Collection(Generic[M]):
    """An endpoint family at ``path`` whose records parse as ``model``."""

    def __init__(self, client: BexioClient, path: str, model: type[M]) -> None:
        self._client = client
        self.path = path
        self._one = adapter_for(model)
        self._many = list_adapter_for(model)

    def _pages(
        self, params: Mapping[str, Any] | None = None, criteria: Sequence[Criterion] | None = None
    ) -> AsyncIterator[list[M]]:
        return self._client.pages(self.path, self._many, params=params, criteria=criteria)

    async def _collect(
        self, params: Mapping[str, Any] | None = None, criteria: Sequence[Criterion] | None = None
    ) -> list[M]:
        records: list[M] = []
        async for page in self._pages(params, criteria):
            records.extend(page)
        return records

    async def _fetch(self, record_id: int | str, params: Mapping[str, Any] | None = None) -> M:
        return await self._client.get(f"{self.path}/{record_id}", self._one, params=params)

    async def _create(self, body: Any) -> M:
        return await self._client.post(self.path, self._one, body)

    async def _edit(self, record_id: int, body: Any) -> M:
        # bexio 2.0 edits are POSTs to the record's URL (PUT answers 422).
        return await self._client.post(f"{self.path}/{record_id}", self._one, body)


class ReferenceList(Collection[M]):
    """A small reference list read whole (units, languages, statuses …), paged all the same."""

    async def list(self) -> builtins.list[M]:
        return await self._collect()


class Listable(Collection[M]):
    """A list that can grow large: stream it page by page, or collect it."""

    def pages(self, *, order_by: str | None = None) -> AsyncIterator[list[M]]:
        """``order_by`` is bexio's ``field[_asc|_desc][,…]`` (default ``id``)."""
        return self._pages(query(order_by=order_by))

    async def all(self, *, order_by: str | None = None) -> list[M]:
        return await self._collect(query(order_by=order_by))


class Searchable(Collection[M]):
    """``POST …/search``: criteria combined with AND, paged like lists."""

    def search_pages(
        self, criteria: Sequence[Criterion], *, order_by: str | None = None
    ) -> AsyncIterator[list[M]]:
        return self._pages(query(order_by=order_by), criteria)

    async def search(self, criteria: Sequence[Criterion], *, order_by: str | None = None) -> list[M]:
        return await self._collect(query(order_by=order_by), criteria)


class Fetchable(Collection[M]):
    async def get(self, record_id: int) -> M:
        return await self._fetch(record_id)


class Deletable(Collection[M]):
    async def delete(self, record_id: int) -> None:
        await self._client.action("DELETE", f"{self.path}/{record_id}")
