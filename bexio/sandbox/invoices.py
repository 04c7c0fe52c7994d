"""Invoices (`/2.0/kb_invoice`): create, read, search, edit, delete, status actions and PDF.

What the recorded invoices show and the sandbox reproduces:

* money is a decimal string whose precision depends on the call — the create answer echoes
  `"100"`, a later GET says `"100.000000"` (totals of taxes and remaining payments always
  have four decimals);
* `pr_project_id` is written, `project_id` read;
* positions come only with a single invoice (create, GET by id, edit, copy), never in lists
  or searches; position ids count per position type;
* `document_nr` follows `kb_item_setting` (`RE-%nummer%`, at least `nr_min_length` digits)
  while automatic numbering is on — and is then refused in a request; when it is off, it is
  required;
* statuses: draft 7 → issue → pending 8 → (revert_issue → 7 | cancel → 19); a payment on an
  issued invoice makes it partially paid 16 or paid 9; payments are listed, read and deleted
  under `/{id}/payment` (documented routes; refusals and status effects UNCONFIRMED);
* edits are POSTs without positions; the PDF is JSON with base64 content.
"""

from __future__ import annotations

import base64
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

from aiohttp import web

from bexio.sandbox.documents import invoice_pdf
from bexio.sandbox.errors import AUTOMATIC_NUMBERING_ON, INVALID, REQUIRED, ApiError, not_found
from bexio.sandbox.forms import Field, Invalid, format_decimal, format_plain, parse_date
from bexio.sandbox.invoice_math import invoice_totals
from bexio.sandbox.invoice_positions import build_positions, check_positions, next_position_id, position_lines
from bexio.sandbox.json_cache import Record
from bexio.sandbox.query import SearchType
from bexio.sandbox.ratelimit import INVOICE_SEARCH_PDF_GROUP
from bexio.sandbox.resources import (
    Listing,
    get_handler,
    get_record,
    json_response,
    list_answer,
    list_handler,
    read_object,
    record_response,
    record_text,
    search_handler,
    success,
    text_response,
    validate,
    without,
)
from bexio.sandbox.routing import Handler, Routes, record_id, state_of
from bexio.sandbox.state import SandboxState

DRAFT: Final = 7
PENDING: Final = 8
PAID: Final = 9
PARTIALLY_PAID: Final = 16
CANCELLED: Final = 19
UNPAID: Final = 31

HEADER_FIELDS: Final = (
    Field("title", "str", max_length=255),
    Field("document_nr", "str", max_length=255),
    Field("contact_id", "int", required=True, nullable=False, ref="contact"),
    Field("contact_sub_id", "int", ref="contact"),
    Field("user_id", "int", required=True, nullable=False, ref="user"),
    Field("pr_project_id", "int", ref="pr_project"),
    Field("logopaper_id", "int"),
    Field("language_id", "int", ref="language"),
    Field("bank_account_id", "int", ref="bank_account"),
    Field("currency_id", "int", ref="currency"),
    Field("payment_type_id", "int", ref="payment_type"),
    Field("header", "str"),
    Field("footer", "str"),
    Field("mwst_type", "int", nullable=False, choices=(0, 1, 2)),
    Field("mwst_is_net", "bool", nullable=False),
    Field("show_position_taxes", "bool", nullable=False),
    Field("is_valid_from", "date"),
    Field("is_valid_to", "date"),
    Field("contact_address_manual", "str"),
    Field("reference", "str"),
    Field("api_reference", "str", max_length=255),
    Field("template_slug", "str"),
)
CREATE_FIELDS: Final = (*HEADER_FIELDS, Field("positions", "list"))
READ_ONLY: Final = (
    "id",
    "project_id",
    "total_gross",
    "total_net",
    "total_taxes",
    "total_received_payments",
    "total_credit_vouchers",
    "total_remaining_payments",
    "total",
    "total_rounding_difference",
    "contact_address",
    "kb_item_status_id",
    "viewed_by_client_at",
    "updated_at",
    "esr_id",
    "qr_invoice_id",
    "taxs",
    "network_link",
)

