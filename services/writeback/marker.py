"""The marker bxhours puts at the end of a timesheet's ``text``: ``[bxhours #123]``.

bexio's timesheet search has no date or text field, so the marker is how a timesheet bxhours
wrote is recognised when its id was lost — a create whose answer never arrived, found again
before it is sent twice, and a timesheet the import must not bring back as a second entry. It
names the entry (ids are unique across workspaces), so it cannot match someone else's hours.
"""

from __future__ import annotations

import re

_MARKER = re.compile(r"\s*\[bxhours #(\d{1,18})\]\s*\Z")


def with_marker(note: str, entry_id: int) -> str:
    """The timesheet's text: the entry's note, then the marker."""
    note = note.rstrip()
    return f"{note} [bxhours #{entry_id}]" if note else f"[bxhours #{entry_id}]"


def marked_entry(text: object) -> int | None:
    """The entry a timesheet's text names, if it ends with a marker."""
    if not isinstance(text, str):
        return None
    found = _MARKER.search(text)
    return int(found.group(1)) if found else None


def without_marker(text: str) -> str:
    """The note as bxhours keeps it: the text without the marker."""
    return _MARKER.sub("", text)
