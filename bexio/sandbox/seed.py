"""Deterministic sandbox companies: `empty`, `demo` and `large`.

* `empty` — a fresh Swiss bexio account as the recorded responses show it: one superadmin,
  the sample contact "bexio AG", contact groups Partner / Lieferanten / Benutzerdefinierte
  Kategorie 1 and 2, units Stk and h, eight languages, CHF (round factor 0.05) / EUR / USD /
  GBP, seven payment types, the 25 recorded taxes (UN81 8.1 % = id 14, UR26 2.6 % = id 15),
  a KMU chart of accounts, the five business activities without rates, one bank account, the
  company profile and the document settings (`RE-%nummer%`). No payroll module (403), as on
  a trial account.
* `demo` — `empty` plus a company to work with: 15 users (one superadmin), 60 contacts of
  which 25 carry the "Kunden" group (one of those and two others archived), 12 projects
  covering all four invoice types, the activities with rates and the income account 3400
  Dienstleistungserlöse, the sales taxes of both VAT periods — UN77 7.7 % and UR25 2.5 %
  (2018–2023) next to UN81/UR26 — all active, two years of timesheets up to yesterday, two
  invoices, and payroll employees.
* `large` — `demo`'s shape at benchmark size: 5000 contacts, 500 projects, 100 000 timesheets.

The same seed name, sizes and clock date give the same data; timesheet dates are relative to
the clock's today so "last month" always has work in it.

**Other companies** (`build_state(seed, company=2)`, for serving several companies from one
sandbox): the same seed with another company around it — its own `company_id`
(`sandbox2company`), company profile (name, address, VAT number), users with other e-mails,
and contacts, projects, timesheets and invoices drawn from another random sequence. Record ids
start at 1 in every company, so they overlap between companies on purpose. Only company 1
accepts the demo token. Company 2 is "Seeblick Treuhand AG" in Luzern, its superadmin
`reto.brunner@seeblick.example`; in the `demo` seed its user 2 is Andrea Keller,
`andrea.keller@alpenblick.example` — company 1's superadmin, here an accountant without
superadmin rights (a trustee working for both), so her e-mail signs in to two companies.
Companies 3 and up are "Sandbox Firma <n> AG" with e-mails at `firma<n>.example`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from bexio.sandbox.clock import Clock, SystemClock
from bexio.sandbox.contacts import blank_contact
from bexio.sandbox.documents import default_logo
from bexio.sandbox.invoice_positions import build_positions, check_positions
from bexio.sandbox.invoices import PAID, PENDING, new_invoice, next_document_nr, recompute_totals
from bexio.sandbox.json_cache import Record
from bexio.sandbox.payroll import ADDRESS_KEYS, blank_employee
from bexio.sandbox.projects import blank_project
from bexio.sandbox.seed_data import records
from bexio.sandbox.shapes import Shapes, parse_shapes, shapes_from_env
from bexio.sandbox.state import SandboxSettings, SandboxState
from bexio.sandbox.timesheets import timesheet_record

SEEDS: Final = ("empty", "demo", "large")
DEMO_CLIENT_ID: Final = "bxhours-sandbox"
DEMO_CLIENT_SECRET: Final = "sandbox-client-secret"  # noqa: S105 - a fixture for local OAuth flows
DEMO_REDIRECT_URIS: Final = ("http://127.0.0.1*", "http://localhost*")

KUNDEN_GROUP_ID: Final = 6
INCOME_ACCOUNT_3400: Final = 121
UN77_TAX_ID: Final = 1
UR25_TAX_ID: Final = 2
UN81_TAX_ID: Final = 14
UR26_TAX_ID: Final = 15


@dataclass(frozen=True)
class Sizes:
    contacts: int
    projects: int
    timesheets: int


DEFAULT_SIZES: Final = {"demo": Sizes(60, 12, 6000), "large": Sizes(5000, 500, 100_000)}

_NS: Final = uuid.UUID("4d6a1f3e-5b7c-4e8d-9f00-b3c1e0a5d2f7")

_FIRST_NAMES: Final = (
    "Anna", "Luca", "Mia", "Noah", "Lea", "Elias", "Laura", "Leon", "Sara", "Jonas",
    "Nina", "David", "Lena", "Simon", "Julia", "Marco", "Chiara", "Reto", "Sandra", "Beat",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Meier", "Müller", "Schmid", "Keller", "Weber", "Huber", "Brunner", "Frei", "Baumann", "Gerber",
    "Moser", "Widmer", "Graf", "Steiner", "Fischer", "Bühler", "Kälin", "Rossi", "Favre", "Bernasconi",
)  # fmt: skip
_COMPANY_WORDS: Final = (
    "Alpen", "Berg", "Rhein", "Seeland", "Jura", "Limmat", "Aare", "Säntis", "Pilatus", "Gotthard",
    "Emmental", "Ticino", "Engadin", "Reuss", "Zuger", "Linth", "Rigi", "Thur", "Glarner", "Bünder",
)  # fmt: skip
_COMPANY_KINDS: Final = (
    "Bau AG", "Treuhand GmbH", "Druck AG", "Informatik AG", "Immobilien AG", "Garage GmbH",
    "Architekten AG", "Gastro GmbH", "Elektro AG", "Consulting GmbH", "Holzbau AG", "Praxis AG",
)  # fmt: skip
_CITIES: Final = (
    ("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("6003", "Luzern"), ("9000", "St. Gallen"),
    ("8400", "Winterthur"), ("6300", "Zug"), ("5000", "Aarau"), ("7000", "Chur"), ("8640", "Rapperswil"),
)  # fmt: skip
_STREETS: Final = (
    "Bahnhofstrasse",
    "Hauptstrasse",
    "Dorfstrasse",
    "Seestrasse",
    "Industriestrasse",
    "Kirchweg",
)
_PROJECT_WORDS: Final = (
    "Website Relaunch", "ERP-Einführung", "Jahresabschluss", "Netzwerk-Erneuerung", "Onlineshop",
    "Cloud-Migration", "Intranet", "CRM-Anbindung", "Datenschutz-Audit", "App-Entwicklung",
    "Support-Vertrag", "Schulung", "Umbau Büro", "Marketing-Kampagne", "Reporting",
)  # fmt: skip
_WORK_TEXTS: Final = (
    "Besprechung mit Kunde", "Konzept erstellt", "Umsetzung Feature", "Tests und Korrekturen",
    "Dokumentation", "Telefonsupport", "Abstimmung intern", "Deployment", "Offerte vorbereitet", "",
)  # fmt: skip
_ACTIVITY_RATES: Final = {1: 120, 2: 140, 3: 165, 4: 150, 5: 137.5}


@dataclass(frozen=True)
class CompanyIdentity:
    """Who a sandbox company is: its profile and its first superadmin."""

    number: int
    company_id: str
    name: str
    street: str
    house_number: str
    postcode: int
    city: str
    domain: str
    mwst_nr: str
    superadmin: tuple[str, str, str]  # firstname, lastname, salutation_type

    @property
    def superadmin_email(self) -> str:
        first, last, _ = self.superadmin
        return f"{_ascii(first.lower())}.{_ascii(last.lower())}@{self.domain}"


ALPENBLICK: Final = CompanyIdentity(
    1,
    "sandbox0company",
    "Alpenblick Digital AG",
    "Bahnhofstrasse",
    "12",
    8001,
    "Zürich",
    "alpenblick.example",
    "CHE-123.456.789 MWST",
    ("Andrea", "Keller", "female"),
)
SEEBLICK: Final = CompanyIdentity(
    2,
    "sandbox2company",
    "Seeblick Treuhand AG",
    "Seestrasse",
    "45",
    6003,
    "Luzern",
    "seeblick.example",
    "CHE-234.567.891 MWST",
    ("Reto", "Brunner", "male"),
)


def company_identity(number: int) -> CompanyIdentity:
    """Company `number` (1, 2, …) of a sandbox serving several."""
    if number < 1:
        raise ValueError("company numbers start at 1")
    if number == 1:
        return ALPENBLICK
    if number == 2:
        return SEEBLICK
    postcode, city = _CITIES[number % len(_CITIES)]
    first = _FIRST_NAMES[number * 3 % len(_FIRST_NAMES)]
    return CompanyIdentity(
        number,
        f"sandbox{number}company",
        f"Sandbox Firma {number} AG",
        _STREETS[number % len(_STREETS)],
        str(number),
        int(postcode),
        city,
        f"firma{number}.example",
        f"CHE-{number % 1000:03d}.{number * 7 % 1000:03d}.{number * 13 % 1000:03d} MWST",
        (
            first,
            _LAST_NAMES[(number * 3 + 1) % len(_LAST_NAMES)],
            "female" if first.endswith("a") else "male",
        ),
    )


def _ascii(name: str) -> str:
    return name.replace("ü", "ue").replace("ä", "ae").replace("ö", "oe")


def _uuid(kind: str, number: int) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{number}"))


def _put(state: SandboxState, table: str, rows: list[Record]) -> None:
    for row in rows:
        state.tables[table][row["id"]] = row


def _fresh_account(state: SandboxState) -> None:
    for table, name in (
        ("user", "users"),
        ("account", "accounts"),
        ("account_group", "account_groups"),
        ("tax", "taxes"),
        ("language", "languages"),
        ("payment_type", "payment_types"),
        ("kb_item_setting", "kb_item_settings"),
        ("currency", "currencies"),
        ("bank_account", "bank_accounts"),
        ("company_profile", "company_profiles"),
        ("client_service", "client_services"),
    ):
        _put(state, table, records(name))
    for profile in state.tables["company_profile"].values():
        profile["logo_base64"] = default_logo()
    _put(
        state,
        "contact_group",
        [
            {"id": 1, "name": "Partner"},
            {"id": 3, "name": "Lieferanten"},
            {"id": 4, "name": "Benutzerdefinierte Kategorie 1"},
            {"id": 5, "name": "Benutzerdefinierte Kategorie 2"},
        ],
    )
    state.next_ids["contact_group"] = 6
    countries = ("Schweiz", "Deutschland", "Österreich", "Frankreich", "Italien", "Liechtenstein")
    _put(state, "country", [{"id": i, "name": name} for i, name in enumerate(countries, start=1)])
    _put(state, "unit", [{"id": 1, "name": "Stk"}, {"id": 2, "name": "h"}])
    # Project states and types, timesheet statuses: bexio's default names are UNCONFIRMED.
    _put(
        state,
        "pr_project_state",
        [{"id": 1, "name": "Offen"}, {"id": 2, "name": "Aktiv"}, {"id": 3, "name": "Abgeschlossen"}],
    )
    _put(
        state, "pr_project_type", [{"id": 1, "name": "Internes Projekt"}, {"id": 2, "name": "Kundenprojekt"}]
    )
    _put(
        state,
        "timesheet_status",
        [
            {"id": 1, "name": "Offen"},
            {"id": 2, "name": "In Arbeit"},
            {"id": 3, "name": "Erledigt"},
            {"id": 4, "name": "Abgerechnet"},
        ],
    )
    sample = blank_contact(1, "000001")
    sample.update(records("contacts")[0])
    state.tables["contact"][1] = sample
    state.counters["contact"] = 1


def _company_profile(state: SandboxState, identity: CompanyIdentity) -> None:
    """The company's profile and its superadmin (user 1)."""
    state.company_id = identity.company_id
    profile = state.tables["company_profile"][1]
    profile.update(
        name=identity.name,
        address=f"{identity.street} {identity.house_number}",
        address_nr=identity.house_number,
        # An integer, as bexio's API description types it and its samples show ("postcode": 8640).
        postcode=identity.postcode,
        city=identity.city,
        mail=f"info@{identity.domain}",
        url=f"https://{identity.domain}",
        mwst_nr=identity.mwst_nr,
        has_own_logo=True,
    )
    first, last, salutation = identity.superadmin
    superadmin = state.tables["user"][1]
    superadmin.update(firstname=first, lastname=last, email=identity.superadmin_email)
    if identity.number != 1:  # company 1 keeps the recorded user's salutation, as it always had
        superadmin["salutation_type"] = salutation


