"""Whether hours imported from bexio may be invoiced by bxhours (issue 4 §5).

Historic hours count in reports, but bexio (or whoever worked before bxhours) has usually billed
them already, so they are offered for invoicing only from the day an admin names in the setting
`invoice_imported_hours_since`; unset, none are. Hours logged in bxhours are always offered.
The invoicing service asks here, in Python or in SQL, instead of repeating the rule.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, or_

from services.importing.timesheets import BEXIO_SOURCE
from services.settings import TenantSettings
from storage.models import TimeEntry


def imported_hours_since(settings: TenantSettings) -> date | None:
    value = settings.get("invoice_imported_hours_since")
    return value if isinstance(value, date) else None


def offered_for_invoicing(source: str, day: date, since: date | None) -> bool:
    """One entry: logged in bxhours, or imported and on or after `since`."""
    return source != BEXIO_SOURCE or (since is not None and day >= since)


def invoiceable_entries(since: date | None) -> ColumnElement[bool]:
    """The same rule as a filter on ``TimeEntry`` for the invoicing queries."""
    if since is None:
        return TimeEntry.source != BEXIO_SOURCE
    return or_(TimeEntry.source != BEXIO_SOURCE, TimeEntry.day >= since)
