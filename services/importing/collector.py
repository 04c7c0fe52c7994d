"""Keeps Python's cyclic garbage collector from re-scanning the whole process during an import.

An import allocates millions of objects, and a page's rows live across several awaits, so many
survive into the oldest generation before they are freed: that triggers full collections, each
walking every object the process holds (~150 000 of SQLAlchemy, pydantic …) for ~75 ms and finding
nothing — measured: two of them in an import of 100 000 timesheets, 7 % of its wall time.
``gc.freeze()`` sets the objects that existed before the import aside for its duration, so a full
collection walks only what the import itself created; ``gc.unfreeze()`` hands them back to the
collector afterwards, so cycles among them are still collected, only later.

The server freezes its start-up objects for good (``bxhours.server.freeze_startup_objects``): a
process that froze already is left alone — unfreezing would hand those back too — and its imports
gain less (what it built after start-up is still scanned). The CLI's ``sync`` gains it all.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_running = 0
"""Imports under way in this process: the last one to finish unfreezes."""
_froze = False
"""Whether the first of them froze (nothing was frozen before it)."""


@contextmanager
def older_objects_set_aside() -> Iterator[None]:
    """For the duration of an import: what existed before it is not scanned by the collector."""
    global _running, _froze
    if _running == 0 and gc.get_freeze_count() == 0:
        gc.freeze()
        _froze = True
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0 and _froze:
            _froze = False
            gc.unfreeze()
