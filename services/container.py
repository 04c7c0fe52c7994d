"""The services of one bxhours process, built once by the composition root (``bxhours.runtime``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.bexio_access import BexioAccess
from services.home import HomeService
from services.invoicing import InvoicingService
from services.notifier import Notifier
from services.people import PeopleService
from services.settings import SettingsService
from services.tenants import TenantService
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
    invoicing: InvoicingService
