"""The services of one bxhours process, built once by the composition root (``bxhours.runtime``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.absences import AbsenceService
from services.bexio_access import BexioAccess
from services.bexio_connect import BexioConnectService
from services.changes import ChangeProcessor
from services.expense_categories import ExpenseCategoryService
from services.expenses import ExpenseService
from services.home import HomeService
from services.importing.people import PeopleLinks
from services.importing.runs import SyncRunService
from services.importing.service import ImportService
from services.importing.status import SyncStatusService
from services.invoicing import InvoicingService
from services.languages import LanguageService
from services.notifier import Notifier
from services.people import PeopleService
from services.recents import RecentsService
from services.reminders import RemindersService
from services.settings import SettingsService
from services.summaries import SummaryService
from services.tenants import TenantService
from services.time_entries import TimeEntryService
from services.timers import TimerService
from services.week import WeekService
from services.workspaces import WorkspaceService
from services.writeback import WriteBack
from storage.db import Database
from storage.jobs import JobQueue


@dataclass
class Services:
    db: Database
    queue: JobQueue
    now: Callable[[], datetime]
    timezone: str
    admin_ids: frozenset[str]
    notifier: Notifier
    bexio: BexioAccess
    tenants: TenantService
    settings: SettingsService
    people: PeopleService
    home: HomeService
    time_entries: TimeEntryService
    expenses: ExpenseService
    expense_categories: ExpenseCategoryService
    week: WeekService
    importer: ImportService
    sync: SyncRunService
    sync_status: SyncStatusService
    people_links: PeopleLinks
    invoicing: InvoicingService
    changes: ChangeProcessor
    workspaces: WorkspaceService | None = None
    languages: LanguageService | None = None
    """Which language each person reads bxhours in (``services.languages``)."""
    connect: BexioConnectService | None = None
    """bexio's OAuth connect flow (``/bexio/connect``, the App Home's Connect button)."""
    writeback: WriteBack | None = None
    """Hours written to bexio as timesheets when ``write_back_hours`` is on (issue 16)."""
    reminders: RemindersService | None = None
    """Missing-hours reminders (``services.reminders``, issue 17 §1)."""
    summaries: SummaryService | None = None
    """Weekly summaries with their chart (``services.summaries``, issue 17 §5)."""
    absences: AbsenceService | None = None
    """Absences, sent to bexio payroll (``services.absences``, issue 16 §6-8)."""
    timers: TimerService | None = None
    """Timers: start, stop, the 10-hour warning and the midnight question (issue 17 §4)."""
    recents: RecentsService | None = None
    """The person's recent project/activity combinations and `/log-hours again` (issue 17 §3)."""
