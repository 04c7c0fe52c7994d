"""Business activities (bexio's ``client_service``), timesheets and their statuses."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from bexio.models import BusinessActivity, Timesheet, TimesheetStatus
from bexio.payloads import BusinessActivityCreate, TimesheetCreate, TimesheetEdit
from bexio.resources._base import Deletable, Fetchable, Listable, ReferenceList, Searchable, query

if TYPE_CHECKING:
    from bexio.client import BexioClient


class BusinessActivities(Searchable[BusinessActivity]):
    """``/2.0/client_service``: list, search and create only (bexio has no get, edit or delete)."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/client_service", BusinessActivity)

    async def list(self, *, order_by: str | None = None) -> builtins.list[BusinessActivity]:
        return await self._collect(query(order_by=order_by))

    async def create(self, activity: BusinessActivityCreate) -> BusinessActivity:
        return await self._create(activity.to_body())


class Timesheets(Listable[Timesheet], Searchable[Timesheet], Fetchable[Timesheet], Deletable[Timesheet]):
    """``/2.0/timesheet``; ``order_by`` ``id`` or ``date``. Searchable by ids only, not by date."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/timesheet", Timesheet)

    async def create(self, timesheet: TimesheetCreate) -> Timesheet:
        return await self._create(timesheet.to_body())

    async def edit(self, timesheet_id: int, changes: TimesheetEdit) -> Timesheet:
        return await self._edit(timesheet_id, changes.to_body())


class TimesheetStatuses(ReferenceList[TimesheetStatus]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/timesheet_status", TimesheetStatus)
