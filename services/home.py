"""What the App Home shows one person, loaded in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.importing.status import ConnectionView, SyncStatusService
from services.invoicing.recent import RecentInvoice, RecentInvoices
from services.people import PeopleService
from services.week import WeekService, WeekView


@dataclass(frozen=True)
class HomeData:
    is_admin: bool
    person_name: str | None
    connection_line: str
    week: WeekView | None = None
    """The person's week (None when they are not linked to a bexio user)."""
    connection: ConnectionView | None = None
    """The bexio connection footer (state, company, token expiry, last import)."""
    invoices: tuple[RecentInvoice, ...] = ()
    """The person's last invoices with bexio's status ("RE-00042 paid ✓")."""


class HomeService:
    def __init__(
        self,
        people: PeopleService,
        week: WeekService | None = None,
        connection: SyncStatusService | None = None,
        invoices: RecentInvoices | None = None,
    ) -> None:
        self.people = people
        self.week = week
        self.connection = connection
        self.invoices = invoices

    async def load(self, tenant_id: int, slack_user_id: str, week_of: date | None = None) -> HomeData:
        person = await self.people.by_slack_id(tenant_id, slack_user_id)
        connection = await self.connection.connection(tenant_id) if self.connection is not None else None
        return HomeData(
            is_admin=await self.people.is_admin(tenant_id, slack_user_id),
            person_name=person.display_name if person else None,
            connection_line="bexio: not connected yet — run `/bx-sync` after setting BEXIO_ACCESS_TOKEN",
            week=await self.week.load(tenant_id, slack_user_id, week_of) if self.week and person else None,
            connection=connection,
            invoices=await self.invoices.of(tenant_id, slack_user_id) if self.invoices is not None else (),
        )
