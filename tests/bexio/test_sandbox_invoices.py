"""Invoices in the sandbox: VAT and rounding, numbering, statuses, precision, validation, PDF."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bexio.sandbox import ManualClock, RunningSandbox, build_state, serve_sandbox

INCOME_3400 = 121
UN81, UR26 = 14, 15
FORM_ERROR = "The form could not be saved due to the following errors:"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    # Pinned to the recorded shapes these tests assert exactly (test_sandbox_shapes: the others).
    async with serve_sandbox(build_state("demo", clock=clock, shapes="usual")) as running:
        yield running


@pytest.fixture
async def api(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


def line(amount: str, price: str, tax_id: int = UN81, discount: str = "0") -> dict[str, Any]:
    return {
        "type": "KbPositionCustom",
        "amount": amount,
        "unit_id": 2,
        "account_id": INCOME_3400,
        "tax_id": tax_id,
        "text": "Umsetzung",
        "unit_price": price,
        "discount_in_percent": discount,
    }


# 2.5 × 120 = 300.00 and 19.90 − 10 % = 17.91 at 8.1 %; 3 × 12.35 = 37.05 at 2.6 %.
LINES = [line("2.5", "120"), line("1", "19.90", discount="10"), line("3", "12.35", tax_id=UR26)]


def invoice(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contact_id": 2,
        "user_id": 1,
        "mwst_type": 0,
        "mwst_is_net": True,
        "positions": LINES,
    }
    body.update(overrides)
    return body


async def create(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await api.post("/2.0/kb_invoice", json=invoice(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def refusal(api: httpx.AsyncClient, **overrides: Any) -> list[str]:
    response = await api.post("/2.0/kb_invoice", json=invoice(**overrides))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == 422
    assert body["message"] == FORM_ERROR
    errors: list[str] = body["errors"]
    return errors


def totals(answer: dict[str, Any]) -> tuple[Any, ...]:
    return (
        answer["total_net"],
        answer["total_taxes"],
        answer["total_gross"],
        answer["total"],
        answer["total_rounding_difference"],
        answer["taxs"],
    )


async def test_net_prices_get_vat_per_rate_added_and_the_total_rounded_to_5_rappen(
    api: httpx.AsyncClient,
) -> None:
    created = await create(api)
    # 8.1 % of 317.91 = 25.75; 2.6 % of 37.05 = 0.96; 381.67 rounds to 381.65.
    assert totals(created) == (
        "354.96",
        "26.7100",
        "381.67",
        "381.65",
        -0.02,
        [{"percentage": "2.60", "value": "0.96"}, {"percentage": "8.10", "value": "25.75"}],
    )
    assert created["total_remaining_payments"] == "381.6500"
    fetched = (await api.get(f"/2.0/kb_invoice/{created['id']}")).json()
    assert (fetched["total_net"], fetched["total_gross"], fetched["total"]) == (
        "354.960000",
        "381.670000",
        "381.650000",
    )


async def test_gross_prices_contain_their_vat(api: httpx.AsyncClient) -> None:
    created = await create(api, mwst_is_net=False)
    # 317.91 × 8.1/108.1 = 23.82; 37.05 × 2.6/102.6 = 0.94; 354.96 rounds to 354.95.
    assert totals(created) == (
        "330.2",
        "24.7600",
        "354.96",
        "354.95",
        -0.01,
        [{"percentage": "2.60", "value": "0.94"}, {"percentage": "8.10", "value": "23.82"}],
    )


@pytest.mark.parametrize("mwst_type", [1, 2])
async def test_mwst_types_1_and_2_charge_no_vat(api: httpx.AsyncClient, mwst_type: int) -> None:
    created = await create(api, mwst_type=mwst_type)
    assert totals(created) == ("354.96", "0.0000", "354.96", "354.95", -0.01, [])
    assert [p["tax_value"] for p in created["positions"]] == ["8.10", "8.10", "2.60"]


async def test_vat_is_computed_on_each_rates_sum_not_per_line(api: httpx.AsyncClient) -> None:
    # Per line 0.30 × 8.1 % = 0.0243 → 0.02 three times (0.06); on the sum 0.90 → 0.07.
    created = await create(api, positions=[line("1", "0.30")] * 3)
    assert created["taxs"] == [{"percentage": "8.10", "value": "0.07"}]
    assert (created["total_gross"], created["total"], created["total_rounding_difference"]) == (
        "0.97",
        "0.95",
        -0.02,
    )


async def test_other_currencies_round_to_their_own_factor(api: httpx.AsyncClient) -> None:
    created = await create(api, currency_id=2)  # EUR, round factor 0.01
    assert (created["total"], created["total_rounding_difference"]) == ("381.67", 0)


async def test_answers_use_bexios_inconsistent_precision(api: httpx.AsyncClient) -> None:
    created = await create(api)
    custom = created["positions"][0]
    assert (custom["amount"], custom["unit_price"], custom["discount_in_percent"]) == ("2.5", "120", "0")
    assert (custom["position_total"], custom["amount_reserved"], custom["pos"]) == ("300", None, "1")
    assert (created["total_received_payments"], created["total_credit_vouchers"]) == ("0", "0")
    fetched = (await api.get(f"/2.0/kb_invoice/{created['id']}")).json()
    custom = fetched["positions"][0]
    assert (custom["amount"], custom["unit_price"], custom["discount_in_percent"]) == (
        "2.500000",
        "120.000000",
        "0.0000",
    )
    assert (custom["position_total"], custom["amount_reserved"]) == ("300.000000", "0.000000")
    assert fetched["total_received_payments"] == "0.000000"
    edited = (await api.post(f"/2.0/kb_invoice/{created['id']}", json={"title": "Leistungen Juni"})).json()
    assert (edited["total"], edited["total_received_payments"]) == ("381.65", "0.000000")
    assert edited["positions"][0]["position_total"] == "300.000000"


async def test_numbers_follow_the_document_settings(api: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    first, second = await create(api), await create(api)
    assert (first["document_nr"], second["document_nr"]) == ("RE-00003", "RE-00004")  # demo has RE-00001/2
    setting = sandbox.state.invoice_setting()
    setting["next_nr"] = 42
    assert (await create(api))["document_nr"] == "RE-00042"
    setting["nr_min_length"] = 7
    assert (await create(api))["document_nr"] == "RE-0000043"

    assert await refusal(api, document_nr="2026-0001") == [
        "document_nr: Die Nummer wird automatisch vergeben. Deaktivieren Sie die automatische Nummerierung, "
        "um eine eigene Nummer zu setzen."
    ]
    setting["use_automatic_enumeration"] = False
    assert await refusal(api) == ["document_nr: Pflichtfeld"]
    assert (await create(api, document_nr="2026-0001"))["document_nr"] == "2026-0001"


async def test_status_transitions(api: httpx.AsyncClient, clock: ManualClock) -> None:
    created = await create(api)
    path = f"/2.0/kb_invoice/{created['id']}"

    async def act(action: str) -> int:
        clock.advance(minutes=1)
        return (await api.post(f"{path}/{action}")).status_code

    async def status() -> tuple[int, str]:
        fetched = (await api.get(path)).json()
        return fetched["kb_item_status_id"], fetched["updated_at"]

    assert created["kb_item_status_id"] == 7
    assert await act("revert_issue") == 422
    assert await act("cancel") == 422
    assert await act("issue") == 200
    assert await status() == (8, "2026-06-18 14:03:00")  # Zurich local time of the write
    assert await act("issue") == 422
    assert await act("revert_issue") == 200
    assert (await status())[0] == 7
    assert await act("mark_as_sent") == 200
    assert (await status())[0] == 8
    assert await act("cancel") == 200
    assert await status() == (19, "2026-06-18 14:07:00")
    assert await act("cancel") == 422
    answer = await api.post(f"{path}/issue")
    assert answer.json() == {"error_code": 422, "message": "Only draft invoices can be issued."}


async def test_lists_and_searches_leave_positions_out(api: httpx.AsyncClient) -> None:
    created = await create(api, pr_project_id=3, api_reference="bxhours:7f3c2c1e")
    await create(api, api_reference="bxhours:7f3c2c1e-2")
    assert created["project_id"] == 3
    assert "pr_project_id" not in created
    listed = (await api.get("/2.0/kb_invoice")).json()
    assert listed
    assert all("positions" not in item for item in listed)
    exact = await api.post(
        "/2.0/kb_invoice/search",
        json=[{"field": "api_reference", "value": "bxhours:7f3c2c1e", "criteria": "="}],
    )
    assert [item["id"] for item in exact.json()] == [created["id"]]
    assert "positions" not in exact.json()[0]
    like = await api.post(
        "/2.0/kb_invoice/search", json=[{"field": "api_reference", "value": "bxhours:7f3c2c1e"}]
    )
    assert len(like.json()) == 2


async def test_edits_are_posts_without_positions(api: httpx.AsyncClient, clock: ManualClock) -> None:
    created = await create(api)
    path = f"/2.0/kb_invoice/{created['id']}"
    clock.advance(minutes=5)
    edited = await api.post(path, json={"title": "Leistungen Juni", "mwst_type": 1, "contact_id": 1})
    assert edited.status_code == 200
    body = edited.json()
    assert (body["title"], body["total_taxes"], body["total"]) == ("Leistungen Juni", "0.0000", "354.95")
    assert body["contact_address"].startswith("bexio AG\nAlte Jonastrasse 24")
    assert body["updated_at"] == "2026-06-18 14:05:00"
    with_positions = await api.post(path, json={"positions": LINES})
    assert with_positions.status_code == 422
    assert with_positions.json()["errors"] == [
        "Widget schema does not include the following field(s): positions"
    ]
    assert (await api.put(path, json={"title": "x"})).status_code == 405
    assert (await api.delete(path)).json() == {"success": True}
    assert (await api.get(path)).status_code == 404


async def test_the_pdf_is_json_with_base64_content(api: httpx.AsyncClient) -> None:
    created = await create(api)
    pdf = (await api.get(f"/2.0/kb_invoice/{created['id']}/pdf")).json()
    content = base64.b64decode(pdf["content"])
    assert pdf["name"] == created["document_nr"].lower() + ".pdf"
    assert pdf["mime"] == "application/pdf"
    assert pdf["size"] == len(content)
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert created["document_nr"].encode() in content


async def test_every_documented_position_type_is_accepted(api: httpx.AsyncClient) -> None:
    positions = [
        {"type": "KbPositionText", "text": "Leistungen Juni", "show_pos_nr": False},
        line("10", "150"),
        {"type": "KbPositionSubtotal", "text": "Zwischentotal"},
        {**line("2", "50"), "type": "KbPositionArticle", "article_id": 7},
        {"type": "KbPositionPagebreak", "pagebreak": True},
        {"type": "KbPositionSubposition", "text": "Details"},
        {"type": "KbPositionDiscount", "text": "Rabatt", "is_percentual": True, "value": "10"},
    ]
    created = await create(api, positions=positions)
    kinds = [p["type"] for p in created["positions"]]
    assert kinds == [p["type"] for p in positions]
    assert created["positions"][2]["value"] == "1500.000000"
    assert created["positions"][6]["discount_total"] == "160.000000"
    # 1600 − 10 % = 1440 net; 8.1 % = 116.64; 1556.64 → 1556.65.
    assert (created["total_net"], created["total_taxes"], created["total"]) == ("1440", "116.6400", "1556.65")
    ids = {(p["type"], p["id"]) for p in created["positions"]}
    assert len(ids) == len(positions)


async def test_invalid_invoices_get_bexios_422(api: httpx.AsyncClient) -> None:
    assert await refusal(api, contact_id=None, user_id=None) == [
        "contact_id: Pflichtfeld",
        "user_id: Pflichtfeld",
    ]
    assert await refusal(api, colour="blue") == ['global: Unexpected extra form field named "colour".']
    assert await refusal(api, total="100", esr_id=3) == [
        "Widget schema does not include the following field(s): total, esr_id"
    ]
    assert await refusal(api, contact_id=99999, pr_project_id=99999, currency_id=99) == [
        "contact_id: Diese Eingabe ist nicht korrekt.",
        "pr_project_id: Diese Eingabe ist nicht korrekt.",
        "currency_id: Diese Eingabe ist nicht korrekt.",
    ]
    assert await refusal(api, mwst_type=3, is_valid_from="18.06.2026") == [
        "mwst_type: Diese Eingabe ist nicht korrekt.",
        "is_valid_from: Diese Eingabe ist nicht korrekt.",
    ]
    assert await refusal(api, is_valid_from="2026-06-30", is_valid_to="2026-06-01") == [
        "is_valid_to: Diese Eingabe ist nicht korrekt."
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"account_id": 105}, "positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]"),  # a liability
        (
            {"account_id": 126},
            "positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]",
        ),  # inactive income
        (
            {"tax_id": 16},
            "positions: 0 [tax_id [Diese Eingabe ist nicht korrekt.]]",
        ),  # inactive sales tax US38
        ({"tax_id": 21}, "positions: 0 [tax_id [Diese Eingabe ist nicht korrekt.]]"),  # input tax VM81
        ({"tax_id": None}, "positions: 0 [tax_id [Pflichtfeld]]"),
        ({"unit_id": 77}, "positions: 0 [unit_id [Diese Eingabe ist nicht korrekt.]]"),
        ({"amount": "1.1234567"}, "positions: 0 [amount [Diese Eingabe ist nicht korrekt.]]"),
        ({"pos": "1"}, "positions: 0 [Widget schema does not include the following field(s): pos]"),
        ({"colour": "red"}, 'positions: 0 [Unexpected extra form field named "colour".]'),
        ({"type": "KbPositionMagic"}, "positions: 0 [type [Diese Eingabe ist nicht korrekt.]]"),
    ],
)
async def test_invalid_positions_are_refused_per_position(
    api: httpx.AsyncClient, change: dict[str, Any], error: str
) -> None:
    assert await refusal(api, positions=[{**line("1", "100"), **change}]) == [error]


async def test_header_and_position_errors_come_together(api: httpx.AsyncClient) -> None:
    errors = await refusal(
        api, user_id=None, positions=[line("1", "100"), {**line("1", "100"), "account_id": 105}]
    )
    assert errors == ["user_id: Pflichtfeld", "positions: 1 [account_id [Diese Eingabe ist nicht korrekt.]]"]


async def test_a_fresh_account_starts_at_re_00001() -> None:
    async with serve_sandbox(build_state("empty")) as sandbox:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
        async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as api:
            first = await create(api, contact_id=1, positions=[line("1", "100")])
            second = await create(api, contact_id=1, positions=[line("1", "100")])
    assert (first["document_nr"], second["document_nr"]) == ("RE-00001", "RE-00002")
    assert first["positions"][0]["id"] == 1


async def test_payments_make_an_issued_invoice_partially_paid_then_paid(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    """``POST /2.0/kb_invoice/{id}/payment``: only issued invoices take payments."""
    created = await create(api)
    path = f"/2.0/kb_invoice/{created['id']}"
    total = (await api.get(path)).json()["total"]

    async def pay(value: str) -> httpx.Response:
        clock.advance(minutes=1)
        return await api.post(f"{path}/payment", json={"date": "2026-06-20", "value": value})

    draft = await pay("10")
    assert draft.status_code == 422
    assert draft.json()["message"] == "Only issued invoices can take payments."
    assert (await api.post(f"{path}/issue")).status_code == 200
    assert (await api.post(f"{path}/payment", json={"date": "2026-06-20"})).json()["errors"] == [
        "value: Pflichtfeld"
    ]
    assert (await pay("-5")).status_code == 422
    partial = await pay("100.00")
    assert partial.status_code == 201
    # The answer echoes the value without trailing zeros, as a logged real answer did ("27.2").
    assert partial.json()["value"] == "100" and partial.json()["kb_invoice_id"] == created["id"]
    fetched = (await api.get(path)).json()
    assert fetched["kb_item_status_id"] == 16
    assert fetched["total_received_payments"] == "100.000000"
    assert fetched["updated_at"] == "2026-06-18 14:03:00"  # Zurich local time of the payment
    rest = str(Decimal(total) - 100)
    assert (await pay(rest)).status_code == 201
    paid = (await api.get(path)).json()
    assert paid["kb_item_status_id"] == 9
    assert paid["total_remaining_payments"] == "0.0000"
    assert (await pay("1")).status_code == 422  # paid: nothing left to take
    assert (await api.post(f"{path}/cancel")).status_code == 422


PAYMENT_FIELDS = [
    "id",
    "date",
    "value",
    "bank_account_id",
    "title",
    "payment_service_id",
    "is_client_account_redemption",
    "is_cash_discount",
    "kb_invoice_id",
    "kb_credit_voucher_id",
    "kb_bill_id",
    "kb_credit_voucher_text",
]


async def issued(api: httpx.AsyncClient) -> str:
    path = f"/2.0/kb_invoice/{(await create(api))['id']}"
    assert (await api.post(f"{path}/issue")).status_code == 200
    return path


async def test_a_payment_takes_bexios_optional_fields_and_answers_its_twelve(api: httpx.AsyncClient) -> None:
    """v2CreateInvoicePayment: `value` required; `date`, `bank_account_id` and
    `payment_service_id` optional; the answer has 12 fields."""
    path = await issued(api)
    by_bank = await api.post(
        f"{path}/payment", json={"date": "2026-06-20", "value": "10", "bank_account_id": 1}
    )
    assert by_bank.status_code == 201, by_bank.text
    payment = by_bank.json()
    assert list(payment) == PAYMENT_FIELDS
    assert payment == {
        "id": payment["id"],
        "date": "2026-06-20",
        "value": "10",
        "bank_account_id": 1,
        "title": "Zahlungseingang",
        "payment_service_id": None,
        "is_client_account_redemption": False,
        "is_cash_discount": False,
        "kb_invoice_id": int(path.rsplit("/", 1)[1]),
        "kb_credit_voucher_id": None,
        "kb_bill_id": None,
        "kb_credit_voucher_text": "",
    }
    by_service = (await api.post(f"{path}/payment", json={"value": "5", "payment_service_id": 2})).json()
    # Without a date the payment is booked today (UNCONFIRMED: bexio documents no default).
    assert (by_service["date"], by_service["payment_service_id"], by_service["bank_account_id"]) == (
        "2026-06-18",
        2,
        None,
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"value": "5", "bank_account_id": 404}, "bank_account_id: Diese Eingabe ist nicht korrekt."),
        ({"value": "5", "payment_service_id": 9}, "payment_service_id: Diese Eingabe ist nicht korrekt."),
        ({"value": "5", "date": "20.06.2026"}, "date: Diese Eingabe ist nicht korrekt."),
        (
            {"value": "5", "is_cash_discount": True},
            "Widget schema does not include the following field(s): is_cash_discount",
        ),
        ({"value": "5", "note": "x"}, 'global: Unexpected extra form field named "note".'),
    ],
)
async def test_a_payment_refuses_what_bexios_form_refuses(
    api: httpx.AsyncClient, body: dict[str, Any], error: str
) -> None:
    path = await issued(api)
    refused = await api.post(f"{path}/payment", json=body)
    assert refused.status_code == 422
    assert refused.json() == {"error_code": 422, "message": FORM_ERROR, "errors": [error]}


async def test_payments_are_listed_read_and_deleted(api: httpx.AsyncClient) -> None:
    path = await issued(api)
    total = Decimal((await api.get(path)).json()["total"])
    first = (await api.post(f"{path}/payment", json={"date": "2026-06-19", "value": "20"})).json()
    second = (await api.post(f"{path}/payment", json={"date": "2026-06-20", "value": str(total - 20)})).json()
    assert (await api.get(path)).json()["kb_item_status_id"] == 9

    listed = (await api.get(f"{path}/payment")).json()
    assert [(p["id"], p["value"]) for p in listed] == [
        (first["id"], "20.000000"),
        (second["id"], f"{total - 20:.6f}"),
    ]
    assert all(list(p) == PAYMENT_FIELDS for p in listed)
    assert (await api.get(f"{path}/payment/{first['id']}")).json() == listed[0]
    other = await issued(api)
    assert (await api.get(f"{other}/payment/{first['id']}")).status_code == 404
    assert (await api.get(f"{other}/payment")).json() == []

    assert (await api.delete(f"{path}/payment/{second['id']}")).json() == {"success": True}
    assert (await api.get(f"{path}/payment/{second['id']}")).status_code == 404
    reopened = (await api.get(path)).json()
    assert (reopened["kb_item_status_id"], reopened["total_received_payments"]) == (16, "20.000000")
    assert (await api.delete(f"{path}/payment/{first['id']}")).status_code == 200
    assert (await api.get(path)).json()["kb_item_status_id"] == 8
