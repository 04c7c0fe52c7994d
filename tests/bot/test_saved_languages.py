"""The apology after a failure that followed a save, in the person's language (issue 14 §1)."""

from __future__ import annotations

import pytest

from bot.handlers.saved import Ledger
from bot.handlers.surfaces import saved_but_failed_text
from core.i18n import language_scope


@pytest.mark.parametrize(
    ("language", "said", "start"),
    [
        ("en", "your hours and the invoice", "✓ Your hours and the invoice: saved."),
        ("de", "deine Stunden und die Rechnung", "✓ Deine Stunden und die Rechnung: gespeichert."),
        ("fr", "vos heures et la facture", "✓ Vos heures et la facture : enregistré."),
        ("it", "le tue ore e la fattura", "✓ Le tue ore e la fattura: salvato."),
    ],
)
def test_what_was_saved_is_said_in_the_persons_language(language: str, said: str, start: str) -> None:
    ledger = Ledger(["your hours", "the invoice"])
    with language_scope(language):
        assert ledger.said() == said
        text = saved_but_failed_text(ledger.said(), "ab12cd34")
    assert text.startswith(start) and text.endswith("`ab12cd34`.")
    assert ledger.describe() == "your hours and the invoice"  # the log stays English
