"""The demo company's master data, written straight into storage the way the bexio import stores it.

Logging needs people, customers, projects, activities, taxes and accounts to exist. Tests, the demo
and the latency benchmark insert this small, fixed company instead of running an import, so they
run without bexio and know every name and number in advance. It mirrors the sandbox's demo company
where that is convenient (people, activity rates, tax and account ids) and adds the cases the
logging rules need: one project per bexio invoice type, an inactive project, groups of projects
sharing a prefix, an activity without a rate, one that is not billable and one that is inactive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from bxhours.fakes.stack import ANDREA, MIA, NOAH
from storage.db import Database
from storage.models import Account, Activity, Customer, Project, Tax, User

INCOME_ACCOUNT_BEXIO_ID = 121
"""bexio's id of account 3400 Dienstleistungserlöse in the sandbox's chart of accounts."""


@dataclass(frozen=True)
class PersonSeed:
    bexio_id: int
    firstname: str
    lastname: str
    email: str
    slack_user_id: str | None
    superadmin: bool = False


@dataclass(frozen=True)
class ProjectSeed:
    bexio_id: int
    nr: str
    name: str
    customer: str
    invoice_type: int
    amount: str | None = None
    active: bool = True
    state_name: str = "Aktiv"
    inactive_reason: str | None = None


@dataclass(frozen=True)
class ActivitySeed:
    bexio_id: int
    name: str
    rate: str | None
    billable: bool = True
    active: bool = True


PEOPLE: tuple[PersonSeed, ...] = (
    PersonSeed(1, "Andrea", "Keller", "andrea.keller@alpenblick.example", ANDREA, superadmin=True),
    PersonSeed(2, "Mia", "Schmid", "mia.schmid@alpenblick.example", MIA),
    PersonSeed(3, "Noah", "Keller", "noah.keller@alpenblick.example", NOAH),
    PersonSeed(4, "Lea", "Weber", "lea.weber@alpenblick.example", None),
)
"""The demo workspace's Slack people, linked; Gina (``GUEST``) has no bexio user, Lea no Slack user."""

CUSTOMERS: tuple[tuple[int, str, str], ...] = (
    (12, "000012", "Alpen Bau AG"),
    (17, "000017", "Rhein Treuhand GmbH"),
    (23, "000023", "Säntis Informatik AG"),
)

PROJECTS: tuple[ProjectSeed, ...] = (
    ProjectSeed(1, "000042", "Website Relaunch", "Alpen Bau AG", invoice_type=1),
    ProjectSeed(2, "000007", "ERP-Einführung", "Rhein Treuhand GmbH", invoice_type=2),
    ProjectSeed(3, "000012", "Cloud-Migration", "Säntis Informatik AG", invoice_type=3, amount="155.00"),
    ProjectSeed(4, "000015", "Jahresabschluss", "Rhein Treuhand GmbH", invoice_type=4, amount="12000.00"),
    ProjectSeed(
        5,
        "000021",
        "Intranet",
        "Alpen Bau AG",
        invoice_type=1,
        active=False,
        state_name="Abgeschlossen",
        inactive_reason="it is closed in bexio (state “Abgeschlossen”)",
    ),
    ProjectSeed(6, "000031", "Schulung Basel", "Säntis Informatik AG", invoice_type=1),
    ProjectSeed(7, "000032", "Schulung Bern", "Säntis Informatik AG", invoice_type=1),
    *(
        ProjectSeed(8 + i, f"00005{i}", f"Onlineshop {city}", "Alpen Bau AG", invoice_type=1)
        for i, city in enumerate(("Aarau", "Basel", "Bern", "Chur", "Luzern", "Zug"))
    ),
)

