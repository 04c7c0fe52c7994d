"""Every recorded real bexio response of a modelled resource parses with its model.

The table below names a model for each folder; files without a model are listed with the reason,
and a test fails if a new recorded file appears that is neither parsed nor explained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from bexio import models
from bexio.fields import BEXIO_TZ
from tests.bexio.recorded import RECORDED

FOLDER_MODELS: dict[str, type[BaseModel]] = {
    "AccountGroups": models.AccountGroup,
    "Accounts": models.Account,
    "BankAccounts": models.BankAccount,
    "BusinessActivities": models.BusinessActivity,
    "CompanyProfiles": models.CompanyProfile,
    "ContactGroups": models.ContactGroup,
    "ContactSectors": models.ContactSector,
    "Contacts": models.Contact,
    "Currencies": models.Currency,
    "DocumentSettings": models.DocumentSetting,
    "Invoices": models.Invoice,
    "Languages": models.Language,
    "OpenID": models.UserInfo,
    "PaymentTypes": models.PaymentType,
    "Projects": models.Project,
    "Taxes": models.Tax,
    "Units": models.Unit,
    "Users": models.User,
}

# Files whose body is not the folder's resource.
FILE_MODELS: dict[str, type[BaseModel]] = {
    "Invoices/show-pdf.json": models.InvoicePdf,
}

NOT_MODELLED: dict[str, str] = {
    "OAuth/openid-configuration.json": "OpenID discovery document: the client is configured with auth_url",
    "OAuth/end-session.json": "HTML logout page of the identity provider",
    "Taxes/delete-a-tax.json": "error-only (409); its mapping is tested in test_client_errors",
    "Currencies/fetch-all-possible-currency-codes.json": "ISO code list; bxhours never creates currencies",
    "Currencies/fetch-currency-codes-for-delete.json": "ISO code list; bxhours never creates currencies",
    "Currencies/fetch-exchange-rates-for-currencies.json": "exchange rates are not used by bxhours",
    "LICENSE.md": "licence of the recordings",
}


@dataclass(frozen=True)
class Recorded:
    name: str
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def load(name: str) -> Recorded:
    raw = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    return Recorded(name, raw["statusCode"], raw["headers"], raw["data"])


def all_files() -> list[str]:
    return sorted(str(path.relative_to(RECORDED)) for path in RECORDED.rglob("*") if path.is_file())


def model_for(name: str, body: Any) -> type[BaseModel]:
    if name in FILE_MODELS:
        return FILE_MODELS[name]
    if isinstance(body, dict) and set(body) == {"success"}:
        return models.OperationResult
    return FOLDER_MODELS[name.split("/")[0]]


PARSED = [name for name in all_files() if name not in NOT_MODELLED]


def test_the_recordings_are_there() -> None:
    assert len(all_files()) >= 70, f"expected the recorded responses under {RECORDED}"


def test_every_recorded_file_is_parsed_or_explained() -> None:
    unknown = [name for name in PARSED if name.split("/")[0] not in FOLDER_MODELS and name not in FILE_MODELS]
    assert unknown == []
    stale = [name for name in NOT_MODELLED if not (RECORDED / name).exists()]
    assert stale == []


@pytest.mark.parametrize("name", PARSED)
def test_recorded_response_parses(name: str) -> None:
    recorded = load(name)
    assert 200 <= recorded.status < 300
    body = recorded.json
    model = model_for(name, body)
    if isinstance(body, list):
        parsed = TypeAdapter(list[model]).validate_json(recorded.body)  # type: ignore[valid-type]
        assert len(parsed) == len(body)
        assert [getattr(item, "id", None) for item in parsed] == [item.get("id") for item in body]
    else:
        parsed_one = model.model_validate_json(recorded.body)
        if "id" in body:
            assert parsed_one.id == body["id"]  # type: ignore[attr-defined]


def test_contacts_keep_bexio_quirks() -> None:
    contacts = TypeAdapter(list[models.Contact]).validate_json(
        load("Contacts/fetch-a-list-of-contacts.json").body
    )
    bexio_ag = contacts[0]
    assert bexio_ag.contact_group_ids == "1"
    assert bexio_ag.group_id_set == frozenset({1})
    assert bexio_ag.name_2 is None  # "" in the answer
    assert bexio_ag.mail is None  # null in the answer
    assert bexio_ag.updated_at == datetime(2009, 6, 9, 8, 37, 17, tzinfo=BEXIO_TZ)
    assert all(contact.contact_branch_ids is None for contact in contacts)


def test_invoice_single_has_positions_and_list_has_none() -> None:
    single = models.Invoice.model_validate_json(load("Invoices/fetch-an-invoice.json").body)
    listed = TypeAdapter(list[models.Invoice]).validate_json(
        load("Invoices/fetch-a-list-of-invoices.json").body
    )
    assert single.positions is not None
    assert [type(position) for position in single.positions] == [
        models.KbPositionText,
        models.KbPositionCustom,
    ]
    custom = single.positions[1]
    assert isinstance(custom, models.KbPositionCustom)
    assert custom.unit_price == Decimal("100")
    assert custom.tax_id is not None
    assert custom.pos == "2"
    assert all(invoice.positions is None for invoice in listed)


def test_invoice_money_is_decimal_whatever_the_precision() -> None:
    created = models.Invoice.model_validate_json(load("Invoices/create-an-invoice.json").body)
    fetched = models.Invoice.model_validate_json(load("Invoices/fetch-an-invoice.json").body)
    assert isinstance(created.total, Decimal)
    assert created.total == fetched.total == Decimal("100")  # "100" vs "100.000000"
    assert created.total_taxes == Decimal("0")
    assert created.kb_item_status_id == models.InvoiceStatus.DRAFT
    assert created.is_draft
    assert created.api_reference == "4cd39391-b884-44ec-9bb4-5f54f40cb5cf"


def test_taxes_keep_rate_and_validity() -> None:
    taxes = TypeAdapter(list[models.Tax]).validate_json(
        load("Taxes/fetch-a-list-of-taxes-scoped_active-types_sales_tax.json").body
    )
    un81 = next(tax for tax in taxes if tax.code == "UN81")
    assert un81.value == Decimal("8.1")
    assert (un81.start_year, un81.start_month, un81.end_year) == (2023, 7, None)
    assert un81.is_sales_tax
    assert un81.is_active


def test_currency_round_factor_is_exact() -> None:
    currencies = TypeAdapter(list[models.Currency]).validate_json(
        load("Currencies/fetch-a-list-of-currencies.json").body
    )
    assert currencies[0].name == "CHF"
    assert currencies[0].round_factor == Decimal("0.05")


def test_accounts_and_document_settings() -> None:
    accounts = TypeAdapter(list[models.Account]).validate_json(
        load("Accounts/fetch-a-list-of-accounts.json").body
    )
    income = next(account for account in accounts if account.id == 95)
    assert income.is_income
    assert income.fibu_account_group_id == 62
    settings = TypeAdapter(list[models.DocumentSetting]).validate_json(
        load("DocumentSettings/fetch-a-list-of-document-settings.json").body
    )
    invoice_setting = next(setting for setting in settings if setting.kb_item_class == "KbInvoice")
    assert invoice_setting.enumeration_format == "RE-%nummer%"
    assert invoice_setting.use_automatic_enumeration is True


def test_pdf_content_decodes_to_a_pdf() -> None:
    pdf = models.InvoicePdf.model_validate_json(load("Invoices/show-pdf.json").body)
    data = pdf.pdf_bytes()
    assert data.startswith(b"%PDF")
    assert len(data) == pdf.size
    assert "content" not in repr(pdf)


def test_userinfo_names_the_company() -> None:
    info = models.UserInfo.model_validate_json(load("OpenID/fetch-user-info.json").body)
    assert info.company_id == "q69vysq7fkzl"
    assert info.company_name == "Mustermann AG"
    assert info.company_user_id == 1
