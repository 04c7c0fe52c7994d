"""Texts people read, in German, French, Italian and English, from gettext catalogs (issue 14).

Code writes English and wraps it: ``_("Logged {duration} on {project}", duration=…, project=…)``.
The English text is the message id; the catalogs ``core/locale/<language>/*.po`` hold the other
languages — one file per area of the product, so translators and developers edit different files
without stepping on each other. Placeholders are named (``{duration}``) and filled after the
translation, so a translation may put them in any order.

Which language: the one of the person the work is for, set once where work enters the process
(``language_scope`` — the Slack front door for a request, a job for the person it reports to).
Without one, English. The CLI stays English for operators.

Catalogs are compiled to ``.mo`` by the build (``make``, the package build: ``compile_catalogs``);
a checkout that was not built yet reads the ``.po`` files directly, so nothing breaks before it.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("de", "fr", "it", "en")
"""Every language bxhours speaks; the first is the workspace default of a new installation."""
SOURCE_LANGUAGE: Final = "en"
LANGUAGE_NAMES: Final = {"de": "Deutsch", "fr": "Français", "it": "Italiano", "en": "English"}
"""Each language's name in itself (what a language picker shows)."""
CATALOG_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "bxhours"

current_language: ContextVar[str] = ContextVar("bxhours_language", default=SOURCE_LANGUAGE)


def normalise_language(value: str | None) -> str | None:
    """``de``, ``de-CH``, ``fr_FR``, ``IT`` → the language bxhours speaks; None for any other."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-", 1)[0].casefold()
    return code if code in LANGUAGES else None


@contextmanager
def language_scope(language: str | None) -> Iterator[str]:
    """Speak ``language`` (normalised; English when unknown) for the work inside the block."""
    chosen = normalise_language(language) or SOURCE_LANGUAGE
    token = current_language.set(chosen)
    try:
        yield chosen
    finally:
        current_language.reset(token)


def _(message: str, /, **params: object) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled with ``params``."""
    translated = translations(current_language.get()).gettext(message)
    return translated.format(**params) if params else translated


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The singular or plural form for ``n`` (the language's plural rule), ``{n}`` filled in too."""
    translated = translations(current_language.get()).ngettext(singular, plural, n)
    return translated.format(n=n, **params)


def N_(message: str) -> str:  # gettext's name for "mark for extraction only"
    """Marks a module-level text for the catalogs; translate it where it is shown: ``_(TEXT)``."""
    return message


def in_language(language: str | None, message: str, /, **params: object) -> str:
    """``message`` in a given language (a bexio document in the customer's language)."""
    with language_scope(language):
        return _(message, **params)


# -- catalogs ---------------------------------------------------------------------------------------


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (its ``.mo`` when built, else its ``.po`` files read now)."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return gettext.NullTranslations()
    compiled = CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    sources = sorted((CATALOG_DIR / language).glob("*.po"))
    newest_source = max((p.stat().st_mtime for p in sources), default=0.0)
    if compiled.exists() and compiled.stat().st_mtime >= newest_source:
        with compiled.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    return gettext.GNUTranslations(io.BytesIO(compile_catalog(language)))


def catalog_messages(language: str) -> Mapping[str, object]:
    """Message id → translation (a string, or a tuple of plural forms) of a language's ``.po`` files."""
    from babel.messages.pofile import read_po

    found: dict[str, object] = {}
    for path in sorted((CATALOG_DIR / language).glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            found[str(key)] = message.string
    return found


def compile_catalog(language: str) -> bytes:
    """All ``.po`` files of a language merged into one ``.mo`` (untranslated messages left out, so
    they fall back to English rather than to an empty string)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged = Catalog(locale=language, domain=DOMAIN, fuzzy=False)
    for path in sorted((CATALOG_DIR / language).glob("*.po")):
        with path.open("rb") as handle:
            source = read_po(handle)
        # The catalogs' own plural rule (their Plural-Forms header: two forms), not CLDR's: Babel's
        # newer French and Italian data has three, which would leave every plural but one English.
        merged._num_plurals = source.num_plurals  # type: ignore[assignment]  # no public setter
        merged._plural_expr = source.plural_expr  # type: ignore[assignment]
        for message in source:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    return buffer.getvalue()


def compile_catalogs(root: Path = CATALOG_DIR) -> list[Path]:
    """Write ``<language>/LC_MESSAGES/bxhours.mo`` for every language (``make``, the package build)."""
    written = []
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        target = root / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(compile_catalog(language))
        written.append(target)
    translations.cache_clear()
    return written


if __name__ == "__main__":  # python -m core.i18n: what `make` runs
    for path in compile_catalogs():
        print(f"compiled {path.relative_to(CATALOG_DIR.parent.parent)}")
