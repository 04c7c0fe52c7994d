"""The message catalogs (issue 14 §6): every text the code marks exists in German, French and
Italian with the same placeholders, and the catalogs hold nothing the code no longer uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from core.i18n import CATALOG_DIR, LANGUAGES, SOURCE_LANGUAGE, catalog_messages, compile_catalog, translations

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("core", "bot", "services", "bexio", "webhooks", "storage")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "in_language": (2,)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]


def used_messages() -> dict[str, str]:
    """Message id → where the code uses it."""
    found: dict[str, str] = {}
    for package in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
        ):
            # A plural (ngettext) is one catalog entry, keyed by its singular.
            text = message[0] if isinstance(message, tuple) else message
            if text:
                found.setdefault(text, f"{package}/{filename}:{lineno}")
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_the_code_uses_is_translated(language: str) -> None:
    catalog = catalog_messages(language)
    missing = [
        f"{where}: {message!r}" for message, where in used_messages().items() if not catalog.get(message)
    ]
    assert not missing, f"{len(missing)} message(s) have no {language} translation:\n" + "\n".join(
        missing[:40]
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language: str) -> None:
    wrong = []
    for message, translated in catalog_messages(language).items():
        forms = translated if isinstance(translated, tuple) else (translated,)
        for form in forms:
            if form and set(PLACEHOLDER.findall(form)) - {"n"} != set(PLACEHOLDER.findall(message)) - {"n"}:
                wrong.append(f"{message!r} → {form!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogs_hold_only_messages_the_code_uses(language: str) -> None:
    used = used_messages()
    stale = [message for message in catalog_messages(language) if message not in used]
    assert not stale, f"{language} catalogs hold messages no code uses: {stale[:20]}"


def test_german_is_written_for_swiss_readers() -> None:
    sharp_s = [m for m, t in catalog_messages("de").items() if "ß" in str(t)]
    assert not sharp_s, f"write ss, not ß: {sharp_s}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogs_compile_and_are_used(language: str) -> None:
    assert compile_catalog(language)
    translations.cache_clear()
    catalog = catalog_messages(language)
    for message, translated in list(catalog.items())[:5]:
        if isinstance(translated, str) and translated:
            assert translations(language).gettext(message) == translated


def test_every_language_has_a_catalog_directory() -> None:
    for language in TRANSLATED:
        assert (CATALOG_DIR / language).is_dir()
