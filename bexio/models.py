"""Typed views of what bexio returns.

Every model ignores fields it does not know (bexio adds fields without notice), keeps money as
``Decimal``, reads ``""`` and ``null`` alike as ``None`` and ids as ints. Field names are bexio's,
so a model can be checked against a recorded response by eye; the few renames are documented
where they happen. Large base64 blobs bexio attaches (contact ``profile_image``, company
``logo_base64``) are deliberately not modelled: nothing in bxhours needs them and they would cost
memory on every read.
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from bexio.fields import (
    LocalDateTime,
    Minutes,
    Money,
    OptBool,
    OptDate,
    OptInt,
    OptMoney,
    Text,
    blank_to_none,
)


class BexioModel(BaseModel):
    """Base of every read model: tolerant of new fields, immutable once read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _id_set(value: str | None) -> frozenset[int]:
    if not value:
        return frozenset()
    return frozenset(int(part) for part in value.split(",") if part.strip())


# --- users ----------------------------------------------------------------------------------------


class User(BexioModel):
    """``/3.0/users``; ``is_superadmin``/``is_accountant`` only appear for callers with admin rights."""

    id: int
    salutation_type: Text = None
    firstname: Text = None
    lastname: Text = None
    email: Text = None
    is_superadmin: OptBool = None
    is_accountant: OptBool = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.firstname, self.lastname) if part)


class UserInfo(BexioModel):
    """OpenID userinfo of the token's user; ``company_id`` identifies the bexio company (tenant)."""

    sub: str
    email: Text = None
    email_verified: OptBool = None
    given_name: Text = None
    family_name: Text = None
    gender: Text = None
    locale: Text = None
    company_id: Text = None
    company_name: Text = None
    company_user_id: OptInt = None
    shard_id: Text = None


# --- contacts -------------------------------------------------------------------------------------


class ContactType(IntEnum):
    COMPANY = 1
    PERSON = 2


class Contact(BexioModel):
    """``/2.0/contact``. ``contact_group_ids`` stays bexio's comma string; use ``group_id_set``."""

    id: int
    nr: Text = None
    contact_type_id: int
    name_1: str
    name_2: Text = None
    salutation_id: OptInt = None
    salutation_form: OptInt = None
    title_id: OptInt = None
    birthday: OptDate = None
    address: Text = None
    street_name: Text = None
    house_number: Text = None
    address_addition: Text = None
    postcode: Text = None
    city: Text = None
    country_id: OptInt = None
    mail: Text = None
    mail_second: Text = None
    phone_fixed: Text = None
    phone_fixed_second: Text = None
    phone_mobile: Text = None
    fax: Text = None
    url: Text = None
    skype_name: Text = None
    remarks: Text = None
    language_id: OptInt = None
    is_lead: OptBool = None
    contact_group_ids: Text = None
    contact_branch_ids: Text = None
    user_id: OptInt = None
    owner_id: OptInt = None
    updated_at: LocalDateTime = None

    @property
    def group_id_set(self) -> frozenset[int]:
        """Group ids as a set: filter customers here, because bexio's ``like`` on the string
        matches substrings ("3" also finds "13")."""
        return _id_set(self.contact_group_ids)

    @property
    def branch_id_set(self) -> frozenset[int]:
        return _id_set(self.contact_branch_ids)

    @property
    def display_name(self) -> str:
        """Company name, or "First Last" for a person (bexio keeps the last name in ``name_1``)."""
        if self.contact_type_id == ContactType.PERSON and self.name_2:
            return f"{self.name_2} {self.name_1}"
        return self.name_1


class ContactGroup(BexioModel):
    """``/2.0/contact_group``: what the bexio UI calls a contact "category"."""

    id: int
    name: str


class ContactSector(BexioModel):
    """``/2.0/contact_branch``: industries ("Branchen")."""

    id: int
    name: str


# --- projects -------------------------------------------------------------------------------------


class ProjectInvoiceType(IntEnum):
    HOURLY_RATE_PER_ACTIVITY = 1
    HOURLY_RATE_PER_EMPLOYEE = 2
    HOURLY_RATE_PER_PROJECT = 3
    FIXED_PRICE = 4


class Project(BexioModel):
    """``/2.0/pr_project``. No ``updated_at``: changes are found by re-reading."""

    id: int
    uuid: Text = None
    nr: Text = None
    name: str
    start_date: OptDate = None
    end_date: OptDate = None
    comment: Text = None
    pr_state_id: OptInt = None
    pr_project_type_id: OptInt = None
    contact_id: OptInt = None
    contact_sub_id: OptInt = None
    pr_invoice_type_id: OptInt = None
    pr_invoice_type_amount: OptMoney = None
    pr_budget_type_id: OptInt = None
    pr_budget_type_amount: OptMoney = None
    user_id: OptInt = None