SEARCHABLE: Final[dict[str, SearchType]] = {
    "id": "int",
    "kb_item_status_id": "int",
    "document_nr": "str",
    "title": "str",
    "api_reference": "str",
    "contact_id": "int",
    "contact_sub_id": "int",
    "user_id": "int",
    "currency_id": "int",
    "total_gross": "decimal",
    "total_net": "decimal",
    "total": "decimal",
    "is_valid_from": "str",
    "is_valid_to": "str",
    "updated_at": "str",
}
INVOICES = Listing(
    "kb_invoice",
    order_fields=("id", "total", "total_net", "total_gross", "updated_at"),
    searchable=SEARCHABLE,
    list_view=without("positions"),
)

# -- header ------------------------------------------------------------------------------


def contact_address(state: SandboxState, contact_id: int | None) -> str:
    contact = state.tables["contact"].get(contact_id or 0)
    if contact is None:
        return ""
    if contact.get("contact_type_id") == 2:
        name = " ".join(part for part in (contact.get("name_2"), contact.get("name_1")) if part)
        lines = [name]
    else:
        lines = [contact.get("name_1") or "", contact.get("name_2") or ""]
    lines.append(contact.get("address") or "")
    # str(): a test may store a postcode as bexio's samples show it, an integer.
    lines.append(" ".join(str(part) for part in (contact.get("postcode"), contact.get("city")) if part))
    country = state.tables["country"].get(contact.get("country_id") or 0)
    if country is not None:
        lines.append(country["name"])
    return "\n".join(line for line in lines if line)


def _default_header(state: SandboxState, contact_id: int) -> str:
    contact = state.tables["contact"].get(contact_id) or {}
    greeting = f"Guten Tag {contact.get('name_1', '')}"
    return f"{greeting}<br/><br/>Danke für Ihr Vertrauen. Ihre Rechnung setzt sich wie folgt zusammen:"


def _default_footer(state: SandboxState, user_id: int) -> str:
    user = state.tables["user"].get(user_id) or {}
    name = " ".join(part for part in (user.get("firstname"), user.get("lastname")) if part)
    return f"Sie haben Fragen? Melden Sie sich bei uns.<br/><br/>Freundliche Grüsse<br/>{name}"


def _numbering_errors(state: SandboxState, body: dict[str, Any], *, creating: bool) -> list[str]:
    automatic = bool(state.invoice_setting().get("use_automatic_enumeration"))
    sent = body.get("document_nr") not in (None, "")
    if automatic and sent:
        return [f"document_nr: {AUTOMATIC_NUMBERING_ON}"]
    if not automatic and creating and not sent:
        return [f"document_nr: {REQUIRED}"]
    return []


def next_document_nr(state: SandboxState) -> str:
    setting = state.invoice_setting()
    number = max(int(setting.get("next_nr") or 1), state.counters.get("KbInvoice", 0) + 1)
    state.counters["KbInvoice"] = number
    digits = str(number).zfill(int(setting.get("nr_min_length") or 0))
    return str(setting.get("enumeration_format") or "%nummer%").replace("%nummer%", digits)


def _date_errors(values: dict[str, Any]) -> list[str]:
    """A due date before the invoice date; malformed dates are left to the form check."""
    try:
        start, end = parse_date(values.get("is_valid_from")), parse_date(values.get("is_valid_to"))
    except Invalid:
        return []
    return [f"is_valid_to: {INVALID}"] if end < start else []


