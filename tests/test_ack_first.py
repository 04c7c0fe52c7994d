"""Work after an acknowledgement yields to requests still waiting for theirs, but not forever."""

from __future__ import annotations

import asyncio

from slack_bolt.response import BoltResponse

from bot.ack_first import AckFirst


async def _pending_request(gate: AckFirst, answered: asyncio.Event) -> BoltResponse:
    async def next_() -> BoltResponse:
        await answered.wait()
        return BoltResponse(status=200, body="")

    return await gate.middleware(next_)


async def test_work_waits_until_every_request_is_answered() -> None:
    gate = AckFirst(slots=4, patience=30, grace=0)
    answered = asyncio.Event()
    request = asyncio.create_task(_pending_request(gate, answered))
    await asyncio.sleep(0)
    assert gate.unanswered == 1
    entered = asyncio.Event()

    async def work() -> None:
        async with gate.turn():
            entered.set()

    worker = asyncio.create_task(work())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not entered.is_set()
    answered.set()
    assert (await request).status == 200
    await asyncio.wait_for(worker, timeout=5)
    assert entered.is_set() and gate.unanswered == 0


async def test_patience_bounds_the_wait() -> None:
    gate = AckFirst(slots=1, patience=0.01, grace=0)
    never = asyncio.Event()
    request = asyncio.create_task(_pending_request(gate, never))
    await asyncio.sleep(0)
    async with gate.turn():
        assert gate.unanswered == 1
    request.cancel()


async def test_slots_limit_concurrent_work() -> None:
    gate = AckFirst(slots=2, patience=0, grace=0)
    inside = 0
    most = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal inside, most
        async with gate.turn():
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(work()) for _ in range(5)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert inside == 2
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert most == 2
