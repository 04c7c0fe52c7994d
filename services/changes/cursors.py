"""Where the poller has got to, per resource: the ``sync_cursors`` rows of a tenant.

``watermark`` is bexio's own text — an ``updated_at`` in its ``YYYY-MM-DD HH:MM:SS`` Zurich wall
time, or the highest timesheet id — so it is compared with bexio's values, never with our clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import SyncCursor


@dataclass
class Cursor:
    resource: str
    watermark: str | None = None
    recent: dict[str, str] = field(default_factory=dict)
    """bexio id → ``updated_at`` of the records at the watermark's edge (seen by the last poll)."""
    last_full_at: datetime | None = None


class CursorStore:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    async def get(self, tenant_id: int, resource: str) -> Cursor:
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(SyncCursor).where(SyncCursor.resource == resource))
        if row is None:
            return Cursor(resource)
        return Cursor(resource, row.watermark, dict(row.recent or {}), row.last_full_at)

    async def save(self, tenant_id: int, cursor: Cursor) -> None:
        """Polls of one kind never overlap (one queued job per kind), so read-then-write is safe."""
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(SyncCursor).where(SyncCursor.resource == cursor.resource))
            if row is None:
                row = SyncCursor(resource=cursor.resource)
                session.add(row)
            row.watermark = cursor.watermark
            row.recent = cursor.recent or None
            row.last_full_at = cursor.last_full_at
            row.updated_at = self.now()
