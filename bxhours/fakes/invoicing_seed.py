"""The sandbox's demo company mirrored into a bxhours database, plus billable work to invoice.

Tests, the invoice benchmark and (until the import and `/log-hours` exist) the demo need a
database that holds what an import of the sandbox would hold — with the sandbox's own ids, so a
draft pushed to the sandbox references real bexio records: users, the "Kunden" customers,
projects of all four invoice types, activities with rates and income account 3400 (bexio id
121), the sales taxes of both VAT periods, the units (`h` = 2), CHF with its 5-Rappen rounding,
the invoice document settings — and one customer created in bxhours that bexio does not know.

Entries and expenses are written as `/log-hours` and `/log-expense` would store them: status
"open", with the rate snapshot `services.rates.rate_for` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from bexio.sandbox import SandboxState
from core.settings_schema import person_rate_key
from services.rates import rate_for
from services.settings import TenantSettings
from storage.db import Database
from storage.jobs import utcnow
from storage.models import (
    Account,
    Activity,
    ContactGroup,
    Currency,
    Customer,
    DocumentSetting,
    Expense,
    ExpenseCategory,
    Project,
    Tax,
    TenantSetting,
    TimeEntry,
    Unit,
    User,
)

KUNDEN_GROUP = 6
CLOSED_PROJECT_STATE = 3
EXPENSE_CATEGORIES = ("Reisekosten", "Spesen", "Material")
INCOME_ACCOUNT_3400 = 121
NEW_CUSTOMER_NAME = "Bergblick Gastro GmbH"
NEW_CUSTOMER_EMAIL = "info@bergblick-gastro.example"


@dataclass
class SeededCompany:
    """Local ids of what was mirrored, keyed by bexio id (or name for expense categories)."""

    tenant_id: int
    users: dict[int, int] = field(default_factory=dict)
    customers: dict[int, int] = field(default_factory=dict)
    projects: dict[int, int] = field(default_factory=dict)
    activities: dict[int, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    new_customer_id: int = 0
    new_project_id: int = 0


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _money(value: Any) -> Decimal | None:
    amount = _decimal(value)
    return amount.quantize(Decimal("0.01")) if amount is not None else None


async def mirror_sandbox(
    db: Database,
    tenant_id: int,
    state: SandboxState,
    *,
    slack_ids: Mapping[int, str] | None = None,
    person_rates: Mapping[str, Decimal] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> SeededCompany:
    """Write the sandbox company into the tenant, as an import would leave it.

    ``slack_ids`` links bexio users (by bexio id) to Slack users; ``person_rates`` sets
    `person_rate:<e-mail>` so projects billed per employee have rates.
    """
    moment = now()
    seeded = SeededCompany(tenant_id)
    tables = state.tables
    async with db.session(tenant_id) as session:
        for user in tables["user"].values():
            person = User(
                bexio_id=user["id"],
                slack_user_id=(slack_ids or {}).get(user["id"]),
                email=user.get("email"),
                firstname=user.get("firstname"),
                lastname=user.get("lastname"),
                role="admin" if user.get("is_superadmin") else "member",
                is_superadmin=bool(user.get("is_superadmin")),
                linked_by="email",
                updated_at=moment,
            )
            session.add(person)
            await session.flush()
            seeded.users[user["id"]] = person.id
        session.add_all(
            ContactGroup(bexio_id=g["id"], name=g["name"]) for g in tables["contact_group"].values()
        )
        project_contacts = {p["contact_id"] for p in tables["pr_project"].values()}
        for contact in tables["contact"].values():
            groups = {int(g) for g in (contact.get("contact_group_ids") or "").split(",") if g}
            if KUNDEN_GROUP not in groups and contact["id"] not in project_contacts:
                continue
            customer = Customer(
                bexio_id=contact["id"],
                nr=contact.get("nr"),
                contact_type=contact.get("contact_type_id") or 1,
                name=contact["name_1"],
                name_2=contact.get("name_2") or None,
                email=contact.get("mail") or None,
                street_name=contact.get("street_name") or None,
                house_number=contact.get("house_number") or None,
                postcode=contact.get("postcode") or None,
                city=contact.get("city") or None,
                country_id=contact.get("country_id"),
                group_ids=contact.get("contact_group_ids"),
                active=not state.is_archived("contact", contact["id"]),
                updated_at=moment,
            )
            session.add(customer)
            await session.flush()
            seeded.customers[contact["id"]] = customer.id
        for project in tables["pr_project"].values():
            mirrored = Project(
                bexio_id=project["id"],
                nr=project.get("nr"),
                name=project["name"],
                customer_id=seeded.customers.get(project["contact_id"]),
                bexio_contact_id=project["contact_id"],
                state_id=project.get("pr_state_id"),
                type_id=project.get("pr_project_type_id"),
                invoice_type=project.get("pr_invoice_type_id"),
                invoice_amount=_money(project.get("pr_invoice_type_amount")),
                bexio_user_id=project.get("user_id"),
                active=project.get("pr_state_id") != CLOSED_PROJECT_STATE,
                updated_at=moment,
            )
            session.add(mirrored)
            await session.flush()
            seeded.projects[project["id"]] = mirrored.id
        for service in tables["client_service"].values():
            activity = Activity(
                bexio_id=service["id"],
                name=service["name"],
                default_rate=_money(service.get("default_price_per_hour")),
                default_is_billable=service.get("default_is_billable") is not False,
                bexio_account_id=service.get("account_id"),
                updated_at=moment,
            )
            session.add(activity)
            await session.flush()
            seeded.activities[service["id"]] = activity.id
        session.add_all(
            Account(
                bexio_id=a["id"],
                account_no=a["account_no"],
                name=a["name"],
                account_type=a["account_type"],
                group_bexio_id=a.get("fibu_account_group_id"),
                tax_bexio_id=a.get("tax_id"),
                is_locked=bool(a.get("is_locked")),
                active=bool(a.get("is_active")),
            )
            for a in tables["account"].values()
        )
        session.add_all(
            Tax(
                bexio_id=t["id"],
                code=t.get("code"),
                name=t.get("name"),
                display_name=t.get("display_name"),
                type=t["type"],
                value=Decimal(str(t["value"])),
                start_year=t.get("start_year"),
                start_month=t.get("start_month"),
                end_year=t.get("end_year"),
                end_month=t.get("end_month"),
                is_active=bool(t.get("is_active")),
                account_bexio_id=t.get("account_id"),
            )
            for t in tables["tax"].values()
        )
        session.add_all(Unit(bexio_id=u["id"], name=u["name"]) for u in tables["unit"].values())
        session.add_all(
            Currency(bexio_id=c["id"], name=c["name"], round_factor=Decimal(str(c["round_factor"])))
            for c in tables["currency"].values()
        )
        session.add_all(
            DocumentSetting(
                bexio_id=s["id"],
                kb_item_class=s["kb_item_class"],
                enumeration_format=s.get("enumeration_format"),
                use_automatic_enumeration=bool(s.get("use_automatic_enumeration")),
                next_nr=s.get("next_nr"),
                nr_min_length=s.get("nr_min_length"),
                default_mwst_type=s.get("default_mwst_type"),
                default_mwst_is_net=s.get("default_mwst_is_net"),
                raw=dict(s),
            )
            for s in tables["kb_item_setting"].values()
        )
        for name in EXPENSE_CATEGORIES:
            category = ExpenseCategory(name=name, account_id=INCOME_ACCOUNT_3400)
            session.add(category)
            await session.flush()
            seeded.categories[name] = category.id
        new_customer = Customer(
            bexio_id=None,
            contact_type=1,
            name=NEW_CUSTOMER_NAME,
            email=NEW_CUSTOMER_EMAIL,
            street_name="Dorfstrasse",
            house_number="7",
            postcode="3818",
            city="Grindelwald",
            created_in_bxhours=True,
            created_by=(slack_ids or {}).get(1),
            updated_at=moment,
        )
        session.add(new_customer)
        await session.flush()
        new_project = Project(
            name="Buchungsportal",
            customer_id=new_customer.id,
            invoice_type=1,
            created_in_bxhours=True,
            updated_at=moment,
        )
        session.add(new_project)
        await session.flush()
        seeded.new_customer_id, seeded.new_project_id = new_customer.id, new_project.id
        for email, rate in (person_rates or {}).items():
            session.add(
                TenantSetting(
                    key=person_rate_key(email), value=f"{rate:.2f}", updated_by="seed", updated_at=moment
                )
            )
    return seeded


class WorkLog:
    """Writes entries and expenses as the Logging feature stores them (rate snapshot included)."""

    def __init__(self, db: Database, tenant_id: int, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.now = now

    async def entry(
        self,
        *,
        user_id: int,
        project_id: int,
        activity_id: int,
        day: date,
        minutes: int,
        note: str = "",
        billable: bool = True,
        source: str = "slack",
        rate: Decimal | str | None = "snapshot",
    ) -> int:
        """One time entry; ``rate="snapshot"`` takes the rate that applies, as `/log-hours` does."""
        async with self.db.session(self.tenant_id) as session:
            if rate == "snapshot":
                values = await session.execute(select(TenantSetting.key, TenantSetting.value))
                settings = TenantSettings({key: value for key, value in values.all()})
                project = await session.get(Project, project_id)
                activity = await session.get(Activity, activity_id)
                user = await session.get(User, user_id)
                assert project is not None and activity is not None
                rate = rate_for(settings, project=project, activity=activity, user=user).rate
            assert not isinstance(rate, str)
            moment = self.now()
            row = TimeEntry(
                user_id=user_id,
                project_id=project_id,
                activity_id=activity_id,
                day=day,
                minutes=minutes,
                note=note,
                billable=billable,
                rate=rate,
                status="open",
                source=source,
                created_at=moment,
                updated_at=moment,
            )
            session.add(row)
            await session.flush()
            return row.id

    async def expense(
        self,
        *,
        user_id: int,
        project_id: int,
        category_id: int,
        day: date,
        amount: Decimal,
        note: str = "",
        billable: bool = True,
    ) -> int:
        async with self.db.session(self.tenant_id) as session:
            moment = self.now()
            row = Expense(
                user_id=user_id,
                project_id=project_id,
                category_id=category_id,
                day=day,
                amount=amount,
                note=note,
                billable=billable,
                status="open",
                created_at=moment,
                updated_at=moment,
            )
            session.add(row)
            await session.flush()
            return row.id

    async def bulk_entries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Many entries in one statement (benchmarks): each mapping gives user_id, project_id,
        activity_id, day, minutes and rate."""
        moment = self.now()
        async with self.db.session(self.tenant_id) as session:
            await session.execute(
                insert(TimeEntry),
                [
                    {
                        "tenant_id": self.tenant_id,
                        "note": "",
                        "billable": True,
                        "status": "open",
                        "source": "slack",
                        "created_at": moment,
                        "updated_at": moment,
                        **row,
                    }
                    for row in rows
                ],
            )
