"""The "+ New customer" form (admins): a customer bexio does not know yet, and optionally its first
project. bxhours creates the bexio contact when the customer is first invoiced."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from bot.views.blocks import Block, context, modal, option, plain, section, text_input
from bot.views.payload import record_id
from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, normalise_language
from core.money import AmountError, parse_amount
from core.rates import InvoiceType
from services.invoicing.customers import NewCustomer

CALLBACK_ID = "new_customer"
OPEN_ACTION = "home_new_customer"
VALUE = "value"
KIND_BLOCK = "customer_kind"
NAME_BLOCK = "customer_name"
FIRST_NAME_BLOCK = "customer_first_name"
EMAIL_BLOCK = "customer_email"
STREET_BLOCK = "customer_street"
HOUSE_NUMBER_BLOCK = "customer_house_number"
POSTCODE_BLOCK = "customer_postcode"
CITY_BLOCK = "customer_city"
PROJECT_BLOCK = "project_name"
PROJECT_TYPE_BLOCK = "project_invoice_type"
PROJECT_AMOUNT_BLOCK = "project_amount"
LANGUAGE_BLOCK = "customer_language"
FIELD_BLOCKS = {
    "name": NAME_BLOCK,
    "email": EMAIL_BLOCK,
    "project_name": PROJECT_BLOCK,
    "project_amount": PROJECT_AMOUNT_BLOCK,
}
COMPANY, PERSON = "company", "person"
INVOICE_TYPES = {
    InvoiceType.PER_ACTIVITY: N_("Hourly rate per activity"),
    InvoiceType.PER_EMPLOYEE: N_("Hourly rate per person"),
    InvoiceType.PER_PROJECT: N_("Hourly rate of the project"),
    InvoiceType.FIXED_PRICE: N_("Fixed price"),
}


def build(parent_view_id: str | None = None, language: str | None = None) -> dict[str, Any]:
    """The form; ``language`` (the workspace's) is the customer's language it proposes."""
    kinds = [option(_("Company"), COMPANY), option(_("Person"), PERSON)]
    types = [option(_(label), str(int(kind))) for kind, label in INVOICE_TYPES.items()]
    languages = [option(LANGUAGE_NAMES[code], code) for code in LANGUAGES]
    proposed = normalise_language(language) or LANGUAGES[0]
    blocks: list[Block] = [
        section(
            _("A customer that is not in bexio yet. bxhours adds it to bexio when it is first invoiced.")
        ),
        {
            "type": "input",
            "block_id": KIND_BLOCK,
            "label": plain(_("Kind")),
            "element": {
                "type": "radio_buttons",
                "action_id": VALUE,
                "options": kinds,
                "initial_option": kinds[0],
            },
        },
        text_input(NAME_BLOCK, _("Company name (or last name)")),
        text_input(FIRST_NAME_BLOCK, _("First name (persons)"), optional=True),
        text_input(EMAIL_BLOCK, _("E-mail"), optional=True),
        text_input(STREET_BLOCK, _("Street"), optional=True),
        text_input(HOUSE_NUMBER_BLOCK, _("House number"), optional=True),
        text_input(POSTCODE_BLOCK, _("Postcode"), optional=True),
        text_input(CITY_BLOCK, _("City"), optional=True),
        {
            "type": "input",
            "block_id": LANGUAGE_BLOCK,
            "label": plain(_("Language of its invoices")),
            "hint": plain(_("bexio writes the customer's documents in this language.")),
            "element": {
                "type": "static_select",
                "action_id": VALUE,
                "options": languages,
                "initial_option": languages[LANGUAGES.index(proposed)],
            },
        },
        context(_("Optionally its first project, so hours can be logged on it right away:")),
        text_input(PROJECT_BLOCK, _("Project"), optional=True),
        {
            "type": "input",
            "block_id": PROJECT_TYPE_BLOCK,
            "label": plain(_("Billed by")),
            "optional": True,
            "element": {
                "type": "static_select",
                "action_id": VALUE,
                "options": types,
                "initial_option": types[0],
            },
        },
        text_input(
            PROJECT_AMOUNT_BLOCK,
            _("Project rate or fixed price (CHF)"),
            optional=True,
            hint=_("Only for projects billed at the project's rate or at a fixed price."),
        ),
    ]
    view = modal(_("New customer"), blocks, callback_id=CALLBACK_ID, submit=_("Create"))
    view["private_metadata"] = json.dumps({"parent": parent_view_id})
    return view


def parent_of(view: dict[str, Any]) -> str | None:
    try:
        parent = json.loads(view.get("private_metadata") or "{}").get("parent")
    except (ValueError, AttributeError):
        return None
    return parent if isinstance(parent, str) else None


def read(values: dict[str, Any]) -> tuple[NewCustomer | None, dict[str, str]]:
    """The typed customer, or the field errors that can be seen without the database."""

    def text(block: str) -> str | None:
        raw = (values.get(block, {}).get(VALUE) or {}).get("value")
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    def selected(block: str) -> str | None:
        chosen = (values.get(block, {}).get(VALUE) or {}).get("selected_option") or {}
        return chosen.get("value")

    errors: dict[str, str] = {}
    amount: Decimal | None = None
    raw_amount = text(PROJECT_AMOUNT_BLOCK)
    if raw_amount is not None:
        try:
            amount = parse_amount(raw_amount)
        except AmountError as exc:
            errors[PROJECT_AMOUNT_BLOCK] = exc.message
    invoice_type = InvoiceType.PER_ACTIVITY
    chosen_type = record_id(selected(PROJECT_TYPE_BLOCK))
    if chosen_type is not None and chosen_type in {int(kind) for kind in INVOICE_TYPES}:
        invoice_type = InvoiceType(chosen_type)
    elif selected(PROJECT_TYPE_BLOCK):
        errors[PROJECT_TYPE_BLOCK] = _("Pick how the project is billed.")
    language = selected(LANGUAGE_BLOCK)
    if language is not None and language not in LANGUAGES:  # the payload is the sender's
        errors[LANGUAGE_BLOCK] = _("Pick the language of the customer's invoices.")
    if errors:
        return None, errors
    return (
        NewCustomer(
            name=text(NAME_BLOCK) or "",
            is_person=selected(KIND_BLOCK) == PERSON,
            first_name=text(FIRST_NAME_BLOCK),
            email=text(EMAIL_BLOCK),
            street_name=text(STREET_BLOCK),
            house_number=text(HOUSE_NUMBER_BLOCK),
            postcode=text(POSTCODE_BLOCK),
            city=text(CITY_BLOCK),
            project_name=text(PROJECT_BLOCK),
            project_invoice_type=invoice_type,
            project_amount=amount,
            language=language,
        ),
        {},
    )


def created_view(label: str) -> dict[str, Any]:
    return modal(
        _("New customer"),
        [
            section(
                _(
                    ":white_check_mark: {customer} is ready to invoice with `/invoice` — it is added to bexio then.",
                    customer=label,
                )
            )
        ],
        callback_id=CALLBACK_ID,
    )
