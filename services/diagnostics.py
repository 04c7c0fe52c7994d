"""A harmless job kind to check that workers run (``bxhours jobs ping``) and to prove the queue.

Its side effect is one audit-log row per execution, which is what the multi-worker proof counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.jobs import ClaimedJob
from storage.models import AuditLog

PING = "system.ping"


class Diagnostics:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    async def run_ping(self, job: ClaimedJob) -> dict[str, Any]:
        seconds = float(job.payload.get("seconds", 0))
        if seconds > 0:
            await asyncio.sleep(min(seconds, 300.0))
        async with self.db.session(job.tenant_id) as session:
            session.add(
                AuditLog(
                    actor="worker",
                    action="ping",
                    subject_type="job",
                    subject_id=str(job.id),
                    details={"attempt": job.attempts, "tag": job.payload.get("tag")},
                    created_at=self.now(),
                )
            )
        return {"pong": True}