def _demo_company(state: SandboxState, identity: CompanyIdentity) -> None:
    _company_profile(state, identity)
    users = state.tables["user"]
    shift = 0 if identity.number == 1 else identity.number * 5
    for user_id in range(2, 16):
        index = (user_id + shift) % len(_FIRST_NAMES)
        first, last = _FIRST_NAMES[index], _LAST_NAMES[index]
        users[user_id] = {
            "id": user_id,
            "salutation_type": "female" if first.endswith("a") else "male",
            "firstname": first,
            "lastname": last,
            "email": f"{first.lower()}.{_ascii(last.lower())}@{identity.domain}",
            "is_superadmin": False,
            "is_accountant": user_id == 2,
        }
    if identity.number == 2:
        # A trustee: company 1's superadmin keeps the books here, without superadmin rights.
        first, last, salutation = ALPENBLICK.superadmin
        users[2].update(
            salutation_type=salutation, firstname=first, lastname=last, email=ALPENBLICK.superadmin_email
        )
    state.tables["contact_group"][KUNDEN_GROUP_ID] = {"id": KUNDEN_GROUP_ID, "name": "Kunden"}
    state.next_ids["contact_group"] = KUNDEN_GROUP_ID + 1
    for tax_id, code, rate, digit, reduced in (
        (UN77_TAX_ID, "UN77", 7.7, "302", False),
        (UR25_TAX_ID, "UR25", 2.5, "312", True),
    ):
        kind = "RS" if reduced else "NS"
        state.tables["tax"][tax_id] = {
            "id": tax_id,
            "uuid": _uuid("tax", tax_id),
            "name": f"lib.model.tax.ch.sales_tax_{digit}.name",
            "code": code,
            "digit": digit,
            "type": "sales_tax",
            "account_id": 105,
            "tax_settlement_type": "none",
            "value": rate,
            "net_tax_value": None,
            "start_year": 2018,
            "end_year": 2023,
            "is_active": True,
            "display_name": f"{code} - Revenue ({kind}) {rate:.2f}%",
            "start_month": 1,
            "end_month": 12,
        }
    state.tables["tax"] = dict(sorted(state.tables["tax"].items()))
    for activity_id, rate in _ACTIVITY_RATES.items():
        state.tables["client_service"][activity_id].update(
            default_price_per_hour=rate, account_id=INCOME_ACCOUNT_3400
        )


