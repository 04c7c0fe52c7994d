"""Contacts and the two ways bexio classifies them (groups = UI "categories", sectors = industries)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bexio.models import Contact, ContactGroup, ContactSector
from bexio.payloads import ContactCreate, ContactEdit
from bexio.resources._base import Deletable, Fetchable, ReferenceList, Searchable, query

if TYPE_CHECKING:
    from bexio.client import BexioClient


class Contacts(Searchable[Contact], Fetchable[Contact], Deletable[Contact]):
    """``/2.0/contact``. Deleting archives: the contact is then only listed with ``show_archived``."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/contact", Contact)

    def pages(
        self, *, show_archived: bool = False, order_by: str | None = None
    ) -> AsyncIterator[list[Contact]]:
        """``show_archived=True`` lists the archived contacts *only* (bexio's semantics)."""
        return self._pages(query(show_archived=show_archived or None, order_by=order_by))

    async def all(self, *, show_archived: bool = False, order_by: str | None = None) -> list[Contact]:
        return await self._collect(query(show_archived=show_archived or None, order_by=order_by))

    async def create(self, contact: ContactCreate) -> Contact:
        return await self._create(contact.to_body())

    async def edit(self, contact_id: int, changes: ContactEdit) -> Contact:
        return await self._edit(contact_id, changes.to_body())

    async def restore(self, contact_id: int) -> None:
        await self._client.action("PATCH", f"{self.path}/{contact_id}/restore")


class ContactGroups(ReferenceList[ContactGroup]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/contact_group", ContactGroup)

    async def create(self, name: str) -> ContactGroup:
        return await self._create({"name": name})


class ContactSectors(ReferenceList[ContactSector]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/contact_branch", ContactSector)