class ProjectState(BexioModel):
    id: int
    name: str


class ProjectType(BexioModel):
    id: int
    name: str


# --- business activities and timesheets -----------------------------------------------------------


class BusinessActivity(BexioModel):
    """``/2.0/client_service``. ``default_price_per_hour`` is a JSON number in bexio, read as Decimal."""

    id: int
    name: str
    default_is_billable: OptBool = None
    default_price_per_hour: OptMoney = None
    account_id: OptInt = None


class TimesheetStatus(BexioModel):
    id: int
    name: str


class DurationTracking(BexioModel):
    type: Literal["duration"]
    date: OptDate = None
    duration: Minutes = None


class RangeTracking(BexioModel):
    type: Literal["range"]
    start: LocalDateTime = None
    end: LocalDateTime = None


class StopwatchTracking(BexioModel):
    type: Literal["stopwatch"]
    duration: Minutes = None


Tracking = Annotated[DurationTracking | RangeTracking | StopwatchTracking, Field(discriminator="type")]


class Timesheet(BexioModel):
    """``/2.0/timesheet``. ``duration`` and ``estimated_time`` are whole minutes (bexio: ``"1:15"``).

    Timesheets keep ``pr_project_id`` in answers too (unlike invoices).
    """

    id: int
    user_id: int
    status_id: OptInt = None
    client_service_id: OptInt = None
    text: Text = None
    allowable_bill: OptBool = None
    charge: OptMoney = None
    contact_id: OptInt = None
    sub_contact_id: OptInt = None
    pr_project_id: OptInt = None
    pr_package_id: OptInt = None
    pr_milestone_id: OptInt = None
    travel_time: Minutes = None
    travel_charge: OptMoney = None
    travel_distance: OptMoney = None
    estimated_time: Minutes = None
    date: OptDate = None
    duration: Minutes = None
    running: OptBool = None
    tracking: Tracking | None = None


# --- accounting -----------------------------------------------------------------------------------


class AccountType(IntEnum):
    EARNINGS = 1
    EXPENDITURES = 2
    ASSETS = 3
    LIABILITIES = 4
    CLOSING = 5


class Account(BexioModel):
    """``/2.0/accounts``. The docs say ``account_group_id``; real answers say ``fibu_account_group_id``."""

    id: int
    uuid: Text = None
    account_no: str
    name: str
    account_type: OptInt = None
    tax_id: OptInt = None
    fibu_account_group_id: OptInt = Field(
        default=None, validation_alias=AliasChoices("fibu_account_group_id", "account_group_id")
    )
    is_active: OptBool = None
    is_locked: OptBool = None

    @property
    def is_income(self) -> bool:
        """Invoice positions may only be booked on earnings accounts."""
        return self.account_type == AccountType.EARNINGS


class AccountGroup(BexioModel):
    id: int
    uuid: Text = None
    account_no: Text = None
    name: str
    parent_fibu_account_group_id: OptInt = None
    is_active: OptBool = None
    is_locked: OptBool = None


class Tax(BexioModel):
    """``/3.0/taxes``. ``value`` is the rate in percent (8.1), a JSON number read as Decimal.

    The validity is given as year/month pairs; ``None`` means open-ended.
    """

    id: int
    uuid: Text = None
    name: Text = None
    code: Text = None
    digit: Text = None
    type: Text = None
    account_id: OptInt = None
    tax_settlement_type: Text = None
    value: Money
    net_tax_value: OptMoney = None
    start_year: OptInt = None
    start_month: OptInt = None
    end_year: OptInt = None
    end_month: OptInt = None
    is_active: OptBool = None
    display_name: Text = None

    @property
    def is_sales_tax(self) -> bool:
        return self.type == "sales_tax"

    def valid_on(self, day: date) -> bool:
        """Whether the rate applies to a supply on ``day`` (month granularity, as bexio stores it)."""
        month = (day.year, day.month)
        if self.start_year is not None and month < (self.start_year, self.start_month or 1):
            return False
        return not (self.end_year is not None and month > (self.end_year, self.end_month or 12))


class Unit(BexioModel):
    id: int
    name: str


class Currency(BexioModel):
    """``/3.0/currencies``; ``round_factor`` is the cash rounding step (CHF 0.05)."""

    id: int
    name: str
    round_factor: Money


class Language(BexioModel):
    id: int
    name: str
    decimal_point: Text = None
    thousands_separator: Text = None
    date_format_id: OptInt = None
    date_format: Text = None
    iso_639_1: Text = None


class PaymentType(BexioModel):
    id: int
    name: str


