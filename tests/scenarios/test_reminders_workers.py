"""At most one reminder per person and day, also with several workers (issue 17 §1, §6): two
reminder runs on separate connection pools (as two worker processes have) race for the same
people and days on PostgreSQL; the ``nudges`` unique key lets one of them send each reminder."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bxhours.fakes.stack import ANDREA, MIA, NOAH
from services.reminders import RemindersService
from storage.db import Database
from storage.jobs import JobQueue
from storage.models import Nudge
from tests.factories import logging_stack
from tests.scenarios.test_reminders import THURSDAY_EVENING

DAYS = [date(2026, 11, 23) + timedelta(days=offset) for offset in range(5)]


async def test_two_workers_send_one_reminder_per_person_and_day(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a queue on PostgreSQL only (SQLite runs one process)")

    async def not_yet(*_args: object) -> bool:
        return False  # both workers pass the cheap look-up: only the unique key can stop the second

    monkeypatch.setattr(RemindersService, "_reminded", not_yet)
    async with logging_stack(database_url, now=THURSDAY_EVENING) as ls:
        first = ls.stack.runtime.services.reminders
        assert first is not None
        other_pool = Database(database_url)
        try:
            second = RemindersService(
                other_pool,
                JobQueue(other_pool, ls.clock.now),
                first.settings,
                first.notifier,
                first.time_entries,
                ls.clock.now,
                first.timezone,
                messages=first.messages,
                zones=first.zones,
                absences=first.absences,
                language_of=first.language_of,
            )
            for day in DAYS:
                results = await asyncio.gather(
                    first.run(ls.tenant_id, day), second.run(ls.tenant_id, day), first.run(ls.tenant_id, day)
                )
                sent = Counter(person for result in results for person in result.sent)
                assert sent == Counter({ANDREA: 1, MIA: 1, NOAH: 1}), (day, results)
                for result in results:
                    for person in (ANDREA, MIA, NOAH):
                        assert person in result.sent or result.skipped[person] == "already_reminded"
        finally:
            await other_pool.dispose()
        dms = Counter(c.params["channel"] for c in ls.stack.fake.calls_to("chat.postMessage"))
        assert dms == Counter({"D01ANDREA": 5, "D02MIA": 5, "D03NOAH": 5})
        async with ls.db.session(ls.tenant_id) as session:
            assert await session.scalar(select(func.count()).select_from(Nudge)) == 15
