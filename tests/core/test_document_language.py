"""What bxhours writes into a bexio draft speaks the customer's language (issue 14 §5)."""

from __future__ import annotations

from datetime import date

import pytest

from core.invoice_totals import default_title


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Leistungen November 2026"),
        ("fr", "Prestations novembre 2026"),
        ("it", "Prestazioni novembre 2026"),
        ("en", "Services November 2026"),
        ("de-CH", "Leistungen November 2026"),
        (None, "Leistungen November 2026"),  # no language known: German, as before
        ("rm", "Leistungen November 2026"),  # a language bxhours does not write: German
    ],
)
def test_the_default_title_is_in_the_customers_language(language: str | None, title: str) -> None:
    assert default_title(date(2026, 11, 30), language) == title


def test_march_keeps_its_umlaut() -> None:
    assert default_title(date(2026, 3, 31), "de") == "Leistungen März 2026"