class BankAccount(BexioModel):
    """``/3.0/banking/accounts``; ``invoice_mode`` is ``"none"`` or ``"qr_invoice"``."""

    id: int
    uuid: Text = None
    name: str
    owner: Text = None
    owner_address: Text = None
    owner_house_number: Text = None
    owner_zip: Text = None
    owner_city: Text = None
    owner_country_code: Text = None
    bc_nr: Text = None
    bank_name: Text = None
    bank_nr: Text = None
    bank_account_nr: Text = None
    iban_nr: Text = None
    currency_id: OptInt = None
    account_id: OptInt = None
    remarks: Text = None
    is_esr: OptBool = None
    invoice_mode: Text = None
    qr_invoice_iban: Text = None
    type: Text = None


class CompanyProfile(BexioModel):
    id: int
    name: str
    address: Text = None
    address_nr: Text = None
    postcode: Text = None
    city: Text = None
    country_id: OptInt = None
    country_name: Text = None
    legal_form: Text = None
    mail: Text = None
    phone_fixed: Text = None
    phone_mobile: Text = None
    fax: Text = None
    url: Text = None
    ust_id_nr: Text = None
    mwst_nr: Text = None
    trade_register_nr: Text = None
    has_own_logo: OptBool = None


class DocumentSetting(BexioModel):
    """``/2.0/kb_item_setting``: numbering and defaults per document class (``KbInvoice`` …)."""

    id: int
    text: Text = None
    kb_item_class: str
    enumeration_format: Text = None
    use_automatic_enumeration: bool
    use_yearly_enumeration: OptBool = None
    next_nr: OptInt = None
    nr_min_length: OptInt = None
    default_time_period_in_days: OptInt = None
    default_logopaper_id: OptInt = None
    default_language_id: OptInt = None
    default_client_bank_account_new_id: OptInt = None
    default_currency_id: OptInt = None
    default_mwst_type: OptInt = None
    default_mwst_is_net: OptBool = None
    default_nb_decimals_amount: OptInt = None
    default_nb_decimals_price: OptInt = None
    default_show_position_taxes: OptBool = None
    default_title: Text = None
    default_show_esr_on_same_page: OptBool = None
    default_payment_type_id: OptInt = None
    kb_terms_of_payment_template_id: OptInt = None
    default_show_total: OptBool = None


# --- invoices -------------------------------------------------------------------------------------


class InvoiceStatus(IntEnum):
    DRAFT = 7
    PENDING = 8
    PAID = 9
    PARTIAL = 16
    CANCELED = 19
    UNPAID = 31


class MwstType(IntEnum):
    """How taxes apply to the document (bexio's ``mwst_type``)."""

    INCLUDING = 0
    EXCLUDING = 1
    EXEMPT = 2


class _Position(BexioModel):
    id: int
    internal_pos: OptInt = None
    parent_id: OptInt = None
    is_optional: OptBool = None


class _PricedPosition(_Position):
    amount: OptMoney = None
    amount_reserved: OptMoney = None
    amount_open: OptMoney = None
    amount_completed: OptMoney = None
    unit_id: OptInt = None
    unit_name: Text = None
    account_id: OptInt = None
    tax_id: OptInt = None
    tax_value: OptMoney = None
    text: Text = None
    unit_price: OptMoney = None
    discount_in_percent: OptMoney = None
    position_total: OptMoney = None
    pos: Text = None


class KbPositionCustom(_PricedPosition):
    type: Literal["KbPositionCustom"]


class KbPositionArticle(_PricedPosition):
    type: Literal["KbPositionArticle"]
    article_id: OptInt = None


class KbPositionText(_Position):
    type: Literal["KbPositionText"]
    text: Text = None
    show_pos_nr: OptBool = None
    pos: Text = None


class KbPositionSubtotal(_Position):
    type: Literal["KbPositionSubtotal"]
    text: Text = None
    value: OptMoney = None


class KbPositionDiscount(_Position):
    type: Literal["KbPositionDiscount"]
    text: Text = None
    is_percentual: OptBool = None
    value: OptMoney = None
    discount_total: OptMoney = None


class KbPositionPagebreak(_Position):
    type: Literal["KbPositionPagebreak"]
    pagebreak: OptBool = None


class KbPositionOther(_Position):
    """Any position type bexio adds later (e.g. ``KbPositionSubposition``): kept, not understood."""

    type: str


_KNOWN_POSITION_TYPES = frozenset(
    {
        "KbPositionCustom",
        "KbPositionArticle",
        "KbPositionText",
        "KbPositionSubtotal",
        "KbPositionDiscount",
        "KbPositionPagebreak",
    }
)


