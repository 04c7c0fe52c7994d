"""bexio contacts become customers under the customers rule (``core.customers_rule``).

bexio lists only non-archived contacts, so an archived or deleted contact simply stops being
listed and its customer goes inactive; so does a contact the rule no longer counts as a customer.
Inactive customers keep their projects and entries, so their unbilled work can still be invoiced.
Customers created in bxhours and not yet in bexio (no bexio id) are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.fields import to_bexio_datetime
from bexio.models import Contact
from bexio.reading import PageReader
from bexio.search import Criterion
from core.customers_rule import ContactRef, CustomerRule, GroupRef, decide_customer_rule
from services.importing.context import ImportContext, Row
from services.importing.staging import LIVE, Mirror
from services.importing.summary import ResourceChanges
from storage.models import ContactGroup, Customer

CUSTOMERS = Mirror(
    "customers",
    Customer,
    fields=(
        "nr",
        "contact_type",
        "name",
        "name_2",
        "email",
        "street_name",
        "house_number",
        "address_addition",
        "postcode",
        "city",
        "country_id",
        "language_id",
        "group_ids",
        "bexio_updated_at",
    ),
    constants={"created_in_bxhours": False},
    touched=("updated_at",),
)
CONTACTS_READER: PageReader[Contact] = PageReader(Contact)


@dataclass
class CustomersResult:
    changes: ResourceChanges
    rule: CustomerRule


def customer_row(contact: Contact) -> Row:
    updated = contact.updated_at
    return {
        "bexio_id": contact.id,
        "nr": contact.nr,
        "contact_type": contact.contact_type_id,
        "name": contact.name_1,
        "name_2": contact.name_2,
        "email": contact.mail,
        "street_name": contact.street_name,
        "house_number": contact.house_number,
        "address_addition": contact.address_addition,
        "postcode": contact.postcode,
        "city": contact.city,
        "country_id": contact.country_id,
        "language_id": contact.language_id,
        "group_ids": contact.contact_group_ids,
        # bexio's own wall-clock form: the change poller compares it with `updated_at >=` searches.
        "bexio_updated_at": to_bexio_datetime(updated) if updated else None,
        LIVE: True,
    }


async def import_customers(ctx: ImportContext) -> CustomersResult:
    """Read every non-archived contact, decide the rule over all of them, then apply in one go."""
    refs: list[ContactRef] = []  # id and group string only: what the rule needs, not the contacts

    def remember(page: list[Contact]) -> None:
        refs.extend(ContactRef(contact.id, contact.contact_group_ids, archived=False) for contact in page)

    async with ctx.workspace.stage(CUSTOMERS) as stage:
        await ctx.stage_pages(
            stage, ctx.client.contacts.path, CONTACTS_READER, customer_row, by_id=True, seen=remember
        )
        async with ctx.workspace.session.begin():
            groups = await _groups(ctx.workspace.session)
        rule = decide_customer_rule(groups, refs, _category_names(ctx))
        await stage.mark_not_live([ref.id for ref in refs if not rule.includes(ref)])
        changes = await stage.apply(ctx.now)
    return CustomersResult(changes, rule)


async def import_contact(ctx: ImportContext, contact_id: int) -> CustomersResult | None:
    """Re-read one contact (one bexio call) and apply it under the rule as it stands.

    The rule is decided again over the customers the last import stored (under the "tagged" rule
    those are the tagged contacts only, so its reason counts no others). Returns None when the
    change moves the rule across its threshold — then only a re-read of every contact can say who
    the customers are, and the caller must import all of them.
    """
    found = await ctx.client.contacts.search([Criterion("id", "=", contact_id)])
    contact = next((c for c in found if c.id == contact_id), None)  # archived ones are not found
    session = ctx.workspace.session
    async with session.begin():
        groups = await _groups(session)
        stored = await session.execute(
            select(Customer.bexio_id, Customer.group_ids).where(
                Customer.active.is_(True), Customer.bexio_id.is_not(None)
            )
        )
        others: list[ContactRef] = []
        this: list[ContactRef] = []
        for bexio_id, group_ids in stored:
            if bexio_id is not None:
                ref = ContactRef(bexio_id, group_ids, archived=False)
                (this if bexio_id == contact_id else others).append(ref)
    names = _category_names(ctx)
    now = ContactRef(contact_id, contact.contact_group_ids, archived=False) if contact else None
    before = decide_customer_rule(groups, [*others, *this], names)
    after = decide_customer_rule(groups, [*others, *([now] if now else [])], names)
    if after.mode != before.mode:
        return None
    async with ctx.workspace.stage(CUSTOMERS) as stage:
        if contact is not None and now is not None:
            await stage.add([customer_row(contact)])
            if not after.includes(now):
                await stage.mark_not_live([contact_id])
        changes = await stage.apply(ctx.now, scope=[contact_id])
    return CustomersResult(changes, after)


def _category_names(ctx: ImportContext) -> str:
    return ctx.settings.text("customer_category") or ""


async def _groups(session: AsyncSession) -> list[GroupRef]:
    rows = await session.execute(
        select(ContactGroup.bexio_id, ContactGroup.name).where(ContactGroup.active.is_(True))
    )
    return [GroupRef(bexio_id, name) for bexio_id, name in rows]
