"""bexio's smaller lists: contact groups, business activities, the chart of accounts, sales taxes,
units, currencies and document settings. Each is mirrored as it is; what bexio stops listing (or
lists as inactive) goes inactive here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from bexio.models import Account as BexioAccount
from bexio.models import AccountGroup as BexioAccountGroup
from bexio.models import BusinessActivity
from bexio.models import ContactGroup as BexioContactGroup
from bexio.models import Currency as BexioCurrency
from bexio.models import DocumentSetting as BexioDocumentSetting
from bexio.models import Language as BexioLanguage
from bexio.models import Tax as BexioTax
from bexio.models import Unit as BexioUnit
from bexio.reading import PageReader
from core.money import quantize_money
from services.importing.context import ImportContext, Row
from services.importing.staging import LIVE, Mirror
from services.importing.summary import ResourceChanges
from storage.models import (
    Account,
    AccountGroup,
    Activity,
    ContactGroup,
    Currency,
    DocumentSetting,
    Language,
    Tax,
    Unit,
)

M = TypeVar("M", bound=BaseModel)

CONTACT_GROUPS = Mirror("contact_groups", ContactGroup, fields=("name",))
ACTIVITIES = Mirror(
    "activities",
    Activity,
    fields=("name", "default_rate", "default_is_billable", "bexio_account_id"),
    touched=("updated_at",),
)
ACCOUNT_GROUPS = Mirror(
    "account_groups", AccountGroup, fields=("account_no", "name", "parent_bexio_id"), keep_inactive=True
)
ACCOUNTS = Mirror(
    "accounts",
    Account,
    fields=("account_no", "name", "account_type", "group_bexio_id", "tax_bexio_id", "is_locked"),
    keep_inactive=True,
)
TAXES = Mirror(
    "taxes",
    Tax,
    fields=(
        "code",
        "name",
        "display_name",
        "type",
        "value",
        "start_year",
        "start_month",
        "end_year",
        "end_month",
        "is_active",
        "account_bexio_id",
    ),
    live="present",  # inactive taxes are imported too (old invoices use them); `present` = still listed
)
UNITS = Mirror("units", Unit, fields=("name",))
CURRENCIES = Mirror("currencies", Currency, fields=("name", "round_factor"))
LANGUAGES = Mirror("languages", Language, fields=("name", "iso_639_1"))
DOCUMENT_SETTINGS = Mirror(
    "document_settings",
    DocumentSetting,
    fields=(
        "kb_item_class",
        "enumeration_format",
        "use_automatic_enumeration",
        "next_nr",
        "nr_min_length",
        "default_mwst_type",
        "default_mwst_is_net",
        "raw",
    ),
    live=None,  # nothing points at a document setting; one bexio dropped is simply gone
)


def contact_group_row(group: BexioContactGroup) -> Row:
    return {"bexio_id": group.id, "name": group.name, LIVE: True}


def activity_row(activity: BusinessActivity) -> Row:
    rate = activity.default_price_per_hour
    return {
        "bexio_id": activity.id,
        "name": activity.name,
        "default_rate": quantize_money(rate) if rate is not None else None,
        "default_is_billable": activity.default_is_billable is not False,
        "bexio_account_id": activity.account_id,
        LIVE: True,
    }


def account_group_row(group: BexioAccountGroup) -> Row:
    return {
        "bexio_id": group.id,
        "account_no": group.account_no,
        "name": group.name,
        "parent_bexio_id": group.parent_fibu_account_group_id,
        LIVE: group.is_active is not False,
    }


def account_row(account: BexioAccount) -> Row:
    return {
        "bexio_id": account.id,
        "account_no": account.account_no,
        "name": account.name,
        "account_type": account.account_type or 0,  # 0: bexio did not say
        "group_bexio_id": account.fibu_account_group_id,
        "tax_bexio_id": account.tax_id,
        "is_locked": bool(account.is_locked),
        LIVE: account.is_active is not False,
    }


def tax_row(tax: BexioTax) -> Row:
    return {
        "bexio_id": tax.id,
        "code": tax.code,
        "name": tax.name,
        "display_name": tax.display_name,
        "type": tax.type or "",
        "value": tax.value,
        "start_year": tax.start_year,
        "start_month": tax.start_month,
        "end_year": tax.end_year,
        "end_month": tax.end_month,
        "is_active": tax.is_active is not False,
        "account_bexio_id": tax.account_id,
        LIVE: True,
    }


def unit_row(unit: BexioUnit) -> Row:
    return {"bexio_id": unit.id, "name": unit.name, LIVE: True}


def language_row(language: BexioLanguage) -> Row:
    iso = (language.iso_639_1 or "").strip().lower()[:8] or None
    return {"bexio_id": language.id, "name": language.name, "iso_639_1": iso, LIVE: True}


def currency_row(currency: BexioCurrency) -> Row:
    return {"bexio_id": currency.id, "name": currency.name, "round_factor": currency.round_factor, LIVE: True}


def document_setting_row(setting: BexioDocumentSetting) -> Row:
    return {
        "bexio_id": setting.id,
        "kb_item_class": setting.kb_item_class,
        "enumeration_format": setting.enumeration_format,
        "use_automatic_enumeration": setting.use_automatic_enumeration,
        "next_nr": setting.next_nr,
        "nr_min_length": setting.nr_min_length,
        "default_mwst_type": setting.default_mwst_type,
        "default_mwst_is_net": setting.default_mwst_is_net,
        "raw": setting.model_dump(mode="json"),
        LIVE: True,
    }


async def mirror_list(
    ctx: ImportContext, mirror: Mirror, path: str, model: type[M], to_row: Callable[[M], Row]
) -> ResourceChanges:
    """Read a whole bexio list into one table."""
    async with ctx.workspace.stage(mirror) as stage:
        await ctx.stage_pages(stage, path, reader_of(model), to_row)
        return await stage.apply(ctx.now)


async def import_contact_groups(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(
        ctx, CONTACT_GROUPS, ctx.client.contact_groups.path, BexioContactGroup, contact_group_row
    )


async def import_activities(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(
        ctx, ACTIVITIES, ctx.client.business_activities.path, BusinessActivity, activity_row
    )


async def import_account_groups(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(
        ctx, ACCOUNT_GROUPS, ctx.client.account_groups.path, BexioAccountGroup, account_group_row
    )


async def import_accounts(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(ctx, ACCOUNTS, ctx.client.accounts.path, BexioAccount, account_row)


async def import_taxes(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(ctx, TAXES, ctx.client.taxes.path, BexioTax, tax_row)


async def import_units(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(ctx, UNITS, ctx.client.units.path, BexioUnit, unit_row)


async def import_languages(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(ctx, LANGUAGES, ctx.client.languages.path, BexioLanguage, language_row)


async def import_currencies(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(ctx, CURRENCIES, ctx.client.currencies.path, BexioCurrency, currency_row)


async def import_document_settings(ctx: ImportContext) -> ResourceChanges:
    return await mirror_list(
        ctx,
        DOCUMENT_SETTINGS,
        ctx.client.document_settings.path,
        BexioDocumentSetting,
        document_setting_row,
    )


_READERS: dict[type[BaseModel], PageReader[BaseModel]] = {}


def reader_of(model: type[M]) -> PageReader[M]:
    """One reader per model, shared by the import and its prefetch."""
    if model not in _READERS:
        _READERS[model] = PageReader(model)
    return _READERS[model]  # type: ignore[return-value]
