"""A customer created in bxhours becomes a bexio contact the first time it is invoiced — once.

bexio has no idempotency keys, so "never a duplicate contact" rests on looking before creating,
on every attempt: an exact name match first, then the e-mail; a match is linked, and only when
none exists is the contact created (company or person, address, e-mail, the invoicing person as
user and owner, tagged with the customers category). A create whose answer was lost is found by
the next attempt's search. Two drafts for the same new customer must not create it twice either:
the link is decided under a per-customer lock (in this process) while the customer row is held
``FOR UPDATE`` (across processes on PostgreSQL; SQLite runs a single worker process).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.client import BexioClient
from bexio.models import Contact
from bexio.payloads import ContactCreate
from bexio.search import Criterion
from core.customers_rule import parse_category_names
from core.matching import normalise_name
from services.settings import TenantSettings
from storage.db import Database
from storage.models import ContactGroup, Customer

log = logging.getLogger(__name__)

COMPANY, PERSON = 1, 2


class BexioCustomers:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    async def ensure_contact(
        self,
        tenant_id: int,
        customer_id: int,
        client: BexioClient,
        *,
        bexio_user_id: int,
        settings: TenantSettings,
    ) -> int:
        """The customer's bexio contact id: the known one, a match found in bexio, or a new contact."""
        lock = self._locks.setdefault((tenant_id, customer_id), asyncio.Lock())
        async with lock:
            contact_id: int | None = None
            try:
                async with self.db.session(tenant_id) as session:
                    customer = await session.scalar(
                        select(Customer).where(Customer.id == customer_id).with_for_update()
                    )
                    if customer is None:
                        raise LookupError(f"customer {customer_id} does not exist")
                    if customer.bexio_id is not None:
                        return customer.bexio_id
                    contact = await self._find(client, customer)
                    if contact is None:
                        group_id = await _customers_group(session, settings)
                        contact = await client.contacts.create(
                            _contact_payload(customer, bexio_user_id, group_id)
                        )
                        log.info("created bexio contact %s for customer %s", contact.id, customer_id)
                    else:
                        log.info("linked customer %s to existing bexio contact %s", customer_id, contact.id)
                    contact_id = contact.id
                    customer.bexio_id = contact.id
                    customer.nr = contact.nr or customer.nr
                    customer.updated_at = self.now()
            except IntegrityError:
                # Another local customer (imported meanwhile) already mirrors this contact: use the
                # contact, leave both rows as they are for the admins to tidy up.
                log.warning("bexio contact %s is already linked to another customer", contact_id)
                if contact_id is None:
                    raise
            assert contact_id is not None
            return contact_id

    async def _find(self, client: BexioClient, customer: Customer) -> Contact | None:
        by_name = await client.contacts.search([Criterion("name_1", "=", customer.name)])
        wanted = normalise_name(customer.name)
        first = normalise_name(customer.name_2 or "")
        named = [
            c
            for c in by_name
            if normalise_name(c.name_1) == wanted
            and (customer.contact_type != PERSON or not first or normalise_name(c.name_2 or "") == first)
        ]
        if named:
            same_kind = [c for c in named if c.contact_type_id == customer.contact_type]
            return min(same_kind or named, key=lambda c: c.id)
        if customer.email:
            by_mail = await client.contacts.search([Criterion("mail", "=", customer.email)])
            mailed = [c for c in by_mail if (c.mail or "").casefold() == customer.email.casefold()]
            if mailed:
                return min(mailed, key=lambda c: c.id)
        return None


async def _customers_group(session: AsyncSession, settings: TenantSettings) -> int | None:
    """The bexio id of the contact group that marks customers (setting ``customer_category``)."""
    names = {name.casefold() for name in parse_category_names(settings.text("customer_category") or "")}
    groups = await session.scalars(select(ContactGroup).where(ContactGroup.active.is_(True)))
    matching = sorted((g for g in groups if g.name.casefold() in names), key=lambda g: g.bexio_id)
    return matching[0].bexio_id if matching else None


def _contact_payload(customer: Customer, bexio_user_id: int, group_id: int | None) -> ContactCreate:
    return ContactCreate(
        contact_type_id=PERSON if customer.contact_type == PERSON else COMPANY,
        name_1=customer.name,
        name_2=customer.name_2,
        street_name=customer.street_name,
        house_number=customer.house_number if customer.street_name else None,
        address_addition=customer.address_addition if customer.street_name else None,
        postcode=customer.postcode,
        city=customer.city,
        country_id=customer.country_id,
        mail=customer.email,
        language_id=customer.language_id,
        user_id=bexio_user_id,
        owner_id=bexio_user_id,
        contact_group_ids=frozenset({group_id}) if group_id is not None else None,
    )
