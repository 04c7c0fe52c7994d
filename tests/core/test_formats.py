"""Swiss formats in every language (issue 14 §3): a full date is `05.12.2026`, an amount
`CHF 1'234.50` with the ASCII apostrophe, a duration `2:30` (shown with `h`) — whatever language the
reader speaks, unlike Babel's locale defaults ("1'234,50 CHF" for fr_CH)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.dates import format_date, format_date_time
from core.durations import format_duration
from core.i18n import LANGUAGES, language_scope
from core.money import format_money
from core.taxes import Tax, TaxSelectionError, select_tax
from services.importing.summary import ImportSummary, SkippedRecord, skipped_lines


@pytest.mark.parametrize("language", LANGUAGES)
def test_formats_are_the_same_in_every_language(language: str) -> None:
    with language_scope(language):
        assert format_date(date(2026, 12, 5)) == "05.12.2026"
        assert format_date(date(987, 1, 9)) == "09.01.0987"
        assert format_date_time(datetime(2026, 12, 5, 7, 3)) == "05.12.2026 07:03"
        assert format_money(Decimal("1234.5")) == "CHF 1'234.50"
        assert format_money(Decimal("-1234567.891")) == "CHF -1'234'567.89"
        assert format_duration(150) == "2:30"


def _tax(code: str, *, active: bool = True) -> Tax:
    return Tax(
        bexio_id=1,
        code=code,
        type="sales_tax",
        value=Decimal("8.1"),
        is_active=active,
        start_year=2024,
        start_month=1,
        end_year=None,
        end_month=None,
    )


EXPECTED_MISSING = {
    "en": "bexio has no UN sales tax valid on 05.12.2026",
    "de": "bexio hat keinen am 05.12.2026 gültigen MWST-Satz UN",
    "fr": "bexio n’a aucun taux de TVA UN valable le 05.12.2026",
    "it": "bexio non ha alcuna aliquota IVA UN valida il 05.12.2026",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tax_that_cannot_be_chosen_is_told_in_the_language_with_a_swiss_date(language: str) -> None:
    with language_scope(language), pytest.raises(TaxSelectionError) as missing:
        select_tax("UN", [], date(2026, 12, 5))
    assert missing.value.message.startswith(EXPECTED_MISSING[language])
    with language_scope(language), pytest.raises(TaxSelectionError) as inactive:
        select_tax("UN", [_tax("UN81", active=False)], date(2026, 12, 5))
    assert "05.12.2026" in inactive.value.message and "UN81" in inactive.value.message
    with language_scope(language), pytest.raises(TaxSelectionError) as typo:
        select_tax("81", [], date(2026, 12, 5))
    assert "“81”" in typo.value.message
    if language != "en":
        assert "sales tax" not in inactive.value.message + typo.value.message


# --- why a bexio record could not be read, in the reader's language (issue 14 §1) ------------------


def _unreadable_customer() -> SkippedRecord:
    from pydantic import BaseModel

    from bexio.reading import PageReader

    class Contact(BaseModel):
        id: int
        contact_type_id: int
        name_1: str

    _read, unreadable = PageReader(Contact).read(b'[{"id": 17, "contact_type_id": "Firma"}]')
    [record] = unreadable
    return SkippedRecord("customers", record.id, record.reason, record.problem)


EXPECTED_REASON = {
    "en": "1 customer could not be read: id 17 — contact_type_id: not a whole number (got 'Firma'); 1 more problem",
    "de": "1 Kunde konnte nicht gelesen werden: ID 17 — contact_type_id: keine ganze Zahl (erhalten: 'Firma'); "
    "1 weiteres Problem",
    "fr": "contact_type_id : pas un nombre entier (reçu : 'Firma') ; 1 autre problème",
    "it": "contact_type_id: non è un numero intero (ricevuto: 'Firma'); 1 altro problema",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unreadable_record_is_explained_in_the_language(language: str) -> None:
    skipped = _unreadable_customer()
    assert skipped.reason.startswith("contact_type_id: Input should be a valid integer"), (
        "the log stays English"
    )
    stored = ImportSummary.from_record(ImportSummary(skipped=[skipped]).to_record()).skipped
    assert ImportSummary(skipped=[skipped]).to_json()["skipped"] == [skipped.to_json()], "the JSON contract"
    with language_scope(language):
        [line] = skipped_lines(stored)
    assert EXPECTED_REASON[language] in line
    if language != "en":
        assert "Input should" not in line and "more problem" not in line


def test_a_summary_stored_before_the_parts_were_kept_still_reads() -> None:
    old = {
        "skipped": [{"resource": "customers", "id": 3, "reason": "postcode: Input should be a valid string"}]
    }
    with language_scope("de"):
        [line] = skipped_lines(ImportSummary.from_record(old).skipped)
    assert line.endswith("ID 3 — postcode: Input should be a valid string")
    damaged = {
        "skipped": [{"resource": "customers", "id": 3, "reason": "r", "problem": {"kind": "nonsense"}}]
    }
    assert ImportSummary.from_record(damaged).skipped[0].problem is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (KeyError("name_1"), "ID 4 — name_1: fehlt"),
        (
            ValueError("no such project state 7"),
            "ID 4 — der Datensatz: ein Wert, den bxhours nicht lesen kann",
        ),
    ],
)
def test_a_record_whose_values_cannot_be_used_is_explained_in_the_language(
    error: Exception, expected: str
) -> None:
    from bexio.reading import problem_of_row

    skipped = SkippedRecord("projects", 4, f"{type(error).__name__}: {error}", problem_of_row(error))
    with language_scope("de"):
        [line] = skipped_lines([skipped])
    assert line.endswith(expected)
    assert skipped.to_json()["reason"].startswith(type(error).__name__), "the JSON keeps the detail"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Das Rechnungsnummern-Format '1' hat kein {seq}"),
        ("fr", "Le format de numéro de facture '1' n’a pas de {seq}"),
        ("it", "Il formato del numero di fattura '1' non ha {seq}"),
        ("en", "Invoice number format '1' has no {seq}, so every number would repeat"),
    ],
)
def test_an_unusable_invoice_number_format_is_refused_in_the_language(language: str, expected: str) -> None:
    from core.numbering import validate_invoice_number_format

    with language_scope(language), pytest.raises(ValueError, match="RE-") as refused:
        validate_invoice_number_format("1")
    assert str(refused.value).startswith(expected)
    assert str(refused.value).endswith("RE-{year}-{seq:04}.")


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_an_import_without_bexio_credentials_says_so_in_the_language(language: str) -> None:
    from services.bexio_access import NOT_CONNECTED, NotConnected
    from services.importing.errors import explain

    with language_scope(language):
        failed = explain(NotConnected(NOT_CONNECTED), reading="customers", auth_kind=None)
    assert failed is not None and failed.connection_broken
    assert "BEXIO_ACCESS_TOKEN" in failed.message and failed.message != NOT_CONNECTED