ACTIVITIES: tuple[ActivitySeed, ...] = (
    ActivitySeed(1, "Administration", "120.00"),
    ActivitySeed(2, "Meeting", "140.00"),
    ActivitySeed(3, "Projekt Management", "165.00"),
    ActivitySeed(4, "Umsetzung", "150.00"),
    ActivitySeed(5, "Allgemein", "137.50"),
    ActivitySeed(6, "Recherche", None),
    ActivitySeed(7, "Weiterbildung", "100.00", billable=False),
    ActivitySeed(8, "Support alt", "130.00", active=False),
)

TAXES: tuple[tuple[int, str, str, int, int | None], ...] = (
    (1, "UN77", "7.7", 2018, 2023),
    (2, "UR25", "2.5", 2018, 2023),
    (14, "UN81", "8.1", 2024, None),
    (15, "UR26", "2.6", 2024, None),
)


@dataclass(frozen=True)
class SeededCompany:
    """Local ids of what was inserted, by name (tests refer to rows by the names people type)."""

    users: dict[str, int]
    customers: dict[str, int]
    projects: dict[str, int]
    activities: dict[str, int]


async def seed_master_data(
    db: Database, tenant_id: int, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> SeededCompany:
    """Insert the company once; a second call finds it and only reports the ids."""
    stamp = now()
    async with db.session(tenant_id) as session:
        if await session.scalar(select(Project.id).limit(1)) is None:
            for person in PEOPLE:
                session.add(
                    User(
                        bexio_id=person.bexio_id,
                        slack_user_id=person.slack_user_id,
                        email=person.email,
                        firstname=person.firstname,
                        lastname=person.lastname,
                        role="admin" if person.superadmin else "member",
                        is_superadmin=person.superadmin,
                        linked_by="email" if person.slack_user_id else None,
                        updated_at=stamp,
                    )
                )
            customers = {
                name: Customer(bexio_id=bexio_id, nr=nr, name=name, updated_at=stamp)
                for bexio_id, nr, name in CUSTOMERS
            }
            session.add_all(customers.values())
            await session.flush()
            for project in PROJECTS:
                customer = customers[project.customer]
                session.add(
                    Project(
                        bexio_id=project.bexio_id,
                        nr=project.nr,
                        name=project.name,
                        customer_id=customer.id,
                        bexio_contact_id=customer.bexio_id,
                        state_id=2 if project.active else 3,
                        state_name=project.state_name,
                        type_id=2,
                        type_name="Kundenprojekt",
                        invoice_type=project.invoice_type,
                        invoice_amount=Decimal(project.amount) if project.amount else None,
                        start_date=date(2025, 1, 6),
                        active=project.active,
                        inactive_reason=project.inactive_reason,
                        updated_at=stamp,
                    )
                )
            for activity in ACTIVITIES:
                session.add(
                    Activity(
                        bexio_id=activity.bexio_id,
                        name=activity.name,
                        default_rate=Decimal(activity.rate) if activity.rate else None,
                        default_is_billable=activity.billable,
                        bexio_account_id=INCOME_ACCOUNT_BEXIO_ID,
                        active=activity.active,
                        updated_at=stamp,
                    )
                )
            for bexio_id, code, value, start, end in TAXES:
                session.add(
                    Tax(
                        bexio_id=bexio_id,
                        code=code,
                        display_name=f"{code} {value}%",
                        type="sales_tax",
                        value=Decimal(value),
                        start_year=start,
                        start_month=1,
                        end_year=end,
                        end_month=12 if end else None,
                        account_bexio_id=105,
                    )
                )
            session.add(
                Account(
                    bexio_id=INCOME_ACCOUNT_BEXIO_ID,
                    account_no="3400",
                    name="Dienstleistungserlöse",
                    account_type=1,
                )
            )
            await session.flush()
        return SeededCompany(
            users={row.email or "": row.id for row in await session.scalars(select(User))},
            customers={row.name: row.id for row in await session.scalars(select(Customer))},
            projects={row.name: row.id for row in await session.scalars(select(Project))},
            activities={row.name: row.id for row in await session.scalars(select(Activity))},
        )
