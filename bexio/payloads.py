"""Typed bodies for the writes bxhours makes.

bexio rejects unknown and read-only fields with a 422, so each payload lists exactly the writable
fields (``extra="forbid"`` catches a typo before bexio does). Money is serialised as a decimal
string with at most six decimals, except where bexio wants a JSON number.

Two serialisation rules, on purpose:

* a *create* leaves out every field that is ``None``: bexio fills its own defaults (document
  settings, header and footer texts), and sending ``null`` would override them;
* an *edit* sends exactly the fields the caller set, so a caller can clear a field by setting it
  to ``None`` and leave the others untouched.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from bexio.fields import BexioDateTime, DecimalNumber, DecimalString, DurationString


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreatePayload(_Payload):
    def to_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class EditPayload(_Payload):
    def to_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


# --- contacts -------------------------------------------------------------------------------------


class _ContactFields(_Payload):
    nr: str | None = None
    name_2: str | None = None
    salutation_id: int | None = None
    salutation_form: int | None = None
    title_id: int | None = None
    birthday: date | None = None
    street_name: str | None = None
    house_number: str | None = None
    address_addition: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_id: int | None = None
    mail: str | None = None
    mail_second: str | None = None
    phone_fixed: str | None = None
    phone_fixed_second: str | None = None
    phone_mobile: str | None = None
    fax: str | None = None
    url: str | None = None
    skype_name: str | None = None
    remarks: str | None = None
    language_id: int | None = None
    contact_group_ids: frozenset[int] | None = None
    contact_branch_ids: frozenset[int] | None = None

    @field_serializer("contact_group_ids", "contact_branch_ids")
    def _comma_string(self, ids: frozenset[int] | None) -> str | None:
        # bexio stores and expects these as a comma-separated string.
        return None if ids is None else ",".join(str(i) for i in sorted(ids))


class ContactCreate(_ContactFields, CreatePayload):
    """``POST /2.0/contact``. ``nr`` left out ⇒ bexio numbers the contact."""

    contact_type_id: Literal[1, 2]
    name_1: str = Field(min_length=1)
    user_id: int
    owner_id: int


class ContactEdit(_ContactFields, EditPayload):
    """``POST /2.0/contact/{id}``: only the fields you set are sent."""

    contact_type_id: Literal[1, 2] | None = None
    name_1: str | None = None
    user_id: int | None = None
    owner_id: int | None = None


# --- projects and activities ----------------------------------------------------------------------


class ProjectCreate(CreatePayload):
    """``POST /2.0/pr_project``. ``document_nr`` only when bexio's automatic numbering is off."""

    name: str = Field(min_length=1)
    contact_id: int
    user_id: int
    pr_state_id: int
    pr_project_type_id: int
    contact_sub_id: int | None = None
    start_date: BexioDateTime | None = None
    end_date: BexioDateTime | None = None
    comment: str | None = None
    pr_invoice_type_id: Literal[1, 2, 3, 4] | None = None
    pr_invoice_type_amount: DecimalString | None = None
    pr_budget_type_id: Literal[1, 2, 3, 4] | None = None
    pr_budget_type_amount: DecimalString | None = None
    document_nr: str | None = None


class BusinessActivityCreate(CreatePayload):
    """``POST /2.0/client_service``; bexio wants ``default_price_per_hour`` as a JSON number."""

    name: str = Field(min_length=1)
    default_is_billable: bool | None = None
    default_price_per_hour: DecimalNumber | None = None
    account_id: int | None = None


# --- timesheets -----------------------------------------------------------------------------------


class DurationTrackingIn(_Payload):
    """Hours worked on a day: ``duration`` in whole minutes, sent as ``"HH:MM"``."""

    type: Literal["duration"] = "duration"
    date: date
    duration: DurationString = Field(ge=0)


class RangeTrackingIn(_Payload):
    """Work from ``start`` to ``end`` (aware datetimes, sent as Swiss local time)."""

    type: Literal["range"] = "range"
    start: BexioDateTime
    end: BexioDateTime


TrackingIn = Annotated[DurationTrackingIn | RangeTrackingIn, Field(discriminator="type")]


