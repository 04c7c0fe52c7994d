"""What the App Home shows one person, loaded in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.i18n import _, current_language, language_scope
from services.bexio_connect import BexioConnectService
from services.importing.status import ConnectionView, SyncStatusService
from services.invoicing.recent import RecentInvoice, RecentInvoices
from services.languages import LanguageService
from services.onboarding import Checklist, OnboardingService
from services.people import PeopleService
from services.recents import RecentCombination, RecentsService
from services.timers import TimerService, TimerView
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
    connect_url: str | None = None
    """Admins, where bexio is connected by OAuth: the Connect (or Reconnect) link, valid 15 minutes."""
    webhook_url: str | None = None
    """Admins, multi-workspace mode: this workspace's own ``POST /bexio/webhook/<secret>`` address."""
    onboarding: Checklist | None = None
    """Admins: the setup checklist (connected, imported, accounts, people, team invited)."""
    language: str = "en"
    """The language the App Home is shown in (the person's, issue 14 §2)."""
    chosen_language: str | None = None
    """The person's own choice (None: automatic, ``automatic_language``)."""
    automatic_language: str | None = None
    """What "automatic" means for them: their Slack account's language, else the workspace's."""
    slack_language: bool = False
    """Whether ``automatic_language`` is their Slack account's (not the workspace's)."""
    timers: bool = False
    """Whether timers are offered (issue 17 §4): then ``timer`` and ``timer_questions`` apply."""
    timer: TimerView | None = None
    """The person's running timer, shown with its start time and Stop."""
    timer_questions: tuple[TimerView, ...] = ()
    """Timers stopped at midnight that still wait for "how long was it really?"."""
    recents: tuple[RecentCombination, ...] = ()
    """The person's last 7 days' project/activity combinations, most recent first (issue 17 §3)."""


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

    connect: BexioConnectService | None = None
    """Set by the composition root where bexio can be connected by OAuth."""
    webhook_secret: Callable[[int], Awaitable[str | None]] | None = None
    public_url: str = ""
    onboarding: OnboardingService | None = None
    """Set by the composition root: the setup checklist shown to admins until it is done."""
    languages: LanguageService | None = None
    """Set by the composition root: the person's language, and the choice the App Home offers."""
    timers: TimerService | None = None
    """Set by the composition root: the person's running timer and open midnight questions."""
    recents: RecentsService | None = None
    """Set by the composition root: the person's recent combinations."""

    async def load(self, tenant_id: int, slack_user_id: str, week_of: date | None = None) -> HomeData:
        """The person's App Home, its texts in their language (whoever asks for the refresh)."""
        chosen = automatic = None
        from_slack = False
        if self.languages is not None:
            chosen = await self.languages.chosen(tenant_id, slack_user_id)
            automatic, from_slack = await self.languages.automatic(tenant_id, slack_user_id)
        language = chosen or automatic or current_language.get()
        with language_scope(language) as language:
            data = await self._load(tenant_id, slack_user_id, week_of)
        return dataclasses.replace(
            data,
            language=language,
            chosen_language=chosen,
            automatic_language=automatic,
            slack_language=from_slack,
        )

    async def _load(self, tenant_id: int, slack_user_id: str, week_of: date | None) -> HomeData:
        person = await self.people.by_slack_id(tenant_id, slack_user_id)
        connection = await self.connection.connection(tenant_id) if self.connection is not None else None
        is_admin = await self.people.is_admin(tenant_id, slack_user_id)
        connect_url = webhook_url = None
        if is_admin and self.connect is not None and self.connect.available:
            connect_url = self.connect.connect_link(tenant_id, slack_user_id)
        if is_admin and self.webhook_secret is not None:
            secret = await self.webhook_secret(tenant_id)
            webhook_url = f"{self.public_url}/bexio/webhook/{secret}" if secret else None
        checklist = None
        if is_admin and self.onboarding is not None:
            checklist = await self.onboarding.checklist(tenant_id, connection)
        timer_data: dict[str, Any] = {}
        if person is not None and self.timers is not None:
            timer_data["timers"] = True
            timer_data["timer"] = await self.timers.running(tenant_id, slack_user_id)
            timer_data["timer_questions"] = tuple(await self.timers.waiting(tenant_id, slack_user_id))
        if person is not None and self.recents is not None:
            timer_data["recents"] = tuple(await self.recents.of(tenant_id, slack_user_id))
        return HomeData(
            **timer_data,
            onboarding=checklist,
            connect_url=connect_url,
            webhook_url=webhook_url,
            is_admin=is_admin,
            person_name=person.display_name if person else None,
            connection_line=_("bexio: not connected yet — run `/bx-sync` after setting BEXIO_ACCESS_TOKEN"),
            week=await self.week.load(tenant_id, slack_user_id, week_of) if self.week and person else None,
            connection=connection,
            invoices=await self.invoices.of(tenant_id, slack_user_id) if self.invoices is not None else (),
        )
