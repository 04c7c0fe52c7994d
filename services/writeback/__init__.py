"""Write-back of hours to bexio timesheets (issue 16 §1–5).

When the workspace setting ``write_back_hours`` is on, every entry logged in bxhours becomes a
non-billable bexio timesheet, one durable job per change; bxhours stays the leading system for
hours, bexio's invoices are made from bxhours' drafts. See ``services.writeback.writer``.
"""

from services.writeback.marker import marked_entry, with_marker, without_marker
from services.writeback.service import (
    BACKFILL_JOB,
    DELETE_JOB,
    ENTRY_JOB,
    WriteBack,
    WriteBackCounts,
    WriteBackMessages,
    WriteRefused,
)

__all__ = [
    "BACKFILL_JOB",
    "DELETE_JOB",
    "ENTRY_JOB",
    "WriteBack",
    "WriteBackCounts",
    "WriteBackMessages",
    "WriteRefused",
    "marked_entry",
    "with_marker",
    "without_marker",
]
