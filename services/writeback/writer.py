"""One entry to bexio: create, edit or delete its timesheet — idempotent, however often it runs.

The exact payloads (issue 16 §1; UNCONFIRMED beyond bexio's published description, see the README):

* create ``POST /2.0/timesheet`` and edit ``POST /2.0/timesheet/{id}`` send the same body, since
  bexio's edit form requires ``user_id``, ``client_service_id``, ``allowable_bill`` and
  ``tracking`` like a create: ``user_id`` (the person's bexio user), ``client_service_id`` (the
  activity), ``pr_project_id``, ``contact_id`` (the project's customer, when it has one), ``text``
  (the note, then the marker ``[bxhours #<entry>]``), ``allowable_bill: false`` — always, so the
  hours are never offered for billing in bexio as well as in bxhours —, ``status_id`` (bexio's
  "Erledigt" when it has it, else its first status) and ``tracking`` ``{"type": "duration",
  "date": "YYYY-MM-DD", "duration": "HH:MM"}``;
* delete ``DELETE /2.0/timesheet/{id}``; a 404 means it is gone already.

A create whose answer was lost (a timeout, a 5xx after the write, a crash) is looked for before it
is sent again: ``POST /2.0/timesheet/search`` by ``user_id`` and ``pr_project_id`` (bexio cannot
search by date or text), newest first, for the marker naming the entry — the one that also has the
entry's date and duration preferred — and adopted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date

from bexio.client import BexioClient
from bexio.errors import BexioNotFound
from bexio.models import Timesheet
from bexio.payloads import DurationTrackingIn, TimesheetCreate, TimesheetEdit
from bexio.search import Criterion
from services.writeback.marker import marked_entry, with_marker

ClientFactory = Callable[[int], AbstractAsyncContextManager[BexioClient]]
DONE_STATUS = "Erledigt"
STATUS_KEPT_SECONDS = 3600.0
"""bexio's timesheet statuses rarely change: read once an hour per workspace, not per entry."""


@dataclass(frozen=True)
class Target:
    """What the timesheet of one entry must say, in bexio's ids."""

    entry_id: int
    user_id: int
    client_service_id: int
    pr_project_id: int
    contact_id: int | None
    note: str
    day: date
    minutes: int

    def fields(self, status_id: int | None) -> dict[str, object]:
        values: dict[str, object] = {
            "user_id": self.user_id,
            "client_service_id": self.client_service_id,
            "pr_project_id": self.pr_project_id,
            "text": with_marker(self.note, self.entry_id),
            "allowable_bill": False,
            "tracking": DurationTrackingIn(date=self.day, duration=self.minutes),
        }
        if self.contact_id is not None:
            values["contact_id"] = self.contact_id
        if status_id is not None:
            values["status_id"] = status_id
        return values

    def matches(self, sheet: Timesheet) -> bool:
        """The timesheet already says what the entry says (nothing to edit)."""
        return (
            sheet.user_id == self.user_id
            and sheet.client_service_id == self.client_service_id
            and sheet.pr_project_id == self.pr_project_id
            and sheet.date == self.day
            and sheet.duration == self.minutes
            and (sheet.text or "") == with_marker(self.note, self.entry_id)
            and sheet.allowable_bill is False
        )


class TimesheetWriter:
    """The bexio calls of the write-back; knows nothing of the database."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._statuses: dict[int, tuple[float, int | None]] = {}
        self._clock = clock

    async def status_id(self, tenant_id: int, client: BexioClient) -> int | None:
        """bexio's done status "Erledigt" when it exists, else the first one (None: bexio has none)."""
        kept = self._statuses.get(tenant_id)
        if kept is not None and self._clock() - kept[0] < STATUS_KEPT_SECONDS:
            return kept[1]
        statuses = await client.timesheet_statuses.list()
        done = next(
            (s.id for s in statuses if (s.name or "").strip().casefold() == DONE_STATUS.casefold()), None
        )
        chosen = done if done is not None else (min((s.id for s in statuses), default=None))
        self._statuses[tenant_id] = (self._clock(), chosen)
        return chosen

    async def write(
        self,
        client: BexioClient,
        target: Target,
        status_id: int | None,
        timesheet_id: int | None,
        *,
        search: bool,
    ) -> int:
        """Bring the entry's timesheet to ``target``; returns its id. ``timesheet_id``: the one
        written before (edited; created anew if it was deleted in bexio — bxhours leads).
        ``search``: a create may already have happened (a retry), so look for it first."""
        fields = target.fields(status_id)
        if timesheet_id is not None:
            try:
                await client.timesheets.edit(timesheet_id, TimesheetEdit.model_validate(fields))
                return timesheet_id
            except BexioNotFound:
                pass  # deleted in bexio: the entry is still in bxhours, so it is written again
        if search:
            found = await self.find(client, target.entry_id, target.user_id, target.pr_project_id, target)
            if found is not None:
                if not target.matches(found):
                    await client.timesheets.edit(found.id, TimesheetEdit.model_validate(fields))
                return found.id
        created = await client.timesheets.create(TimesheetCreate.model_validate(fields))
        return created.id

    async def find(
        self,
        client: BexioClient,
        entry_id: int,
        user_id: int,
        project_id: int | None,
        target: Target | None = None,
    ) -> Timesheet | None:
        """The timesheet bxhours wrote for ``entry_id``, found by its marker (newest first); the
        one with the entry's date and duration when there are several."""
        found = await self.find_all(client, entry_id, user_id, project_id)
        if target is not None:
            for sheet in found:
                if sheet.date == target.day and sheet.duration == target.minutes:
                    return sheet
        return found[0] if found else None

    async def find_all(
        self, client: BexioClient, entry_id: int, user_id: int, project_id: int | None
    ) -> list[Timesheet]:
        criteria = [Criterion("user_id", "=", user_id)]
        if project_id is not None:
            criteria.append(Criterion("pr_project_id", "=", project_id))
        return [
            sheet
            for sheet in await client.timesheets.search(criteria, order_by="id_desc")
            if marked_entry(sheet.text) == entry_id
        ]

    async def delete(self, client: BexioClient, timesheet_id: int) -> bool:
        """Delete a timesheet; False when bexio no longer had it."""
        try:
            await client.timesheets.delete(timesheet_id)
        except BexioNotFound:
            return False
        return True
