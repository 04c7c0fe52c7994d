"""The Slack views of invoicing, as pure functions: what people read, and where errors land."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.views import account_mapping, invoice_modal
from bxhours.fakes import block_kit
from core.i18n import language_scope
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
        hint="A line's account is not an active income account in bexio: fix it in the App Home → Account mapping.",
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


# --- the modal without dead ends, in every language (issue 15 §5–8) -------------------------


def _modal_with_problems(*, admin: bool) -> dict[str, object]:
    from datetime import date

    from core.invoice_lines import Grouping, InvoiceLine, LineBuild, LineKind
    from core.invoice_totals import compute_totals
    from core.taxes import Tax
    from services.invoicing import Numbering, Selection
    from services.invoicing.accounts import MissingAccount
    from services.invoicing.preview import Currency, CustomerRef, Preview

    tax = Tax(1, "UN81", Decimal("8.1"), None, None, None, None, True, "sales_tax")
    hours = InvoiceLine(
        "h:1",
        LineKind.HOURS,
        "Umsetzung",
        Decimal("2.5"),
        "h",
        Decimal("150"),
        Decimal("375.00"),
        tax,
        7,
        (1,),
        (),
        150,
    )
    expense = InvoiceLine(
        "x:1",
        LineKind.EXPENSE,
        "Reisekosten",
        Decimal(1),
        "",
        Decimal("78.17"),
        Decimal("78.17"),
        tax,
        None,
        (),
        (1,),
        0,
    )
    built = (hours, expense)
    preview = Preview(
        selection=Selection(1, None, date(2026, 11, 1), date(2026, 11, 30), Grouping.BY_ACTIVITY),
        customer=CustomerRef(1, "Alpen Bau AG", "000012", 12, True),
        build=LineBuild(built, ()),
        ticked=frozenset({"h:1", "x:1"}),
        totals=compute_totals(built, Decimal("0.05")),
        currency=Currency("CHF", Decimal("0.05")),
        projects=(),
        held={},
    )
    state = invoice_modal.ModalState(
        customer_id=1,
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 30),
        grouping=Grouping.BY_ACTIVITY,
    )
    return invoice_modal.build(
        invoice_modal.ModalData(
            state=state,
            today=date(2026, 12, 5),
            numbering=Numbering(True, True, "RE-2026-0001"),
            preview=preview,
            accounts={7: "3400"},
            can_add_customer=admin,
            missing=(MissingAccount("category", 3, "Reisekosten", ("x:1",)),),
            proposal=AccountChoice(7, "3400", "Dienstleistungserlöse"),
            admins=("U01ANDREA",),
            numbering_problem=None,
            changes=("New: Reisekosten",),
        )
    )


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
@pytest.mark.parametrize("admin", [True, False])
def test_the_modal_without_dead_ends_speaks_every_language(language: str, admin: bool) -> None:
    with language_scope(language):
        view = _modal_with_problems(admin=admin)
    assert block_kit.view_problems(view) == []
    shown = json.dumps(view, ensure_ascii=False)
    expected = {
        "en": ("Invoice November 2026", "VAT 8.1 %", "has no income account yet", "*Total: CHF"),
        "de": ("Rechnung November 2026", "MWST 8.1 %", "hat noch kein Ertragskonto", "*Total: CHF"),
        "fr": ("Facture novembre 2026", "TVA 8.1 %", "n’a pas encore de compte de produits", "*Total : CHF"),
        "it": ("Fattura novembre 2026", "IVA 8.1 %", "non ha ancora un conto ricavi", "*Totale: CHF"),
    }[language]
    for text in expected:
        assert text in shown, (language, text)
    assert "UN81" not in shown
    if admin:
        assert invoice_modal.ACCOUNT_BLOCK_PREFIX in shown and "3400 Dienstleistungserlöse" in shown
    if not admin:
        assert "<@U01ANDREA>" in shown and invoice_modal.ACCOUNT_BLOCK_PREFIX not in shown
    if language != "en":
        for english in ("Customer and period", "Billable services", "The lines changed", "Proposed:"):
            assert english not in shown, (language, english)