def _contacts(state: SandboxState, rng: random.Random, count: int, today: date) -> list[int]:
    """Generate contacts 2..count; returns the ids of active customers (tagged "Kunden")."""
    generated = max(count - 1, 0)
    tagged_count = min(25, generated) if count <= 60 else round(generated * 0.4)
    ids = list(range(2, generated + 2))
    tagged = set(rng.sample(ids, tagged_count))
    archived_tagged = set(rng.sample(sorted(tagged), min(1, len(tagged))))
    untagged = [i for i in ids if i not in tagged]
    archived = archived_tagged | set(
        rng.sample(untagged, min(2 if count <= 60 else generated // 50, len(untagged)))
    )
    for contact_id in ids:
        person = rng.random() < 0.25
        postcode, city = rng.choice(_CITIES)
        street = rng.choice(_STREETS)
        number = str(rng.randint(1, 120))
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        if person:
            name_1, name_2 = last, first
        else:
            name_1, name_2 = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)}", ""
        groups: str | None
        if contact_id in tagged:
            groups = rng.choice(("6", "6", "6", "1,6", "6,4"))
        else:
            groups = rng.choice((None, None, "1", "3", "4,5"))
        empty = rng.choice(("", None))  # bexio mixes "" and null for empty values
        record = blank_contact(contact_id, str(contact_id).zfill(6))
        record.update(
            contact_type_id=2 if person else 1,
            name_1=name_1,
            name_2=name_2,
            salutation_id=(1 if first.endswith("a") else 2) if person else None,
            address=f"{street} {number}",
            street_name=street,
            house_number=number,
            postcode=postcode,
            city=city,
            country_id=1,
            mail=f"info@{name_1.split()[0].lower()}{contact_id}.example"
            if not person
            else f"{first.lower()}@{last.lower()}.example",
            mail_second=empty,
            phone_fixed=f"+41 44 {rng.randint(200, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            phone_mobile=empty,
            fax=empty,
            url=empty,
            language_id=1,
            contact_group_ids=groups,
            user_id=rng.randint(1, 15),
            owner_id=1,
            updated_at=(today - timedelta(days=rng.randint(0, 730))).isoformat()
            + f" {rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        )
        state.tables["contact"][contact_id] = record
    state.counters["contact"] = generated + 1
    state.archived["contact"] = archived
    return sorted(tagged - archived)


def _projects(
    state: SandboxState, rng: random.Random, count: int, customers: list[int], today: date
) -> list[Record]:
    projects = []
    for project_id in range(1, count + 1):
        invoice_type = (project_id - 1) % 4 + 1
        start = today - timedelta(days=rng.randint(400, 760))
        record = blank_project(project_id, str(project_id).zfill(6), _uuid("project", project_id))
        record.update(
            name=f"{rng.choice(_PROJECT_WORDS)} {project_id}",
            start_date=f"{start.isoformat()} 00:00:00",
            comment="",
            pr_state_id=3 if project_id % 11 == 0 else 2,
            pr_project_type_id=2,
            contact_id=customers[(project_id - 1) % len(customers)] if customers else 1,
            pr_invoice_type_id=invoice_type,
            pr_invoice_type_amount={3: "155.00", 4: f"{rng.randint(4, 40) * 1000}.00"}.get(invoice_type),
            pr_budget_type_id=2 if invoice_type != 4 else 1,
            pr_budget_type_amount="120.00" if invoice_type != 4 else "20000.00",
            user_id=rng.randint(1, 15),
        )
        state.tables["pr_project"][project_id] = record
        projects.append(record)
    state.counters["pr_project"] = count
    return projects


def _timesheets(
    state: SandboxState, rng: random.Random, count: int, projects: list[Record], today: date
) -> None:
    days = [today - timedelta(days=offset) for offset in range(730, 0, -1)]
    work_days = [day.isoformat() for day in days if day.weekday() < 5]
    durations = [15 * q for q in range(1, 33)]
    weights = [1 if q > 16 else 3 for q in range(1, 33)]
    chosen_minutes = rng.choices(durations, weights, k=count)
    chosen_days = sorted(rng.choices(work_days, k=count))
    table = state.tables["timesheet"]
    for timesheet_id, (day, minutes) in enumerate(zip(chosen_days, chosen_minutes, strict=True), start=1):
        project = rng.choice(projects) if projects and rng.random() < 0.9 else None
        if rng.random() < 0.1:
            start_minute = rng.randint(7 * 4, 12 * 4) * 15
            end_minute = start_minute + minutes
            tracking = {
                "type": "range",
                "start": f"{day} {start_minute // 60:02d}:{start_minute % 60:02d}:00",
                "end": f"{day} {end_minute // 60:02d}:{end_minute % 60:02d}:00",
            }
        else:
            tracking = {
                "type": "duration",
                "date": day,
                "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
            }
        record = timesheet_record(timesheet_id, tracking, day, minutes)
        record.update(
            user_id=rng.randint(1, 15),
            status_id=rng.choice((1, 3, 3, 4)),
            client_service_id=rng.randint(1, 5),
            text=rng.choice(_WORK_TEXTS),
            allowable_bill=project is not None and rng.random() < 0.92,
            contact_id=project["contact_id"] if project else None,
            pr_project_id=project["id"] if project else None,
        )
        table[timesheet_id] = record


def _invoices(state: SandboxState, customers: list[int], today: date) -> None:
    """Two historic invoices, so lists, searches and status polls have something to show."""
    for status, months_ago, hours in ((PAID, 3, "12.5"), (PENDING, 1, "7.25")):
        contact_id = customers[0] if customers else 1
        issued = (today.replace(day=1) - timedelta(days=30 * months_ago)).isoformat()
        parsed, errors = check_positions(
            state,
            [
                {"type": "KbPositionText", "text": "Leistungen gemäss Rapport"},
                {
                    "type": "KbPositionCustom",
                    "amount": hours,
                    "unit_id": 2,
                    "account_id": INCOME_ACCOUNT_3400,
                    "tax_id": UN81_TAX_ID,
                    "text": "Umsetzung",
                    "unit_price": "150",
                },
            ],
        )
        assert not errors, errors
        clean = {
            "contact_id": contact_id,
            "user_id": 1,
            "is_valid_from": issued,
            "title": "Leistungen",
            "api_reference": None,
        }
        record = new_invoice(state, state.new_id("kb_invoice"), clean, next_document_nr(state))
        record["positions"] = build_positions(state, parsed).stored
        recompute_totals(state, record)
        record["kb_item_status_id"] = status
        if status == PAID:
            record["total_received_payments"] = record["total"]
            recompute_totals(state, record)
        state.tables["kb_invoice"][record["id"]] = record


def _payroll(state: SandboxState, rng: random.Random, today: date) -> None:
    for user_id in range(2, 12):
        user = state.tables["user"][user_id]
        employee = blank_employee(_uuid("employee", user_id))
        employee.update(
            first_name=user["firstname"],
            last_name=user["lastname"],
            date_of_birth=date(1970 + user_id * 2, user_id % 12 + 1, 10).isoformat(),
            gender=user["salutation_type"],
            nationality="CH",
            email=user["email"],
            personal_number=str(100 + user_id),
            employment_level=rng.choice((60, 80, 100, 100)),
            address={key: None for key in ADDRESS_KEYS}
            | {"city": "Zürich", "zip_code": "8001", "country": "CH"},
        )
        state.payroll_employees[employee["id"]] = employee
        start = today - timedelta(days=rng.randint(20, 200))
        absence_id = _uuid("absence", user_id)
        state.payroll_absences[employee["id"]] = {
            absence_id: {
                "id": absence_id,
                "reason": "Vacation",
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=4)).isoformat(),
                "half_day": False,
                "continued_pay": True,
                "disability": None,
                "paid_hours": None,
            }
        }


