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
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from bexio.fields import (
    LocalDateTime,
    Minutes,
    Money,
    Name,
    OptBool,
    OptDate,
    OptInt,
    OptMoney,
    Text,
    Unused,
    as_text,
    blank_to_none,
)

BexioId = Annotated[int, Field(gt=0)]
"""bexio's 2.0/3.0 ids are positive: a record with an id of 0 (or none) cannot be told apart."""


class BexioModel(BaseModel):
    """Base of every read model: tolerant of new fields, immutable once read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class NamedRecord(BexioModel):
    """A record whose name bexio requires but some descriptions make nullable (issue 11 §2): an
    empty or missing name gets a readable stand-in — ``Projekt 000012``, ``Tätigkeit 7`` — instead
    of costing the record. ``STAND_IN`` is the word, followed by ``nr`` where the record has one,
    else by its id."""

    STAND_IN: ClassVar[str] = "Eintrag"
    NAME_FIELD: ClassVar[str] = "name"

    @model_validator(mode="before")
    @classmethod
    def _stand_in_name(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        name = data.get(cls.NAME_FIELD)
        if name is None or (isinstance(name, str) and not name.strip()):
            label = as_text(data.get("nr")) or as_text(data.get("id"))
            return {**data, cls.NAME_FIELD: f"{cls.STAND_IN} {label}" if label else cls.STAND_IN}
        return data


def _id_set(value: str | None) -> frozenset[int]:
    if not value:
        return frozenset()
    return frozenset(int(part) for part in value.split(",") if part.strip())


# --- users ----------------------------------------------------------------------------------------


class User(BexioModel):
    """``/3.0/users``; ``is_superadmin``/``is_accountant`` only appear for callers with admin rights."""

    id: BexioId
    salutation_type: Unused = None
    firstname: Text = None
    lastname: Text = None
    email: Text = None
    is_superadmin: OptBool = None
    is_accountant: Unused = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.firstname, self.lastname) if part)


class UserInfo(BexioModel):
    """OpenID userinfo of the token's user; ``company_id`` identifies the bexio company (tenant)."""

    sub: str
    email: Text = None
    email_verified: Unused = None
    given_name: Unused = None
    family_name: Unused = None
    gender: Unused = None
    locale: Text = None
    company_id: Text = None
    company_name: Text = None
    company_user_id: OptInt = None
    shard_id: Unused = None


# --- contacts -------------------------------------------------------------------------------------


class ContactType(IntEnum):
    COMPANY = 1
    PERSON = 2


class Contact(NamedRecord):
    """``/2.0/contact``. ``contact_group_ids`` stays bexio's comma string; use ``group_id_set``."""

    STAND_IN: ClassVar[str] = "Kontakt"
    NAME_FIELD: ClassVar[str] = "name_1"

    id: BexioId
    nr: Text = None
    contact_type_id: int
    name_1: Name
    name_2: Text = None
    salutation_id: Unused = None
    salutation_form: Unused = None
    title_id: Unused = None
    birthday: Unused = None
    address: Unused = None
    street_name: Text = None
    house_number: Text = None
    address_addition: Text = None
    postcode: Text = None
    city: Text = None
    country_id: OptInt = None
    mail: Text = None
    mail_second: Unused = None
    phone_fixed: Unused = None
    phone_fixed_second: Unused = None
    phone_mobile: Unused = None
    fax: Unused = None
    url: Text = None
    skype_name: Unused = None
    remarks: Unused = None
    language_id: OptInt = None
    is_lead: Unused = None
    contact_group_ids: Text = None
    contact_branch_ids: Text = None
    user_id: OptInt = None
    owner_id: Unused = None
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


class ContactGroup(NamedRecord):
    """``/2.0/contact_group``: what the bexio UI calls a contact "category"."""

    STAND_IN: ClassVar[str] = "Kategorie"

    id: BexioId
    name: Name


class ContactSector(NamedRecord):
    """``/2.0/contact_branch``: industries ("Branchen")."""

    STAND_IN: ClassVar[str] = "Branche"

    id: BexioId
    name: Name


# --- projects -------------------------------------------------------------------------------------


class ProjectInvoiceType(IntEnum):
    HOURLY_RATE_PER_ACTIVITY = 1
    HOURLY_RATE_PER_EMPLOYEE = 2
    HOURLY_RATE_PER_PROJECT = 3
    FIXED_PRICE = 4


