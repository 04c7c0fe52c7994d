"""The language of what bxhours writes into a customer's bexio draft (issue 14 §5): the customer's
bexio language (its ``language_id`` in bexio's languages list), else the workspace's language, else
German — the draft is the customer's document, whoever in the team creates it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import normalise_language
from services.settings import TenantSettings
from storage.models import Customer, Language

FALLBACK = "de"


async def document_language(session: AsyncSession, settings: TenantSettings, customer_id: int | None) -> str:
    if customer_id is not None:
        iso = await session.scalar(
            select(Language.iso_639_1)
            .join(Customer, Customer.language_id == Language.bexio_id)
            .where(Customer.id == customer_id)
        )
        found = normalise_language(iso)
        if found:
            return found
    return normalise_language(settings.get("language")) or FALLBACK