def _set_next_ids(state: SandboxState) -> None:
    for table, rows in state.tables.items():
        if rows:
            state.next_ids[table] = max(state.next_ids.get(table, 1), max(rows) + 1)


def build_state(
    seed: str = "demo",
    *,
    contacts: int | None = None,
    projects: int | None = None,
    timesheets: int | None = None,
    clock: Clock | None = None,
    shapes: Shapes | None = None,
    company: int = 1,
) -> SandboxState:
    """A sandbox company; the sizes override the seed's defaults (not allowed for `empty`).

    `shapes` None reads `BXHOURS_SANDBOX_SHAPES`, so a whole test run can be switched to the
    documented shapes without touching a fixture; pass it to pin a test to one of them.
    `company` 2, 3, … builds another company with the same seed (see the module docstring),
    to serve beside company 1: `serve_sandbox(build_state("demo"), companies=[build_state("demo", company=2)])`.
    """
    identity = company_identity(company)
    shown = shapes_from_env() if shapes is None else parse_shapes(shapes)
    if seed not in SEEDS:
        raise ValueError(f"unknown sandbox seed {seed!r}; choose one of {', '.join(SEEDS)}")
    overrides = (contacts, projects, timesheets)
    if seed == "empty" and any(size is not None for size in overrides):
        raise ValueError("the empty seed has no sizes to choose; use demo or large")
    if any(size is not None and size < 0 for size in overrides):
        raise ValueError("sizes must not be negative")

    state = SandboxState(
        clock=clock or SystemClock(),
        settings=SandboxSettings(payroll_enabled=seed != "empty", shapes=shown),
    )
    if company == 1:
        state.tokens.register_demo_token(state.now())
    state.register_oauth_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, list(DEMO_REDIRECT_URIS))
    _fresh_account(state)
    if seed == "empty" and company != 1:
        _company_profile(state, identity)
    if seed != "empty":
        defaults = DEFAULT_SIZES[seed]
        sizes = Sizes(
            contacts if contacts is not None else defaults.contacts,
            projects if projects is not None else defaults.projects,
            timesheets if timesheets is not None else defaults.timesheets,
        )
        sequence = f"bexio-sandbox:{seed}:{sizes.contacts}:{sizes.projects}:{sizes.timesheets}"
        rng = random.Random(sequence if company == 1 else f"{sequence}:company{company}")
        today = state.today()
        _demo_company(state, identity)
        customers = _contacts(state, rng, sizes.contacts, today)
        project_records = _projects(state, rng, sizes.projects, customers, today)
        _timesheets(state, rng, sizes.timesheets, project_records, today)
        _invoices(state, customers, today)
        _payroll(state, rng, today)
    _set_next_ids(state)
    return state