class _TimesheetFields(_Payload):
    status_id: int | None = None
    text: str | None = None
    charge: DecimalString | None = None
    contact_id: int | None = None
    sub_contact_id: int | None = None
    pr_project_id: int | None = None
    pr_package_id: int | None = None
    pr_milestone_id: int | None = None
    estimated_time: DurationString | None = None


class TimesheetCreate(_TimesheetFields, CreatePayload):
    """``POST /2.0/timesheet``."""

    user_id: int
    client_service_id: int
    allowable_bill: bool
    tracking: TrackingIn


class TimesheetEdit(_TimesheetFields, EditPayload):
    """``POST /2.0/timesheet/{id}``.

    bexio's edit form (operation v2EditTimesheet) requires ``user_id``, ``client_service_id``,
    ``allowable_bill`` and ``tracking`` just like a create, so they are required here too and
    always sent — take them from the timesheet being edited when they do not change. Of the
    other fields only those you set are sent (set one to ``None`` to clear it).
    """

    user_id: int
    client_service_id: int
    allowable_bill: bool
    tracking: TrackingIn

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        # ``exclude_unset`` would drop the tracking's ``type`` (a default), bexio needs it.
        body["tracking"] = self.tracking.model_dump(mode="json")
        return body


# --- invoices -------------------------------------------------------------------------------------


class KbPositionCustomCreate(_Payload):
    """A free position: ``amount`` × ``unit_price`` on an income account with an active sales tax."""

    type: Literal["KbPositionCustom"] = "KbPositionCustom"
    amount: DecimalString
    unit_price: DecimalString
    text: str
    unit_id: int | None = None
    account_id: int | None = None
    tax_id: int | None = None
    discount_in_percent: DecimalString | None = None


class KbPositionArticleCreate(_Payload):
    type: Literal["KbPositionArticle"] = "KbPositionArticle"
    article_id: int
    amount: DecimalString
    unit_price: DecimalString | None = None
    text: str | None = None
    unit_id: int | None = None
    account_id: int | None = None
    tax_id: int | None = None
    discount_in_percent: DecimalString | None = None


class KbPositionTextCreate(_Payload):
    type: Literal["KbPositionText"] = "KbPositionText"
    text: str
    show_pos_nr: bool | None = None


class KbPositionSubtotalCreate(_Payload):
    type: Literal["KbPositionSubtotal"] = "KbPositionSubtotal"
    text: str


class KbPositionDiscountCreate(_Payload):
    type: Literal["KbPositionDiscount"] = "KbPositionDiscount"
    text: str
    is_percentual: bool
    value: DecimalString


class KbPositionPagebreakCreate(_Payload):
    type: Literal["KbPositionPagebreak"] = "KbPositionPagebreak"
    pagebreak: bool = True


PositionCreate = Annotated[
    KbPositionCustomCreate
    | KbPositionArticleCreate
    | KbPositionTextCreate
    | KbPositionSubtotalCreate
    | KbPositionDiscountCreate
    | KbPositionPagebreakCreate,
    Field(discriminator="type"),
]


class _InvoiceFields(_Payload):
    title: str | None = None
    contact_sub_id: int | None = None
    pr_project_id: int | None = None
    language_id: int | None = None
    bank_account_id: int | None = None
    currency_id: int | None = None
    payment_type_id: int | None = None
    header: str | None = None
    footer: str | None = None
    mwst_type: Literal[0, 1, 2] | None = None
    mwst_is_net: bool | None = None
    show_position_taxes: bool | None = None
    is_valid_from: date | None = None
    is_valid_to: date | None = None
    contact_address_manual: str | None = None
    reference: str | None = None
    api_reference: str | None = None
    template_slug: str | None = None


class InvoiceCreate(_InvoiceFields, CreatePayload):
    """``POST /2.0/kb_invoice``. bexio recommends at most 150 positions per create.

    Put a stable key in ``api_reference`` so a create that ended in ``BexioWriteUncertain`` can be
    found again by search. ``document_nr`` only when automatic numbering is off.
    """

    contact_id: int
    user_id: int
    positions: tuple[PositionCreate, ...] = ()
    document_nr: str | None = None


class InvoiceEdit(_InvoiceFields, EditPayload):
    """``POST /2.0/kb_invoice/{id}``: bexio takes no positions here (they have their own routes)."""

    contact_id: int | None = None
    user_id: int | None = None