def _apply_header(record: Record, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        if name == "positions":
            continue
        if name == "pr_project_id":
            record["project_id"] = value
        elif name == "contact_address_manual":
            if value:
                record["contact_address"] = value
        else:
            record[name] = value


def recompute_totals(state: SandboxState, record: Record) -> None:
    lines, discounts = position_lines(record.get("positions", []))
    currency = state.tables["currency"].get(record.get("currency_id") or 0)
    round_factor = Decimal(str(currency["round_factor"])) if currency else Decimal("0.01")
    totals = invoice_totals(
        lines,
        mwst_type=int(record["mwst_type"]),
        mwst_is_net=bool(record["mwst_is_net"]),
        round_factor=round_factor,
        discounts=discounts,
    )
    received = Decimal(record.get("total_received_payments") or 0)
    difference = float(totals.rounding_difference)
    record.update(
        total_gross=format_decimal(totals.gross, 6),
        total_net=format_decimal(totals.net, 6),
        total_taxes=format_decimal(totals.taxes, 4),
        total_remaining_payments=format_decimal(totals.total - received, 4),
        total=format_decimal(totals.total, 6),
        # A JSON number in bexio's answers (0 in every recording).
        total_rounding_difference=int(difference) if difference == int(difference) else difference,
        taxs=[
            {"percentage": format_decimal(rate, 2), "value": format_decimal(tax, 2)}
            for rate, tax in totals.per_rate
        ],
    )


def new_invoice(state: SandboxState, invoice_id: int, clean: dict[str, Any], document_nr: str) -> Record:
    setting = state.invoice_setting()
    today = state.today()
    valid_from = clean.get("is_valid_from") or today.isoformat()
    period = int(setting.get("default_time_period_in_days") or 14)
    valid_to = (
        clean.get("is_valid_to") or (date.fromisoformat(valid_from) + timedelta(days=period)).isoformat()
    )
    state.counters["esr"] = state.counters.get("esr", 0) + 1
    contact_id = clean["contact_id"]
    record: Record = {
        "id": invoice_id,
        "document_nr": document_nr,
        "title": None,
        "contact_id": contact_id,
        "contact_sub_id": None,
        "user_id": clean["user_id"],
        "project_id": None,
        "logopaper_id": int(setting.get("default_logopaper_id") or 1),
        "language_id": setting.get("default_language_id"),
        "bank_account_id": setting.get("default_client_bank_account_new_id"),
        "currency_id": setting.get("default_currency_id"),
        "payment_type_id": setting.get("default_payment_type_id") or 1,
        "header": _default_header(state, contact_id),
        "footer": _default_footer(state, clean["user_id"]),
        "total_gross": "0.000000",
        "total_net": "0.000000",
        "total_taxes": "0.0000",
        "total_received_payments": "0.000000",
        "total_credit_vouchers": "0.000000",
        "total_remaining_payments": "0.0000",
        "total": "0.000000",
        "total_rounding_difference": 0,
        "mwst_type": setting.get("default_mwst_type", 0),
        "mwst_is_net": setting.get("default_mwst_is_net", True),
        "show_position_taxes": setting.get("default_show_position_taxes", False),
        "is_valid_from": valid_from,
        "is_valid_to": valid_to,
        "contact_address": contact_address(state, contact_id),
        "kb_item_status_id": DRAFT,
        "reference": "",
        "api_reference": None,
        "viewed_by_client_at": None,
        "updated_at": state.local_timestamp(),
        "esr_id": state.counters["esr"],
        "qr_invoice_id": state.counters["esr"],
        "template_slug": "",
        "taxs": [],
        "positions": [],
        "network_link": "",
    }
    for name in ("header", "footer"):
        if clean.get(name) is None:
            clean.pop(name, None)
    _apply_header(record, clean)
    record["is_valid_from"], record["is_valid_to"] = valid_from, valid_to
    return record


AnswerStyle = Literal["created", "copied", "edited"]


def answer_view(record: Record, style: AnswerStyle, echoes: list[dict[str, Any]] | None = None) -> Record:
    """The precision a write answer uses (see the module docstring)."""
    view = dict(record)
    for name in ("total_gross", "total_net", "total"):
        view[name] = format_plain(Decimal(record[name]))
    if style == "edited":
        return view
    for name in ("total_received_payments", "total_credit_vouchers"):
        view[name] = format_plain(Decimal(record[name]))
    positions = []
    for index, position in enumerate(record.get("positions", [])):
        shown = dict(position)
        if "position_total" in shown:
            shown["position_total"] = format_plain(Decimal(position["position_total"]))
            shown.update(amount_reserved=None, amount_open=None, amount_completed=None)
            if style == "created" and echoes:
                shown.update(echoes[index])
        positions.append(shown)
    view["positions"] = positions
    return view


# -- handlers ----------------------------------------------------------------------------


async def create_invoice(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await read_object(request)
    errors = _numbering_errors(state, body, creating=True) + _date_errors(body)
    raw_positions = body.get("positions")
    parsed, position_errors = check_positions(state, raw_positions if isinstance(raw_positions, list) else [])
    # One answer lists header and position problems together, as bexio's form does.
    clean = validate(
        state, body, CREATE_FIELDS, read_only=READ_ONLY, creating=True, extra_errors=errors + position_errors
    )
    built = build_positions(state, parsed)
    document_nr = clean.pop("document_nr", None) or next_document_nr(state)
    record = new_invoice(state, state.new_id("kb_invoice"), clean, document_nr)
    record["positions"] = built.stored
    recompute_totals(state, record)
    state.tables["kb_invoice"][record["id"]] = record
    return record_response(state, "kb_invoice", answer_view(record, "created", built.echoes), status=201)


async def edit_invoice(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "kb_invoice", record_id(request))
    body = await read_object(request)
    merged = {"is_valid_from": record["is_valid_from"], "is_valid_to": record["is_valid_to"], **body}
    errors = _numbering_errors(state, body, creating=False) + _date_errors(merged)
    # Positions are not part of the edit form: bexio edits them through position endpoints.
    clean = validate(
        state, body, HEADER_FIELDS, read_only=(*READ_ONLY, "positions"), creating=False, extra_errors=errors
    )
    _apply_header(record, clean)
    if "contact_id" in clean and "contact_address_manual" not in clean:
        record["contact_address"] = contact_address(state, clean["contact_id"])
    recompute_totals(state, record)
    state.touch("kb_invoice", record["id"])
    return record_response(state, "kb_invoice", answer_view(record, "edited"))


async def delete_invoice(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    rid = record_id(request)
    get_record(state, "kb_invoice", rid)
    del state.tables["kb_invoice"][rid]
    for payment in _invoice_payments(state, rid):
        del state.tables["kb_invoice_payment"][payment["id"]]
    return success()


def _transition(allowed_from: tuple[int, ...], to: int, refusal: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        record = get_record(state, "kb_invoice", record_id(request))
        if record["kb_item_status_id"] not in allowed_from:
            raise ApiError(422, refusal)
        record["kb_item_status_id"] = to
        state.touch("kb_invoice", record["id"])
        return success()

    return handle


PAYMENT_FIELDS: Final = (
    Field("value", "decimal", required=True, nullable=False),
    # UNCONFIRMED: bexio's description makes only `value` required; which day a payment
    # without `date` is booked on is not documented — the sandbox takes the company's today.
    Field("date", "date"),
    Field("bank_account_id", "int", ref="bank_account"),
    # UNCONFIRMED which ids exist: bexio's description says 1 PayPal, 2 Stripe, 3 SIX Payments
    # in its text and 0/1/2 in its enum; the sandbox accepts all four.
    Field("payment_service_id", "int", choices=(0, 1, 2, 3)),
)
#: Fields of a payment bexio answers with but does not take (v2CreateInvoicePayment).
PAYMENT_READ_ONLY: Final = (
    "id",
    "title",
    "is_client_account_redemption",
    "is_cash_discount",
    "kb_invoice_id",
    "kb_credit_voucher_id",
    "kb_bill_id",
    "kb_credit_voucher_text",
)
#: The title bexio gives a payment received on an invoice (a German account's answer).
PAYMENT_TITLE: Final = "Zahlungseingang"
PAYABLE: Final = (PENDING, PARTIALLY_PAID, UNPAID)
PAYMENTS = Listing("kb_invoice_payment")


def new_payment(payment_id: int, invoice_id: int, day: str, value: Decimal, clean: dict[str, Any]) -> Record:
    """A payment with the 12 fields bexio answers with (v2CreateInvoicePayment)."""
    return {
        "id": payment_id,
        "date": day,
        "value": format_decimal(value, 6),
        "bank_account_id": clean.get("bank_account_id"),
        "title": PAYMENT_TITLE,
        "payment_service_id": clean.get("payment_service_id"),
        "is_client_account_redemption": False,
        "is_cash_discount": False,
        "kb_invoice_id": invoice_id,
        "kb_credit_voucher_id": None,
        "kb_bill_id": None,
        "kb_credit_voucher_text": "",
    }


def _invoice_payments(state: SandboxState, invoice_id: int) -> list[Record]:
    return [p for p in state.tables["kb_invoice_payment"].values() if p["kb_invoice_id"] == invoice_id]


def _book_payments(state: SandboxState, record: Record, received: Decimal) -> None:
    """Received money changes the invoice: totals, and partially paid (16) or paid (9)."""
    remaining = Decimal(record["total"]) - received
    record["total_received_payments"] = format_decimal(received, 6)
    record["total_remaining_payments"] = format_decimal(max(remaining, Decimal(0)), 4)
    if remaining <= 0:
        record["kb_item_status_id"] = PAID
    elif received > 0:
        record["kb_item_status_id"] = PARTIALLY_PAID
    else:
        record["kb_item_status_id"] = PENDING
    state.touch("kb_invoice", record["id"])


async def add_payment(request: web.Request) -> web.StreamResponse:
    """``POST /2.0/kb_invoice/{id}/payment``: record a received payment.

    bexio's description (v2CreateInvoicePayment) takes `value` (required), `date`,
    `bank_account_id` and `payment_service_id`, and answers the 12 fields of `new_payment`;
    a real integration's logged answer echoed `"value":"27.2"` for a sent `"27.20"`, so the
    answer echoes the value without trailing zeros while a later GET shows six decimals
    (UNCONFIRMED, as invoices do). Refusals — an invoice that is not issued, a non-positive
    value — are UNCONFIRMED in wording. Only issued invoices (8, 16, 31) take payments; the
    invoice then counts as partially paid (16) until the payments reach its total, then as
    paid (9).
    """
    state = state_of(request)
    record = get_record(state, "kb_invoice", record_id(request))
    clean = validate(
        state, await read_object(request), PAYMENT_FIELDS, read_only=PAYMENT_READ_ONLY, creating=True
    )
    value: Decimal = clean["value"]
    if value <= 0:
        raise ApiError(422, f"value: {INVALID}")
    if record["kb_item_status_id"] not in PAYABLE:
        raise ApiError(422, "Only issued invoices can take payments.")
    day = clean.get("date") or state.today().isoformat()
    payment = new_payment(state.new_id("kb_invoice_payment"), record["id"], day, value, clean)
    state.tables["kb_invoice_payment"][payment["id"]] = payment
    _book_payments(state, record, Decimal(record.get("total_received_payments") or 0) + value)
    return record_response(state, "kb_invoice_payment", {**payment, "value": format_plain(value)}, status=201)


def _payment_of(state: SandboxState, request: web.Request) -> tuple[Record, Record]:
    """(invoice, payment) of a payment URL; 404 when the payment belongs to another invoice."""
    invoice = get_record(state, "kb_invoice", record_id(request))
    payment = get_record(state, "kb_invoice_payment", record_id(request, "sub_id"))
    if payment["kb_invoice_id"] != invoice["id"]:
        raise not_found()
    return invoice, payment


async def list_payments(request: web.Request) -> web.StreamResponse:
    """``GET /2.0/kb_invoice/{id}/payment`` (v2ListInvoicePayments): a 2.0 list with paging."""
    state = state_of(request)
    invoice = get_record(state, "kb_invoice", record_id(request))
    return list_answer(state, request, PAYMENTS, _invoice_payments(state, invoice["id"]))


async def get_payment(request: web.Request) -> web.StreamResponse:
    """``GET /2.0/kb_invoice/{id}/payment/{payment_id}`` (v2ShowInvoicePayment)."""
    state = state_of(request)
    _, payment = _payment_of(state, request)
    return text_response(record_text(state, "kb_invoice_payment", "single", payment))


async def delete_payment(request: web.Request) -> web.StreamResponse:
    """``DELETE /2.0/kb_invoice/{id}/payment/{payment_id}`` (DeletePayment): gone for good.

    UNCONFIRMED: what the invoice's status becomes; the sandbox books the remaining payments
    again (paid → partially paid → pending).
    """
    state = state_of(request)
    invoice, payment = _payment_of(state, request)
    del state.tables["kb_invoice_payment"][payment["id"]]
    if invoice["kb_item_status_id"] in (PAID, PARTIALLY_PAID):
        received = sum((Decimal(p["value"]) for p in _invoice_payments(state, invoice["id"])), Decimal(0))
        _book_payments(state, invoice, received)
    return success()


async def copy_invoice(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    source = get_record(state, "kb_invoice", record_id(request))
    document_nr = next_document_nr(state) if state.invoice_setting().get("use_automatic_enumeration") else ""
    state.counters["esr"] = state.counters.get("esr", 0) + 1
    copy = {
        **source,
        "id": state.new_id("kb_invoice"),
        "document_nr": document_nr,
        "kb_item_status_id": DRAFT,
        "api_reference": None,
        "updated_at": state.local_timestamp(),
        "esr_id": state.counters["esr"],
        "qr_invoice_id": state.counters["esr"],
        "total_received_payments": "0.000000",
        "total_credit_vouchers": "0.000000",
        "viewed_by_client_at": None,
        "network_link": "",
        "positions": [
            {**position, "id": next_position_id(state, position["type"])} for position in source["positions"]
        ],
    }
    recompute_totals(state, copy)
    state.tables["kb_invoice"][copy["id"]] = copy
    return record_response(state, "kb_invoice", answer_view(copy, "copied"), status=201)


async def invoice_pdf_answer(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "kb_invoice", record_id(request))
    currency = state.tables["currency"].get(record.get("currency_id") or 0)
    lines = [
        f"Rechnung {record['document_nr']}",
        record.get("contact_address") or "",
        f"Datum: {record['is_valid_from']}   Zahlbar bis: {record['is_valid_to']}",
        "",
    ]
    lines += [
        f"{p.get('text', '')}  {p['amount']} x {p['unit_price']} = {p['position_total']}"
        for p in record.get("positions", [])
        if "position_total" in p
    ]
    lines.append(f"Total {currency['name'] if currency else ''} {format_plain(Decimal(record['total']))}")
    pdf = invoice_pdf(lines)
    name = (record["document_nr"] or f"invoice-{record['id']}").lower() + ".pdf"
    return json_response(
        {
            "name": name,
            "size": len(pdf),
            "mime": "application/pdf",
            "content": base64.b64encode(pdf).decode("ascii"),
        }
    )


def register(routes: Routes) -> None:
    show, edit = "kb_invoice_show", "kb_invoice_edit"
    routes.add("GET", "/2.0/kb_invoice", list_handler(INVOICES), scope=show)
    routes.add("POST", "/2.0/kb_invoice", create_invoice, scope=edit, creates=True)
    routes.add(
        "POST",
        "/2.0/kb_invoice/search",
        search_handler(INVOICES),
        scope=show,
        rate_group=INVOICE_SEARCH_PDF_GROUP,
    )
    routes.add("GET", "/2.0/kb_invoice/{id}", get_handler("kb_invoice"), scope=show)
    routes.add("POST", "/2.0/kb_invoice/{id}", edit_invoice, scope=edit)
    routes.add("DELETE", "/2.0/kb_invoice/{id}", delete_invoice, scope=edit)
    routes.add(
        "GET", "/2.0/kb_invoice/{id}/pdf", invoice_pdf_answer, scope=show, rate_group=INVOICE_SEARCH_PDF_GROUP
    )
    routes.add("POST", "/2.0/kb_invoice/{id}/copy", copy_invoice, scope=edit, creates=True)
    routes.add(
        "POST",
        "/2.0/kb_invoice/{id}/issue",
        _transition((DRAFT,), PENDING, "Only draft invoices can be issued."),
        scope=edit,
    )
    routes.add(
        "POST",
        "/2.0/kb_invoice/{id}/revert_issue",
        _transition((PENDING,), DRAFT, "Only issued invoices without payments can be reverted to a draft."),
        scope=edit,
    )
    routes.add(
        "POST",
        "/2.0/kb_invoice/{id}/cancel",
        _transition((PENDING, PARTIALLY_PAID, UNPAID), CANCELLED, "Only issued invoices can be cancelled."),
        scope=edit,
    )
    routes.add("GET", "/2.0/kb_invoice/{id}/payment", list_payments, scope=show)
    routes.add("POST", "/2.0/kb_invoice/{id}/payment", add_payment, scope=edit, creates=True)
    routes.add("GET", "/2.0/kb_invoice/{id}/payment/{sub_id}", get_payment, scope=show)
    routes.add("DELETE", "/2.0/kb_invoice/{id}/payment/{sub_id}", delete_payment, scope=edit)
    routes.add(
        "POST",
        "/2.0/kb_invoice/{id}/mark_as_sent",
        _transition((DRAFT, PENDING), PENDING, "Only draft or open invoices can be marked as sent."),
        scope=edit,
    )
