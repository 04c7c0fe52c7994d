"""The App Home and what opens from it in German, French and Italian (issue 14 §1, §6): each surface
speaks the language of the scope, German screens hold no English-only words, no English message
of the area is left untranslated, and the strict fake Slack accepts every view in every language
(German is longer: button texts ≤ 75, modal titles ≤ 24)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.views import account_mapping, bexio_connection, new_customer, onboarding, pages, settings_modal
from bot.views import home as home_view
from bot.views import week as week_view
from bot.views.form_state import ModalContext
from bxhours.fakes import block_kit
from core.i18n import CATALOG_DIR, _, catalog_messages, language_scope, ngettext
from core.settings_schema import PATTERN_SETTINGS, SETTINGS, SettingError, validate_setting
from services.home import HomeData
from services.importing.status import ConnectionView
from services.invoicing.accounts import AccountChoice, MappingRow
from services.invoicing.recent import RecentInvoice
from services.onboarding import Checklist, LastImport, UnlinkedPerson
from services.settings import SettingRow
from services.week import WeekDay, WeekItem, WeekView

LANGUAGES = ("de", "fr", "it")
MONDAY = date(2026, 11, 23)
ENGLISH_ONLY = re.compile(
    r"\b(Week|Settings|Admin|Connect|Reconnect|Disconnect|billable|Total|Sync now|Delete|Edit|Save|Cancel|"
    r"Close|Previous|Next|customer|Log hours|Log expense|today|expenses|Page|Pick|Mark)\b"
)
KNOWN = {
    "de": ("Woche", "Einstellungen", "Kontozuordnung", "Neuer Kunde", "bexio verbinden", "verrechenbar"),
    "fr": (
        "Semaine",
        "Paramètres",
        "Attribution des comptes",
        "Nouveau client",
        "Connecter bexio",
        "facturable",
    ),
    "it": (
        "Settimana",
        "Impostazioni",
        "Assegnazione conti",
        "Nuovo cliente",
        "Collega bexio",
        "fatturabile",
    ),
}
MODAL_TITLE, BUTTON = 24, 75


def _item(
    kind: str, item_id: int, day: date, *, locked: str | None = None, billable: bool = True
) -> WeekItem:
    return WeekItem(
        kind=kind,  # type: ignore[arg-type]
        id=item_id,
        day=day,
        project="Website Relaunch",
        detail="Umsetzung" if kind == "time" else "Reisespesen",
        minutes=150 if kind == "time" else None,
        amount=Decimal("84.50") if kind == "expense" else None,
        billable=billable,
        note="Checkout",
        locked=locked,
    )


def _week(per_day: int = 1) -> WeekView:
    days = []
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        items = tuple(
            _item("time" if n % 2 == 0 else "expense", offset * 100 + n, day, billable=n % 3 != 0)
            for n in range(per_day if offset < 5 else 0)
        )
        if offset == 0:
            items += (_item("time", 999, day, locked="RE-00042"),)
        days.append(WeekDay(day, items))
    return WeekView(monday=MONDAY, today=MONDAY + timedelta(days=2), days=tuple(days))


def _checklist(**changes: Any) -> Checklist:
    base: dict[str, Any] = {
        "connection_state": "not_connected",
        "connection_reason": None,
        "company_name": "Alpenblick Digital AG",
        "auth_kind": "oauth",
        "imported": False,
        "last_import": None,
        "unmapped_activities": 0,
        "unmapped_categories": 0,
        "unlinked": (),
        "unlinked_total": 0,
        "people_skipped": False,
        "invited_channel": None,
    }
    return Checklist(**{**base, **changes})


CHECKLISTS = (
    _checklist(),
    _checklist(connection_state="broken", connection_reason=None),
    _checklist(connection_state="unchecked", last_import=LastImport("running")),
    _checklist(connection_state="unchecked", auth_kind="token", last_import=LastImport("failed", None)),
    _checklist(
        connection_state="connected",
        imported=True,
        unmapped_activities=1,
        unmapped_categories=2,
        unlinked=tuple(UnlinkedPerson(n, f"Person {n}", f"p{n}@example.ch") for n in range(10)),
        unlinked_total=12,
    ),
    _checklist(connection_state="connected", imported=True, unmapped_activities=3, unlinked_total=1),
    _checklist(
        connection_state="connected",
        imported=True,
        unmapped_categories=1,
        unlinked_total=2,
        people_skipped=True,
        invited_channel="C0TEAM",
    ),
)


def _connection(**changes: Any) -> ConnectionView:
    base: dict[str, Any] = {
        "state": "connected",
        "reason": None,
        "company_name": "Alpenblick Digital AG",
        "auth_kind": "oauth",
        "token_expires_at": None,
        "expires_soon": False,
        "last_run": None,
        "timezone": "Europe/Zurich",
        "company_address": "Bahnhofstrasse 1, 8001 Zürich",
        "vat_number": "CHE-123.456.789 MWST",
    }
    return ConnectionView(**{**base, **changes})


def _home(**changes: Any) -> HomeData:
    base: dict[str, Any] = {
        "is_admin": True,
        "person_name": "Anna Muster",
        "connection_line": _("bexio: not connected yet — run `/bx-sync` after setting BEXIO_ACCESS_TOKEN"),
        "week": _week(),
        "invoices": (RecentInvoice("RE-00042", "Muster AG", "✓", Decimal("1234.50"), None),),
        "connect_url": "https://bxhours.example/bexio/connect?ticket=t",
        "onboarding": CHECKLISTS[4],
    }
    return HomeData(**{**base, **changes})


def _mapping_rows() -> list[MappingRow]:
    account = AccountChoice(7, "3400", "Dienstleistungserlöse")
    rows = [
        MappingRow("activity", n, f"Tätigkeit {n}", account if n % 2 else None, account) for n in range(45)
    ]
    return [*rows, MappingRow("category", 1, "Reisespesen", None, None)]


def _setting_rows() -> list[SettingRow]:
    rows = [SettingRow(key, spec.default, False, spec.description) for key, spec in SETTINGS.items()]
    pattern = PATTERN_SETTINGS["activity_rate"]
    return [*rows, SettingRow("activity_rate:umsetzung", "150", True, pattern.description)]


def views() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every view of the area, named; built in the current language."""
    yield "home", home_view.render(_home())
    yield "home of someone not linked", home_view.render(_home(is_admin=False, person_name=None, week=None))
    yield "busy week", home_view.render(_home(week=_week(per_day=14), onboarding=None))
    for n, checklist in enumerate(CHECKLISTS):
        blocks = onboarding.blocks(checklist, can_connect=n % 2 == 0)
        yield f"checklist {n}", {"type": "home", "blocks": blocks}
    for n, connection in enumerate(
        (_connection(), _connection(state="broken"), _connection(missing_scopes=("contact_edit",)))
    ):
        data = _home(connection=connection, webhook_url="https://bxhours.example/bexio/webhook/s")
        yield f"bexio connection {n}", {"type": "home", "blocks": bexio_connection.blocks(data)}
    yield "settings", settings_modal.build(_setting_rows())
    yield "account mapping", account_mapping.build(_mapping_rows())
    yield "account mapping, page 2", account_mapping.build(_mapping_rows(), page=1)
    yield "account mapping, empty", account_mapping.build([])
    yield "new customer", new_customer.build()
    yield "new customer created", new_customer.created_view("Muster AG")
    yield "delete hours", week_view.delete_confirm("time", 1, "2:30 h · Website / Umsetzung", ModalContext())
    yield "delete expense", week_view.delete_confirm("expense", 2, "CHF 84.50 · Website", ModalContext())


