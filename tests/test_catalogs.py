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


def test_no_module_that_translates_uses_underscore_as_a_throwaway_name() -> None:
    """``for _ in …`` or ``a, _ = …`` in a module that imports ``_`` would make ``_("…")`` call a value."""
    import ast

    offenders = []
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imports_underscore = any(
                isinstance(node, ast.ImportFrom)
                and node.module == "core.i18n"
                and any(alias.name == "_" and alias.asname is None for alias in node.names)
                for node in ast.walk(tree)
            )
            if not imports_underscore:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "rename these throwaway _ names: " + ", ".join(offenders)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plurals_are_translated_for_every_count(language: str) -> None:
    """French and Italian too: a catalog read with three plural forms would leave "5 …" English."""
    translations.cache_clear()
    catalog = translations(language)
    english = [
        message
        for message, translated in catalog_messages(language).items()
        if isinstance(translated, tuple)
        for n in (0, 1, 2, 5, 1_000_000)
        if catalog.ngettext(message, message + " (plural)", n) in (message, message + " (plural)")
    ]
    assert not english, f"{language} plurals fall back to English: {english[:5]}"