class Project(NamedRecord):
    """``/2.0/pr_project``. No ``updated_at``: changes are found by re-reading."""

    STAND_IN: ClassVar[str] = "Projekt"

    id: BexioId
    uuid: Text = None
    nr: Text = None
    name: Name
    start_date: OptDate = None
    end_date: OptDate = None
    comment: Unused = None
    pr_state_id: OptInt = None
    pr_project_type_id: OptInt = None
    contact_id: OptInt = None
    contact_sub_id: Unused = None
    pr_invoice_type_id: OptInt = None
    pr_invoice_type_amount: OptMoney = None
    pr_budget_type_id: Unused = None
    pr_budget_type_amount: Unused = None
    user_id: OptInt = None


class ProjectState(NamedRecord):
    STAND_IN: ClassVar[str] = "Status"

    id: BexioId
    name: Name


class ProjectType(NamedRecord):
    STAND_IN: ClassVar[str] = "Projektart"

    id: BexioId
    name: Name


# --- business activities and timesheets -----------------------------------------------------------


class BusinessActivity(NamedRecord):
    """``/2.0/client_service``. ``default_price_per_hour`` is a JSON number in bexio, read as Decimal."""

    STAND_IN: ClassVar[str] = "Tätigkeit"

    id: BexioId
    name: Name
    default_is_billable: OptBool = None
    default_price_per_hour: OptMoney = None
    account_id: OptInt = None


class TimesheetStatus(NamedRecord):
    STAND_IN: ClassVar[str] = "Status"

    id: BexioId
    name: Name


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

    id: BexioId
    user_id: int
    status_id: OptInt = None
    client_service_id: OptInt = None
    text: Text = None
    allowable_bill: OptBool = None
    charge: Unused = None
    contact_id: OptInt = None
    sub_contact_id: Unused = None
    pr_project_id: OptInt = None
    pr_package_id: Unused = None
    pr_milestone_id: Unused = None
    travel_time: Unused = None
    travel_charge: Unused = None
    travel_distance: Unused = None
    estimated_time: Unused = None
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


class Account(NamedRecord):
    """``/2.0/accounts``. The docs say ``account_group_id``; real answers say ``fibu_account_group_id``."""

    STAND_IN: ClassVar[str] = "Konto"

    id: BexioId
    uuid: Text = None
    account_no: Name
    name: Name
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


class AccountGroup(NamedRecord):
    STAND_IN: ClassVar[str] = "Kontogruppe"

    id: BexioId
    uuid: Text = None
    account_no: Text = None
    name: Name
    parent_fibu_account_group_id: OptInt = None
    is_active: OptBool = None
    is_locked: OptBool = None


class Tax(BexioModel):
    """``/3.0/taxes``. ``value`` is the rate in percent (8.1), a JSON number read as Decimal.

    The validity is given as year/month pairs; ``None`` means open-ended.
    """

    id: BexioId
    uuid: Text = None
    name: Text = None
    code: Text = None
    digit: Unused = None
    type: Text = None
    account_id: OptInt = None
    tax_settlement_type: Unused = None
    value: Money
    net_tax_value: Unused = None
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


class Unit(NamedRecord):
    STAND_IN: ClassVar[str] = "Einheit"

    id: BexioId
    name: Name


class Currency(BexioModel):
    """``/3.0/currencies``; ``round_factor`` is the cash rounding step (CHF 0.05)."""

    id: BexioId
    name: Name
    round_factor: Money


class Language(NamedRecord):
    STAND_IN: ClassVar[str] = "Sprache"

    id: BexioId
    name: Name
    decimal_point: Unused = None
    thousands_separator: Unused = None
    date_format_id: Unused = None
    date_format: Unused = None
    iso_639_1: Text = None


class PaymentType(NamedRecord):
    STAND_IN: ClassVar[str] = "Zahlungsart"

    id: BexioId
    name: Name


class BankAccount(NamedRecord):
    """``/3.0/banking/accounts``; ``invoice_mode`` is ``"none"`` or ``"qr_invoice"``."""

    STAND_IN: ClassVar[str] = "Bankkonto"

    id: BexioId
    uuid: Text = None
    name: Name
    owner: Unused = None
    owner_address: Unused = None
    owner_house_number: Unused = None
    owner_zip: Unused = None
    owner_city: Unused = None
    owner_country_code: Unused = None
    bc_nr: Unused = None
    bank_name: Unused = None
    bank_nr: Unused = None
    bank_account_nr: Unused = None
    iban_nr: Unused = None
    currency_id: Unused = None
    account_id: OptInt = None
    remarks: Unused = None
    is_esr: Unused = None
    invoice_mode: Unused = None
    qr_invoice_iban: Unused = None
    type: Text = None


