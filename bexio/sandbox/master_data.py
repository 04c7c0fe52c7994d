"""Master data: users, units, languages, payment types, currencies, taxes, the chart of
accounts, bank accounts, the company profile and document settings.

Mostly read-only in bexio's API; shapes follow the recorded responses. Taxes are a 3.0 list
*without* the X-Total-Count headers other 3.0 lists carry — as recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from aiohttp import web

from bexio.sandbox.errors import ApiError, not_found
from bexio.sandbox.forms import Field, Invalid, parse_date
from bexio.sandbox.json_cache import Record
from bexio.sandbox.ratelimit import ACCOUNTING_GROUP
from bexio.sandbox.resources import (
    Listing,
    create_handler,
    delete_handler,
    edit_handler,
    get_handler,
    get_record,
    json_response,
    list_answer,
    list_handler,
    read_object,
    search_handler,
    success,
    validate,
)
from bexio.sandbox.routing import Routes, record_id, state_of, token_of
from bexio.sandbox.seed_data import currency_codes

USERS = Listing("user", style="3.0")
UNITS = Listing("unit", order_fields=("id", "name"), searchable={"name": "str"})
LANGUAGES = Listing("language", order_fields=("id", "name"), searchable={"name": "str", "iso_639_1": "str"})
PAYMENT_TYPES = Listing("payment_type", order_fields=("id", "name"), searchable={"name": "str"})
CURRENCIES = Listing("currency", style="3.0")
ACCOUNTS = Listing(
    "account",
    order_fields=("id", "account_no", "name"),
    searchable={"account_no": "str", "fibu_account_group_id": "int", "name": "str", "account_type": "int"},
)
ACCOUNT_GROUPS = Listing("account_group", order_fields=("id", "account_no", "name"))
BANK_ACCOUNTS = Listing("bank_account", style="3.0")
COMPANY_PROFILES = Listing("company_profile")
DOCUMENT_SETTINGS = Listing("kb_item_setting")

UNIT_FIELDS: Final = (Field("name", "str", required=True, nullable=False, max_length=255),)
CURRENCY_EDIT_FIELDS: Final = (Field("round_factor", "number", nullable=False),)

#: CHF per unit of a currency — fixed, so exchange-rate answers are deterministic.
EXCHANGE_RATES_TO_CHF: Final = {"EUR": 0.94, "USD": 0.86, "GBP": 1.12, "JPY": 0.0058}


async def current_user(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    token = token_of(request)
    user_id = token.user_id if token is not None else 1
    record = state.tables["user"].get(user_id)
    if record is None:
        raise not_found()
    return json_response(record)


async def create_currency(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await read_object(request)
    errors = []
    name = body.get("name")
    if isinstance(name, str) and (
        name not in currency_codes() or any(c["name"] == name for c in state.tables["currency"].values())
    ):
        errors.append("name: Diese Eingabe ist nicht korrekt.")
    clean = validate(
        state,
        body,
        (Field("name", "str", required=True, nullable=False), Field("round_factor", "number", required=True)),
        read_only=("id",),
        creating=True,
        extra_errors=errors,
    )
    record = {"id": state.new_id("currency"), "name": clean["name"], "round_factor": clean["round_factor"]}
    state.tables["currency"][record["id"]] = record
    return json_response(record, status=201)


async def edit_currency(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    record = get_record(state, "currency", record_id(request))
    clean = validate(
        state, await read_object(request), CURRENCY_EDIT_FIELDS, read_only=("id", "name"), creating=False
    )
    record.update(clean)
    return json_response(record)


async def delete_currency(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    rid = record_id(request)
    record = get_record(state, "currency", rid)
    in_use = rid == state.invoice_setting().get("default_currency_id") or any(
        invoice.get("currency_id") == rid for invoice in state.tables["kb_invoice"].values()
    )
    if in_use:
        raise ApiError(409, "currency can not be deleted")
    del state.tables["currency"][record["id"]]
    return success()


async def currency_codes_list(request: web.Request) -> web.StreamResponse:
    return json_response(currency_codes())


async def exchange_rates(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    currency = get_record(state, "currency", record_id(request))
    raw_date = request.query.get("date")
    try:
        on = parse_date(raw_date) if raw_date else state.today()
    except Invalid:
        raise ApiError(422, "The parameter 'date' must be a date like 2026-06-18.") from None
    base = state.tables["currency"].get(1)
    rates: list[Record] = []
    if base is not None and currency["id"] != base["id"]:
        factor = EXCHANGE_RATES_TO_CHF.get(currency["name"], 1.0)
        rates.append(
            {
                "factor_nr": factor,
                "exchange_currency": base,
                "ratio": 1,
                "factor_nr_to_ratio": factor,
                "source": "custom",
                "source_reason": "source_custom",
                "exchange_rate_date": on.isoformat(),
            }
        )
    headers = {"X-Limit": "500", "X-Offset": "0", "X-Total-Count": str(len(rates))}
    return json_response(rates, headers=headers)


def _tax_valid_on(tax: Record, on: date) -> bool:
    month = (on.year, on.month)
    start_year, end_year = tax.get("start_year"), tax.get("end_year")
    if start_year is not None and month < (start_year, tax.get("start_month") or 1):
        return False
    return not (end_year is not None and month > (end_year, tax.get("end_month") or 12))


def _tax_has_type(tax: Record, wanted: set[str]) -> bool:
    kind = str(tax.get("type", ""))
    # "pre_tax" stands for every input-tax type (pre_tax_material, pre_customs_tax_…).
    return kind in wanted or ("pre_tax" in wanted and kind.startswith("pre_"))


async def list_taxes(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    scope = request.query.get("scope")
    if scope not in (None, "", "active", "inactive"):
        raise ApiError(422, "The parameter 'scope' must be 'active' or 'inactive'.")
    types = {t.strip() for t in request.query.get("types", "").split(",") if t.strip()}
    raw_date = request.query.get("date")
    try:
        on = parse_date(raw_date) if raw_date else None
    except Invalid:
        raise ApiError(422, "The parameter 'date' must be a date like 2026-06-18.") from None

    def wanted(tax: Record) -> bool:
        if scope == "active" and not tax.get("is_active"):
            return False
        if scope == "inactive" and tax.get("is_active"):
            return False
        if types and not _tax_has_type(tax, types):
            return False
        return on is None or _tax_valid_on(tax, on)

    taxes = [tax for tax in state.tables["tax"].values() if wanted(tax)]
    return list_answer(state, request, Listing("tax", style="3.0-bare"), taxes)


async def delete_tax(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    rid = record_id(request)
    tax = get_record(state, "tax", rid)
    used = any(
        position.get("tax_id") == rid
        for invoice in state.tables["kb_invoice"].values()
        for position in invoice.get("positions", [])
    ) or any(account.get("tax_id") == rid for account in state.tables["account"].values())
    # bexio refuses to delete the taxes it ships with (observed: 409 on a fresh account).
    if used or tax.get("is_active") or str(tax.get("name", "")).startswith("lib.model.tax."):
        raise ApiError(409, "tax can not be deleted")
    del state.tables["tax"][rid]
    return success()


def register(routes: Routes) -> None:
    routes.add("GET", "/3.0/users", list_handler(USERS))
    routes.add("GET", "/3.0/users/me", current_user)
    routes.add("GET", "/3.0/users/{id}", get_handler("user"))

    routes.add("GET", "/2.0/unit", list_handler(UNITS))
    routes.add("POST", "/2.0/unit", create_handler("unit", UNIT_FIELDS), creates=True)
    routes.add("POST", "/2.0/unit/search", search_handler(UNITS))
    routes.add("GET", "/2.0/unit/{id}", get_handler("unit"))
    routes.add("POST", "/2.0/unit/{id}", edit_handler("unit", UNIT_FIELDS))
    routes.add("DELETE", "/2.0/unit/{id}", delete_handler("unit"))

    routes.add("GET", "/2.0/language", list_handler(LANGUAGES))
    routes.add("POST", "/2.0/language/search", search_handler(LANGUAGES))
    routes.add("GET", "/2.0/payment_type", list_handler(PAYMENT_TYPES))
    routes.add("POST", "/2.0/payment_type/search", search_handler(PAYMENT_TYPES))

    routes.add("GET", "/3.0/currencies", list_handler(CURRENCIES))
    routes.add("POST", "/3.0/currencies", create_currency, creates=True)
    routes.add("GET", "/3.0/currencies/codes", currency_codes_list)
    routes.add("GET", "/3.0/currencies/{id}", get_handler("currency"))
    routes.add("PATCH", "/3.0/currencies/{id}", edit_currency)
    routes.add("DELETE", "/3.0/currencies/{id}", delete_currency)
    routes.add("GET", "/3.0/currencies/{id}/exchange_rates", exchange_rates)

    routes.add("GET", "/3.0/taxes", list_taxes, scope="accounting")
    routes.add("GET", "/3.0/taxes/{id}", get_handler("tax"), scope="accounting")
    routes.add("DELETE", "/3.0/taxes/{id}", delete_tax, scope="accounting")

    routes.add(
        "GET", "/2.0/accounts", list_handler(ACCOUNTS), scope="accounting", rate_group=ACCOUNTING_GROUP
    )
    routes.add(
        "POST",
        "/2.0/accounts/search",
        search_handler(ACCOUNTS),
        scope="accounting",
        rate_group=ACCOUNTING_GROUP,
    )
    routes.add(
        "GET",
        "/2.0/account_groups",
        list_handler(ACCOUNT_GROUPS),
        scope="accounting",
        rate_group=ACCOUNTING_GROUP,
    )

    routes.add("GET", "/3.0/banking/accounts", list_handler(BANK_ACCOUNTS), scope="bank_account_show")
    routes.add("GET", "/3.0/banking/accounts/{id}", get_handler("bank_account"), scope="bank_account_show")

    routes.add("GET", "/2.0/company_profile", list_handler(COMPANY_PROFILES))
    routes.add("GET", "/2.0/company_profile/{id}", get_handler("company_profile"))
    routes.add("GET", "/2.0/kb_item_setting", list_handler(DOCUMENT_SETTINGS))