def messages() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "week message", week_view.message(_week())
    yield "week message, not linked", week_view.message(None)
    text, blocks = bexio_connection.reconnect_message("invalid_grant", "https://bxhours.example/c")
    yield "reconnect DM", {"text": text, "blocks": blocks}
    yield "how-to", {"text": _(onboarding.HOWTO_TEXT), "blocks": onboarding.howto_blocks("U0ADMIN")}


def texts(value: Any) -> Iterator[str]:
    """Every text a person reads in a view or message (not ids, values or urls)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("text", "title", "submit", "close", "label", "placeholder", "hint") and isinstance(
                inner, str
            ):
                yield inner
            elif key not in ("value", "url", "action_id", "block_id", "callback_id", "private_metadata"):
                yield from texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from texts(inner)


def _area_messages(language: str) -> dict[str, str]:
    """English message id → translation, for this area's catalog (core/locale/<lang>/home.po)."""
    from babel.messages.pofile import read_po

    with (CATALOG_DIR / language / "home.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            found[message.id] = message.string
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_view_is_accepted_by_slack_and_fits_in_every_language(language: str) -> None:
    with language_scope(language):
        built = list(views())
        sent = list(messages())
    for name, view in built:
        assert block_kit.view_problems(view) == [], f"{language}: {name}"
        if view["type"] == "modal":
            for key in ("title", "submit", "close"):
                if key in view:
                    assert len(view[key]["text"]) <= MODAL_TITLE, f"{language}: {name} {key}"
                    assert not view[key]["text"].endswith("…"), f"{language}: {name} {key} was cut"
    for name, message in sent:
        assert block_kit.message_problems(message) == [], f"{language}: {name}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_buttons_fit_without_being_cut(language: str) -> None:
    def buttons(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            if value.get("type") == "button":
                yield value["text"]["text"]
            for inner in value.values():
                yield from buttons(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from buttons(inner)

    with language_scope(language):
        everything = [view for _name, view in [*views(), *messages()]]
    labels = [label for view in everything for label in buttons(view)]
    assert labels
    for label in labels:
        assert len(label) <= BUTTON and not label.endswith("…"), f"{language}: {label!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_surface_speaks_the_language(language: str) -> None:
    with language_scope(language):
        shown = "\n".join(text for _name, view in [*views(), *messages()] for text in texts(view))
    for phrase in KNOWN[language]:
        assert phrase in shown, f"{language}: {phrase!r} missing"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_message_of_the_area_is_left(language: str) -> None:
    translated = _area_messages(language)
    with language_scope(language):
        shown = "\n".join(text for _name, view in [*views(), *messages()] for text in texts(view))
    if not plurals_work(language):  # the known fault below: plural texts fall back to English
        shown = re.sub(r"[^\n]*(activities|categories|people) [^\n]*", "", shown)
    left = [
        english
        for english, text in translated.items()
        if len(english) > 12 and english != text and "{" not in english and english in shown
    ]
    assert not left, f"{language}: English left in the views: {left}"


def plurals_work(language: str) -> bool:
    with language_scope(language):
        return ngettext("{n} activity", "{n} activities", 3) != "3 activities"


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_plural_texts_are_translated(language: str) -> None:
    assert plurals_work(language)


def test_german_screens_hold_no_english_only_words() -> None:
    with language_scope("de"):
        for name, view in [*views(), *messages()]:
            for text in texts(view):
                found = ENGLISH_ONLY.search(text)
                assert found is None, f"{name}: {found.group(0)!r} in {text!r}"


def test_english_is_unchanged() -> None:
    shown = "\n".join(text for _name, view in [*views(), *messages()] for text in texts(view))
    for phrase in (
        "Week 48 · 23.11.–29.11.2026",
        "*Mon 23.11.* — 5:00 h",
        " · today",
        "Week total *",
        "◀ Previous week",
        "*Set up bxhours* · 2 of 5 done — this list goes away once all are ✓.",
        "1 activity and 2 expense categories have no account — choose them in *Account mapping*.",
    ):
        assert phrase in shown, phrase


@pytest.mark.parametrize(
    ("language", "heading", "today"),
    [
        ("de", "*Mo 23.11.*", " · heute"),
        ("fr", "*lun. 23.11.*", " · aujourd'hui"),
        ("it", "*lun 23.11.*", " · oggi"),
    ],
)
def test_weekdays_are_named_in_the_language(language: str, heading: str, today: str) -> None:
    with language_scope(language):
        shown = str(week_view.message(_week())["blocks"])
    assert heading in shown
    assert today in shown


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "erwartet eine ganze Zahl"),
        ("fr", "attend un nombre entier"),
        ("it", "richiede un numero intero"),
    ],
)
def test_settings_are_refused_in_the_language(language: str, expected: str) -> None:
    with language_scope(language), pytest.raises(SettingError) as refused:
        validate_setting("poll_full_minutes", "0")
    assert expected in refused.value.message
    assert "poll_full_minutes" in refused.value.message


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "ist archiviert"), ("fr", "est archivé"), ("it", "è archiviato")],
)
def test_checklist_answers_are_in_the_language(language: str, expected: str) -> None:
    with language_scope(language):
        said = onboarding.post_refused("is_archived", "C0TEAM")
    assert said.startswith("<#C0TEAM> ") and expected in said


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_install_pages_name_their_language(language: str) -> None:
    with language_scope(language):
        html = pages.page(_("bxhours was not installed"), [_("Start again")], problem=True)
    assert f'<html lang="{language}">' in html
    assert "bxhours was not installed" not in html


def test_the_catalogs_of_the_area_exist_in_every_language() -> None:
    for language in LANGUAGES:
        assert (CATALOG_DIR / language / "home.po").is_file()
        assert catalog_messages(language).get("Account mapping")