def _position_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _KNOWN_POSITION_TYPES else "other"


InvoicePosition = Annotated[
    Annotated[KbPositionCustom, Tag("KbPositionCustom")]
    | Annotated[KbPositionArticle, Tag("KbPositionArticle")]
    | Annotated[KbPositionText, Tag("KbPositionText")]
    | Annotated[KbPositionSubtotal, Tag("KbPositionSubtotal")]
    | Annotated[KbPositionDiscount, Tag("KbPositionDiscount")]
    | Annotated[KbPositionPagebreak, Tag("KbPositionPagebreak")]
    | Annotated[KbPositionOther, Tag("other")],
    Discriminator(_position_tag),
]


class InvoiceTax(BexioModel):
    """One line of bexio's ``taxs``: the tax amount charged at one rate."""

    percentage: Money
    value: Money


class Invoice(BexioModel):
    """``/2.0/kb_invoice``. bexio takes ``pr_project_id`` but answers ``project_id``.

    ``positions`` is ``None`` on list and search answers (bexio leaves them out) and a tuple on a
    single invoice.
    """

    id: int
    document_nr: Text = None
    title: Text = None
    contact_id: OptInt = None
    contact_sub_id: OptInt = None
    user_id: OptInt = None
    project_id: OptInt = Field(default=None, validation_alias=AliasChoices("project_id", "pr_project_id"))
    logopaper_id: OptInt = None
    language_id: OptInt = None
    bank_account_id: OptInt = None
    currency_id: OptInt = None
    payment_type_id: OptInt = None
    header: Text = None
    footer: Text = None
    total_gross: OptMoney = None
    total_net: OptMoney = None
    total_taxes: OptMoney = None
    total_received_payments: OptMoney = None
    total_credit_vouchers: OptMoney = None
    total_remaining_payments: OptMoney = None
    total: OptMoney = None
    total_rounding_difference: OptMoney = None
    mwst_type: OptInt = None
    mwst_is_net: OptBool = None
    show_position_taxes: OptBool = None
    is_valid_from: OptDate = None
    is_valid_to: OptDate = None
    contact_address: Text = None
    kb_item_status_id: OptInt = None
    reference: Text = None
    api_reference: Text = None
    viewed_by_client_at: LocalDateTime = None
    updated_at: LocalDateTime = None
    esr_id: OptInt = None
    qr_invoice_id: OptInt = None
    template_slug: Text = None
    taxs: tuple[InvoiceTax, ...] = ()
    positions: tuple[InvoicePosition, ...] | None = None
    network_link: Text = None

    @property
    def is_draft(self) -> bool:
        return self.kb_item_status_id == InvoiceStatus.DRAFT


class InvoicePdf(BexioModel):
    """The PDF bexio returns as JSON with base64 ``content``."""

    name: str
    size: OptInt = None
    mime: Text = None
    content: str = Field(repr=False)

    def pdf_bytes(self) -> bytes:
        return base64.b64decode(self.content, validate=True)


# --- payroll (4.0) --------------------------------------------------------------------------------


class PayrollAddress(BexioModel):
    complementary_line: Text = None
    street: Text = None
    street_name: Text = None
    house_number: Text = None
    postbox: Text = None
    locality: Text = None
    zip_code: Text = None
    city: Text = None
    country: Text = None
    canton: Text = None
    municipality_id: OptInt = None


class PayrollEmployee(BexioModel):
    """``/4.0/payroll/employees``: ids are UUID strings on 4.0."""

    id: str
    first_name: Text = None
    last_name: Text = None
    date_of_birth: OptDate = None
    gender: Text = None
    nationality: Text = None
    language: Text = None
    email: Text = None
    phone_number: Text = None
    personal_number: Text = None
    hours_per_week: OptMoney = None
    employment_level: OptMoney = None
    annual_vacation_days_total: OptMoney = None
    annual_vacation_days_used: OptMoney = None
    annual_vacation_days_left: OptMoney = None
    effective_working_hours_per_week: OptMoney = None
    address: PayrollAddress | None = None


class PayrollAbsence(BexioModel):
    """An employee's absence; ``reason`` is e.g. ``Vacation``, ``Sickness``."""

    id: str
    reason: Text = None
    start_date: OptDate = None
    end_date: OptDate = None
    half_day: OptBool = None
    #: Unconfirmed shape: third-party clients read a percentage, others a flag; both are kept.
    continued_pay: Annotated[Decimal | bool | None, BeforeValidator(blank_to_none)] = None
    disability: OptMoney = None
    paid_hours: OptMoney = None


class OperationResult(BexioModel):
    """``{"success": true}``, bexio's answer to deletes and invoice actions."""

    success: bool
