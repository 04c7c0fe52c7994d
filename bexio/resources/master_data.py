"""Users and the company's reference data (units, languages, payment types, profile, settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bexio.errors import BexioNotFound
from bexio.models import CompanyProfile, DocumentSetting, Language, PaymentType, Unit, User
from bexio.resources._base import Fetchable, ReferenceList

if TYPE_CHECKING:
    from bexio.client import BexioClient


class Users(ReferenceList[User], Fetchable[User]):
    """``/3.0/users``: real users only (fictional users live elsewhere)."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/3.0/users", User)

    async def me(self) -> User:
        """The bexio user the token belongs to."""
        return await self._client.get(f"{self.path}/me", self._one)


class Units(ReferenceList[Unit]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/unit", Unit)


class Languages(ReferenceList[Language]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/language", Language)


class PaymentTypes(ReferenceList[PaymentType]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/payment_type", PaymentType)


class CompanyProfiles(ReferenceList[CompanyProfile], Fetchable[CompanyProfile]):
    """``/2.0/company_profile``: a list that holds the one profile of the company."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/company_profile", CompanyProfile)

    async def current(self) -> CompanyProfile:
        profiles = await self.list()
        if not profiles:
            raise BexioNotFound("bexio returned no company profile", method="GET", path=self.path, status=200)
        return profiles[0]


class DocumentSettings(ReferenceList[DocumentSetting]):
    """``/2.0/kb_item_setting``: numbering and defaults per document class."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/kb_item_setting", DocumentSetting)

    async def for_class(self, kb_item_class: str) -> DocumentSetting:
        """E.g. ``for_class("KbInvoice").use_automatic_enumeration`` decides whether an invoice
        create may send ``document_nr``."""
        for setting in await self.list():
            if setting.kb_item_class == kb_item_class:
                return setting
        raise BexioNotFound(
            f"no document setting for {kb_item_class}", method="GET", path=self.path, status=200
        )
