"""Chart of accounts, taxes, currencies and bank accounts."""

from __future__ import annotations

import builtins
from datetime import date
from typing import TYPE_CHECKING, Literal

from bexio.models import Account, AccountGroup, BankAccount, Currency, Tax
from bexio.resources._base import Fetchable, Listable, ReferenceList, Searchable, query

if TYPE_CHECKING:
    from bexio.client import BexioClient


class Accounts(Listable[Account], Searchable[Account]):
    """``/2.0/accounts``; searchable by ``account_no``, ``fibu_account_group_id``, ``name``,
    ``account_type``."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/accounts", Account)


class AccountGroups(ReferenceList[AccountGroup]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/account_groups", AccountGroup)


class Taxes(Fetchable[Tax]):
    """``/3.0/taxes`` (no ``X-Total-Count`` here, so paging ends on a short page)."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/3.0/taxes", Tax)

    async def list(
        self,
        *,
        scope: Literal["active", "inactive"] | None = None,
        types: Literal["sales_tax", "pre_tax"] | None = None,
        date: date | None = None,
    ) -> builtins.list[Tax]:
        """Only active sales taxes may go on invoice positions: ``list(scope="active",
        types="sales_tax")``; ``date`` restricts to taxes valid on that day."""
        return await self._collect(
            query(scope=scope, types=types, date=date.isoformat() if date is not None else None)
        )


class Currencies(ReferenceList[Currency]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/3.0/currencies", Currency)


class BankAccounts(ReferenceList[BankAccount], Fetchable[BankAccount]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/3.0/banking/accounts", BankAccount)
