"""The services of one bxhours process, built once by the composition root (``bxhours.runtime``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.notifier import Notifier
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
    tenants: TenantService
    settings: SettingsService

    def is_admin(self, slack_user_id: str) -> bool:
        return slack_user_id in self.admin_ids