class CompanyProfile(NamedRecord):
    STAND_IN: ClassVar[str] = "Firma"

    id: BexioId
    name: Name
    address: Text = None
    address_nr: Unused = None
    postcode: Text = None
    city: Text = None
    country_id: OptInt = None
    country_name: Unused = None
    legal_form: Unused = None
    mail: Text = None
    phone_fixed: Unused = None
    phone_mobile: Unused = None
    fax: Unused = None
    url: Text = None
    ust_id_nr: Text = None
    mwst_nr: Text = None
    trade_register_nr: Unused = None
    has_own_logo: Unused = None


class DocumentSetting(BexioModel):
    """``/2.0/kb_item_setting``: numbering and defaults per document class (``KbInvoice`` …)."""

    id: BexioId
    text: Text = None
    kb_item_class: Name
    enumeration_format: Text = None
    use_automatic_enumeration: bool
    use_yearly_enumeration: Unused = None
    next_nr: OptInt = None
    nr_min_length: OptInt = None
    default_time_period_in_days: Unused = None
    default_logopaper_id: Unused = None
    default_language_id: Unused = None
    default_client_bank_account_new_id: Unused = None
    default_currency_id: OptInt = None
    default_mwst_type: OptInt = None
    default_mwst_is_net: OptBool = None
    default_nb_decimals_amount: Unused = None
    default_nb_decimals_price: Unused = None
    default_show_position_taxes: Unused = None
    default_title: Unused = None
    default_show_esr_on_same_page: Unused = None
    default_payment_type_id: Unused = None
    kb_terms_of_payment_template_id: Unused = None
    default_show_total: Unused = None


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
    id: BexioId
    internal_pos: Unused = None
    parent_id: Unused = None
    is_optional: Unused = None


class _PricedPosition(_Position):
    amount: OptMoney = None
    amount_reserved: Unused = None
    amount_open: Unused = None
    amount_completed: Unused = None
    unit_id: OptInt = None
    unit_name: Text = None
    account_id: OptInt = None
    tax_id: OptInt = None
    tax_value: Unused = None
    text: Text = None
    unit_price: OptMoney = None
    discount_in_percent: OptMoney = None
    position_total: OptMoney = None
    pos: Text = None


class KbPositionCustom(_PricedPosition):
    type: Literal["KbPositionCustom"]


class KbPositionArticle(_PricedPosition):
    type: Literal["KbPositionArticle"]
    article_id: Unused = None


class KbPositionText(_Position):
    type: Literal["KbPositionText"]
    text: Text = None
    show_pos_nr: Unused = None
    pos: Text = None


class KbPositionSubtotal(_Position):
    type: Literal["KbPositionSubtotal"]
    text: Text = None
    value: OptMoney = None


class KbPositionDiscount(_Position):
    type: Literal["KbPositionDiscount"]
    text: Text = None
    is_percentual: Unused = None
    value: OptMoney = None
    discount_total: Unused = None


class KbPositionPagebreak(_Position):
    type: Literal["KbPositionPagebreak"]
    pagebreak: Unused = None


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

    id: BexioId
    document_nr: Text = None
    title: Text = None
    contact_id: OptInt = None
    contact_sub_id: Unused = None
    user_id: OptInt = None
    project_id: OptInt = Field(default=None, validation_alias=AliasChoices("project_id", "pr_project_id"))
    logopaper_id: Unused = None
    language_id: Unused = None
    bank_account_id: Unused = None
    currency_id: Unused = None
    payment_type_id: Unused = None
    header: Text = None
    footer: Unused = None
    total_gross: Unused = None
    total_net: OptMoney = None
    total_taxes: OptMoney = None
    total_received_payments: Unused = None
    total_credit_vouchers: Unused = None
    total_remaining_payments: Unused = None
    total: OptMoney = None
    total_rounding_difference: Unused = None
    mwst_type: Unused = None
    mwst_is_net: Unused = None
    show_position_taxes: Unused = None
    is_valid_from: OptDate = None
    is_valid_to: OptDate = None
    contact_address: Unused = None
    kb_item_status_id: OptInt = None
    reference: Text = None
    api_reference: Text = None
    viewed_by_client_at: Unused = None
    updated_at: LocalDateTime = None
    esr_id: Unused = None
    qr_invoice_id: Unused = None
    template_slug: Unused = None
    taxs: tuple[InvoiceTax, ...] = ()
    positions: tuple[InvoicePosition, ...] | None = None
    network_link: Unused = None

    @property
    def is_draft(self) -> bool:
        return self.kb_item_status_id == InvoiceStatus.DRAFT


class InvoicePdf(BexioModel):
    """The PDF bexio returns as JSON with base64 ``content``."""

    name: Name
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
