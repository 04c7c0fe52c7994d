"""Contract: the sandbox answers every recorded bexio request in the recorded shape.

For each file in shared/bexio-recorded/, the request its name describes is sent to the
sandbox (seeded as a fresh account and as the demo company). The answer must have the same
status class, the same keys (recursively; the first element of lists) and the same JSON type
wherever both values are non-null — plus the same rate-limit budget and, on lists, the
X-Total-Count header exactly where bexio sends it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bexio.sandbox import ManualClock, build_state, serve_sandbox
from tests.bexio.recorded import RECORDED

Setup = Callable[[httpx.AsyncClient], Awaitable[int]]


def invoice_body() -> dict[str, Any]:
    """The body the recorded invoices were created with (mwst_type 1, one text, one custom line)."""
    return {
        "title": "Test",
        "contact_id": 1,
        "user_id": 1,
        "mwst_type": 1,
        "mwst_is_net": True,
        "is_valid_from": "2026-06-18",
        "is_valid_to": "2026-06-23",
        "api_reference": str(uuid.uuid4()),
        "positions": [
            {"type": "KbPositionText", "text": "Leistungen", "show_pos_nr": True},
            {
                "type": "KbPositionCustom",
                "amount": "1",
                "unit_id": 1,
                "account_id": 95,
                "tax_id": 14,
                "text": "Beratung",
                "unit_price": "100",
                "discount_in_percent": "0",
            },
        ],
    }


async def created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> int:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    record_id = response.json()["id"]
    assert isinstance(record_id, int)
    return record_id


async def new_invoice(client: httpx.AsyncClient) -> int:
    return await created(client, "/2.0/kb_invoice", invoice_body())


async def issued_invoice(client: httpx.AsyncClient) -> int:
    invoice_id = await new_invoice(client)
    assert (await client.post(f"/2.0/kb_invoice/{invoice_id}/issue")).status_code == 200
    return invoice_id


async def new_contact(client: httpx.AsyncClient) -> int:
    return await created(
        client, "/2.0/contact", {"contact_type_id": 1, "name_1": "Create", "user_id": 1, "owner_id": 1}
    )


async def archived_contact(client: httpx.AsyncClient) -> int:
    contact_id = await new_contact(client)
    assert (await client.delete(f"/2.0/contact/{contact_id}")).status_code == 200
    return contact_id


async def new_group(client: httpx.AsyncClient) -> int:
    return await created(client, "/2.0/contact_group", {"name": "Delete me"})


async def new_currency(client: httpx.AsyncClient) -> int:
    return await created(client, "/3.0/currencies", {"name": "AED", "round_factor": 0.05})


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    body: Any = None
    #: Creates what the request needs; its id replaces "{id}" in the path.
    setup: Setup | None = None
    #: A non-JSON answer (the logout page): compare status and content type only.
    html: bool = False


CREATE_INVOICE = Case("POST", "/2.0/kb_invoice", invoice_body())
CREATE_CONTACT = Case(
    "POST", "/2.0/contact", {"contact_type_id": 1, "name_1": "Create", "user_id": 1, "owner_id": 1}
)
OIDC = "/realms/bexio/protocol/openid-connect"

#: Every recorded response → the request its file name describes.
CASES: dict[str, Case] = {
    "AccountGroups/fetch-a-list-of-account-groups.json": Case("GET", "/2.0/account_groups"),
    "Accounts/fetch-a-list-of-accounts.json": Case("GET", "/2.0/accounts"),
    "Accounts/search-accounts.json": Case(
        "POST", "/2.0/accounts/search", [{"field": "name", "value": "Bank"}]
    ),
    "BankAccounts/fetch-a-list-of-bank-accounts.json": Case("GET", "/3.0/banking/accounts"),
    "BankAccounts/fetch-a-single-bank-account.json": Case("GET", "/3.0/banking/accounts/1"),
    "BusinessActivities/fetch-a-list-of-business-activities.json": Case("GET", "/2.0/client_service"),
    "CompanyProfiles/fetch-a-company-profile.json": Case("GET", "/2.0/company_profile/1"),
    "CompanyProfiles/fetch-a-list-of-company-profiles.json": Case("GET", "/2.0/company_profile"),
    "ContactGroups/create-contact-group.json": Case("POST", "/2.0/contact_group", {"name": "Test"}),
    "ContactGroups/delete-a-contact-group-create.json": Case(
        "POST", "/2.0/contact_group", {"name": "Delete"}
    ),
    "ContactGroups/delete-a-contact-group.json": Case("DELETE", "/2.0/contact_group/{id}", setup=new_group),
    "ContactGroups/edit-contact-group.json": Case(
        "POST", "/2.0/contact_group/{id}", {"name": "Edit"}, new_group
    ),
    "ContactGroups/fetch-a-contact-group.json": Case("GET", "/2.0/contact_group/1"),
    "ContactGroups/fetch-a-list-of-contact-groups.json": Case("GET", "/2.0/contact_group"),
    "ContactGroups/search-contact-groups.json": Case(
        "POST", "/2.0/contact_group/search", [{"field": "name", "value": "Partner", "criteria": "="}]
    ),
    "ContactSectors/fetch-a-list-of-contact-sectors.json": Case("GET", "/2.0/contact_branch"),
    "ContactSectors/search-contact-sectors.json": Case(
        "POST", "/2.0/contact_branch/search", [{"field": "name", "value": "Photo"}]
    ),
    "Contacts/create-contact.json": CREATE_CONTACT,
    "Contacts/delete-a-contact-create.json": CREATE_CONTACT,
    "Contacts/delete-a-contact.json": Case("DELETE", "/2.0/contact/{id}", setup=new_contact),
    "Contacts/edit-contact-create.json": CREATE_CONTACT,
    "Contacts/edit-contact.json": Case("POST", "/2.0/contact/{id}", {"name_1": "Edited"}, new_contact),
    "Contacts/fetch-a-contact.json": Case("GET", "/2.0/contact/1"),
    "Contacts/fetch-a-list-of-contacts.json": Case("GET", "/2.0/contact"),
    "Contacts/restore-a-contact-create.json": CREATE_CONTACT,
    "Contacts/restore-a-contact-delete.json": Case("DELETE", "/2.0/contact/{id}", setup=new_contact),
    "Contacts/restore-a-contact.json": Case("PATCH", "/2.0/contact/{id}/restore", setup=archived_contact),
    "Contacts/search-contacts.json": Case(
        "POST", "/2.0/contact/search", [{"field": "name_1", "value": "bexio"}]
    ),
    "Currencies/create-a-currency-for-delete.json": Case(
        "POST", "/3.0/currencies", {"name": "AED", "round_factor": 0.05}
    ),
    "Currencies/create-a-currency.json": Case(
        "POST", "/3.0/currencies", {"name": "JPY", "round_factor": 0.05}
    ),
    "Currencies/delete-a-currency.json": Case("DELETE", "/3.0/currencies/{id}", setup=new_currency),
    "Currencies/edit-a-currency.json": Case(
        "PATCH", "/3.0/currencies/{id}", {"round_factor": 0.01}, new_currency
    ),
    "Currencies/fetch-a-currency.json": Case("GET", "/3.0/currencies/1"),
    "Currencies/fetch-a-list-of-currencies-for-delete.json": Case("GET", "/3.0/currencies?limit=2000"),
    "Currencies/fetch-a-list-of-currencies.json": Case("GET", "/3.0/currencies?limit=2000"),
    "Currencies/fetch-all-possible-currency-codes.json": Case("GET", "/3.0/currencies/codes"),
    "Currencies/fetch-currency-codes-for-delete.json": Case("GET", "/3.0/currencies/codes"),
    "Currencies/fetch-exchange-rates-for-currencies.json": Case("GET", "/3.0/currencies/2/exchange_rates"),
    "DocumentSettings/fetch-a-list-of-document-settings.json": Case("GET", "/2.0/kb_item_setting"),
    "Invoices/cancel-an-invoice.json": Case("POST", "/2.0/kb_invoice/{id}/cancel", setup=issued_invoice),
    "Invoices/copy-an-invoice.json": Case("POST", "/2.0/kb_invoice/{id}/copy", setup=new_invoice),
    "Invoices/create-an-invoice-for-cancel.json": CREATE_INVOICE,
    "Invoices/create-an-invoice-for-copy.json": CREATE_INVOICE,
    "Invoices/create-an-invoice-for-delete.json": CREATE_INVOICE,
    "Invoices/create-an-invoice-for-edit.json": CREATE_INVOICE,
    "Invoices/create-an-invoice.json": CREATE_INVOICE,
    "Invoices/delete-an-invoice.json": Case("DELETE", "/2.0/kb_invoice/{id}", setup=new_invoice),
    "Invoices/edit-an-invoice.json": Case(
        "POST", "/2.0/kb_invoice/{id}", {"title": "Test Invoice"}, new_invoice
    ),
    "Invoices/fetch-a-list-of-invoices.json": Case("GET", "/2.0/kb_invoice", setup=new_invoice),
    "Invoices/fetch-an-invoice-edit.json": Case("GET", "/2.0/kb_invoice/{id}", setup=new_invoice),
    "Invoices/fetch-an-invoice.json": Case("GET", "/2.0/kb_invoice/{id}", setup=new_invoice),
    "Invoices/issue-an-invoice-for-cancel.json": Case(
        "POST", "/2.0/kb_invoice/{id}/issue", setup=new_invoice
    ),
    "Invoices/search-invoices.json": Case(
        "POST",
        "/2.0/kb_invoice/search",
        [{"field": "kb_item_status_id", "value": 7, "criteria": "="}],
        new_invoice,
    ),
    "Invoices/show-pdf.json": Case("GET", "/2.0/kb_invoice/{id}/pdf", setup=new_invoice),
    "Languages/fetch-a-list-of-languages.json": Case("GET", "/2.0/language"),
    "OAuth/end-session.json": Case("GET", f"{OIDC}/logout", html=True),
    "OAuth/openid-configuration.json": Case("GET", "/realms/bexio/.well-known/openid-configuration"),
    "OpenID/fetch-user-info.json": Case("GET", f"{OIDC}/userinfo"),
    "PaymentTypes/fetch-a-list-of-payment-types.json": Case("GET", "/2.0/payment_type"),
    "Projects/fetch-a-list-of-projects.json": Case("GET", "/2.0/pr_project"),
    "Taxes/delete-a-tax.json": Case("DELETE", "/3.0/taxes/14"),
    "Taxes/fetch-a-list-of-taxes-for-delete.json": Case("GET", "/3.0/taxes"),
    "Taxes/fetch-a-list-of-taxes-for-fetch.json": Case("GET", "/3.0/taxes"),
    "Taxes/fetch-a-list-of-taxes-scoped_active-types_sales_tax.json": Case(
        "GET", "/3.0/taxes?scope=active&types=sales_tax"
    ),
    "Taxes/fetch-a-list-of-taxes.json": Case("GET", "/3.0/taxes"),
    "Taxes/fetch-a-tax.json": Case("GET", "/3.0/taxes/7"),
    "Units/fetch-a-list-of-units.json": Case("GET", "/2.0/unit"),
    "Users/fetch-a-list-of-users.json": Case("GET", "/3.0/users"),
    "Users/fetch-authenticated-user.json": Case("GET", "/3.0/users/me"),
}
#: Recorded responses of resources the sandbox does not serve, with the reason. (None today.)
NOT_SERVED: dict[str, str] = {}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def shape_differences(recorded: Any, actual: Any, where: str = "$") -> list[str]:
    """Where the sandbox's answer differs from bexio's in keys or (non-null) types."""
    if recorded is None or actual is None:
        return []
    if json_type(recorded) != json_type(actual):
        return [f"{where}: bexio sends {json_type(recorded)}, the sandbox {json_type(actual)}"]
    if isinstance(recorded, dict):
        problems = []
        missing, extra = recorded.keys() - actual.keys(), actual.keys() - recorded.keys()
        if missing:
            problems.append(f"{where}: missing keys {sorted(missing)}")
        if extra:
            problems.append(f"{where}: extra keys {sorted(extra)}")
        for key in recorded.keys() & actual.keys():
            problems += shape_differences(recorded[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list) and recorded and actual:
        if all(isinstance(item, dict) and "type" in item for item in recorded + actual):
            # Invoice positions: compare each recorded kind with the sandbox's of that kind.
            problems = []
            for kind in {item["type"] for item in recorded}:
                mine = [item for item in actual if item["type"] == kind]
                theirs = next(item for item in recorded if item["type"] == kind)
                if mine:
                    problems += shape_differences(theirs, mine[0], f"{where}[type={kind}]")
                else:
                    problems.append(f"{where}: no element of type {kind}")
            return problems
        return shape_differences(recorded[0], actual[0], f"{where}[0]")
    return []


def recorded(name: str) -> tuple[int, dict[str, str], str]:
    data = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    headers = {key.lower(): value for key, value in data["headers"].items() if isinstance(value, str)}
    return data["statusCode"], headers, data["data"]


@pytest.fixture(params=["empty", "demo"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    # The recordings show the usual shapes; the documented ones differ from them on purpose.
    state = build_state(
        request.param, clock=ManualClock(datetime(2026, 6, 18, 12, 55, tzinfo=UTC)), shapes="usual"
    )
    async with serve_sandbox(state) as sandbox:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
        async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as http:
            yield http


def test_every_recorded_response_is_covered() -> None:
    files = {str(path.relative_to(RECORDED)) for path in RECORDED.glob("*/*.json")}
    assert len(files) > 60, f"recorded responses not found under {RECORDED}"
    assert files == CASES.keys() | NOT_SERVED.keys()


def test_shape_comparison_catches_differences() -> None:
    assert shape_differences({"a": 1, "b": [{"c": "x"}]}, {"a": 2.5, "b": [{"c": "y"}]}) == []
    assert shape_differences({"a": "1"}, {"a": 1}) == ["$.a: bexio sends string, the sandbox number"]
    assert shape_differences({"a": [{"c": 1}]}, {"a": [{"d": 1}]}) == [
        "$.a[0]: missing keys ['c']",
        "$.a[0]: extra keys ['d']",
    ]
    assert shape_differences({"a": None, "b": True}, {"a": "x", "b": False}) == []
    positions = [{"type": "Text", "text": "x"}, {"type": "Custom", "amount": "1"}]
    assert shape_differences(positions[1:], positions) == []
    assert shape_differences(positions, positions[1:]) == ["$: no element of type Text"]


@pytest.mark.parametrize("name", sorted(CASES))
async def test_sandbox_answers_like_bexio(client: httpx.AsyncClient, name: str) -> None:
    case = CASES[name]
    path = case.path
    if case.setup is not None:
        path = path.replace("{id}", str(await case.setup(client)))
    response = await client.request(case.method, path, json=case.body)
    status, headers, body = recorded(name)

    assert response.status_code // 100 == status // 100, response.text
    assert response.status_code == status
    if case.html:
        assert response.headers["content-type"].startswith("text/html")
        return
    problems = shape_differences(json.loads(body), response.json())
    assert not problems, "\n".join(problems)
    if "ratelimit-limit" in headers:
        assert response.headers["ratelimit-limit"] == headers["ratelimit-limit"]
        assert int(response.headers["ratelimit-remaining"]) < int(response.headers["ratelimit-limit"])
    assert ("x-total-count" in response.headers) == ("x-total-count" in headers)
