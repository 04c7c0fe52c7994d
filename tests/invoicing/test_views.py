"""The Slack views of invoicing, as pure functions: what people read, and where errors land."""

from __future__ import annotations

from decimal import Decimal

from bot.views import account_mapping, invoice_modal
from core.invoice_totals import VatLine
from services.invoicing import DraftOutcome, Field, InvoiceRefused
from services.invoicing.accounts import AccountChoice, MappingRow


def _outcome(**changes: object) -> DraftOutcome:
    fields: dict[str, object] = {
        "invoice_id": 1,
        "uuid": "u",
        "customer": "Alpen Bau AG (000012)",
        "title": "Leistungen Oktober 2026",
        "created": True,
        "bexio_id": 42,
        "document_nr": "RE-00042",
        "url": "https://office.bexio.com/index.php/kb_invoice/show/id/42",
        "currency": "CHF",
        "total_net": Decimal("1875.00"),
        "total_vat": Decimal("151.88"),
        "vat": (VatLine("UN81", Decimal("8.1"), Decimal("1875.00"), Decimal("151.88")),),
        "rounding": Decimal("0.02"),
        "total": Decimal("2026.90"),
        "bexio_total": Decimal("2026.90"),
        "lines": (),
    }
    fields.update(changes)
    return DraftOutcome(**fields)  # type: ignore[arg-type]


def test_success_names_the_draft_links_it_and_shows_the_totals() -> None:
    lines = invoice_modal.result_lines(_outcome())
    assert lines[0] == (
        ":white_check_mark: Draft RE-00042 created — "
        "<https://office.bexio.com/index.php/kb_invoice/show/id/42|Open in bexio>"
    )
    assert "Net CHF 1'875.00 · VAT 8.1 % CHF 151.88 · rounding CHF 0.02 · *total CHF 2'026.90*" in lines[1]
    assert len(lines) == 2
    assert invoice_modal.dm_text(_outcome()).startswith("✓ Draft RE-00042 created — Open in bexio: https://")


def test_a_different_bexio_total_is_shown_never_hidden() -> None:
    lines = invoice_modal.result_lines(_outcome(bexio_total=Decimal("2026.85")))
    assert lines[-1].startswith(":warning: bexio computed CHF 2'026.85, the preview said CHF 2'026.90")
    assert "difference CHF -0.05" in lines[-1]


def test_refusal_quotes_bexio_and_says_what_to_fix() -> None:
    outcome = _outcome(
        created=False,
        bexio_id=None,
        document_nr=None,
        url=None,
        errors=("positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]",),
        hint="A line's account is not an active income account in bexio: fix it in Settings → Account mapping.",
    )
    lines = invoice_modal.result_lines(outcome)
    assert lines[1] == "```positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]```"
    assert "Account mapping" in lines[2] and "free to invoice again" in lines[2]


def test_field_errors_land_under_the_blocks_they_concern() -> None:
    view = {
        "blocks": [
            {"type": "input", "block_id": invoice_modal.CUSTOMER_BLOCK, "element": {}},
            {"type": "input", "block_id": invoice_modal.GROUPING_BLOCK, "element": {}},
            {
                "type": "input",
                "block_id": "invoice_lines:abc:0",
                "element": {"options": [{"value": "h:1"}, {"value": "h:2"}]},
            },
            {"type": "input", "block_id": "invoice_lines:abc:1", "element": {"options": [{"value": "x:3"}]}},
            {"type": "input", "block_id": invoice_modal.NUMBERING_BLOCK, "element": {}},
        ]
    }
    refused = InvoiceRefused(
        {Field.LINES: "summary", Field.NUMBERING: "numbering problem"},
        {"x:3": "Material has no bexio account", "h:2": "Umsetzung has no hourly rate"},
    )
    assert invoice_modal.field_errors(refused, view) == {
        "invoice_lines:abc:1": "Material has no bexio account",
        "invoice_lines:abc:0": "Umsetzung has no hourly rate",
        invoice_modal.NUMBERING_BLOCK: "numbering problem",
    }
    nothing = InvoiceRefused({Field.LINES: "Nothing to invoice"})
    without_lines = {"blocks": view["blocks"][:2]}
    assert invoice_modal.field_errors(nothing, without_lines) == {
        invoice_modal.GROUPING_BLOCK: "Nothing to invoice"
    }


def test_account_mapping_pages_long_lists() -> None:
    income = AccountChoice(121, "3400", "Dienstleistungserlöse")
    rows = [MappingRow("activity", i, f"Activity {i}", income, income) for i in range(45)]
    first = account_mapping.build(rows)
    inputs = [b for b in first["blocks"] if b["type"] == "input"]
    assert len(inputs) == account_mapping.PAGE_SIZE
    assert "Next ▶" in str(first["blocks"][-1]) and "Previous" not in str(first["blocks"][-1])
    second = account_mapping.build(rows, 1)
    assert len([b for b in second["blocks"] if b["type"] == "input"]) == 5
    assert "◀ Previous" in str(second["blocks"][-1])
    assert inputs[0]["element"]["initial_option"]["text"]["text"] == "3400 Dienstleistungserlöse"
