"""What an entry shows about its write-back: "not in bexio: …", "changed in bexio: 2:15 h"."""

from __future__ import annotations

from typing import Final

from core.durations import format_duration
from core.i18n import N_, _

PENDING, WRITTEN, FAILED, NOT_IN_BEXIO = "pending", "written", "failed", "not_in_bexio"

NO_BEXIO_USER, NO_PROJECT = "no_bexio_user", "no_project"
PROJECT_NOT_IN_BEXIO, ACTIVITY_NOT_IN_BEXIO = "project_not_in_bexio", "activity_not_in_bexio"
WHY: Final = {
    NO_BEXIO_USER: N_("its person has no bexio user"),
    NO_PROJECT: N_("it has no project"),
    PROJECT_NOT_IN_BEXIO: N_("its project is not in bexio"),
    ACTIVITY_NOT_IN_BEXIO: N_("its activity is not in bexio"),
}
"""Why an entry cannot be written, by the code stored in ``writeback_reason``."""


def why_not(
    *,
    user_bexio_id: int | None,
    has_project: bool,
    project_bexio_id: int | None,
    activity_bexio_id: int | None,
) -> str | None:
    """The reason code an entry cannot become a timesheet, or None when it can."""
    if user_bexio_id is None:
        return NO_BEXIO_USER
    if not has_project:
        return NO_PROJECT
    if project_bexio_id is None:
        return PROJECT_NOT_IN_BEXIO
    if activity_bexio_id is None:
        return ACTIVITY_NOT_IN_BEXIO
    return None


def remark(state: str | None, reason: str | None, changed_minutes: int | None) -> str | None:
    """The line an entry shows in the week view, in the reader's language; None: nothing to say."""
    if changed_minutes is not None and state == WRITTEN:
        return _("changed in bexio: {duration} h", duration=format_duration(changed_minutes))
    if state == NOT_IN_BEXIO:
        why = WHY.get(reason or "")
        return _("not in bexio: {why}", why=_(why) if why else (reason or "?"))
    if state == FAILED:
        return _("bexio refused it: {reason}", reason=reason or "?")
    return None
