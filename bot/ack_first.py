"""Acknowledgements before everything else.

Slack gives each request 3 seconds to be acknowledged; the answer to a `/log-hours` line may come
up to 30 minutes later through its ``response_url``. So the database work that follows an
acknowledgement waits while other requests still wait for theirs (at most ``patience`` seconds,
so a steady stream cannot starve it), and only a few such units of work run at once: SQLite has
one writer and PostgreSQL a pool, so more would only queue — while taking the event loop away from
the next acknowledgements. "Quiet" must last a moment (``grace``), since the requests of a burst
arrive milliseconds apart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from slack_bolt.response import BoltResponse

DEFAULT_SLOTS = 4
DEFAULT_PATIENCE = 0.5
DEFAULT_GRACE = 0.02
"""How long it must stay quiet: the requests of a burst arrive a few milliseconds apart."""


class AckFirst:
    def __init__(
        self, slots: int = DEFAULT_SLOTS, patience: float = DEFAULT_PATIENCE, grace: float = DEFAULT_GRACE
    ) -> None:
        self.patience = patience
        self.grace = grace
        self._unanswered = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._slots = asyncio.Semaphore(slots)

    @property
    def unanswered(self) -> int:
        return self._unanswered

    @contextlib.asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """Hold this from the moment a request arrives until its answer is ready (``bot.front_door``
        holds it around verifying, writing the inbox row and dispatching)."""
        self._unanswered += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._unanswered -= 1
            if self._unanswered == 0:
                self._quiet.set()

    async def middleware(self, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        """As ``answering``, as a Bolt middleware (for a Bolt app used without the front door)."""
        async with self.answering():
            return await next()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold this around the work a handler does after ``ack()``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        while (remaining := deadline - loop.time()) > 0:
            try:
                await asyncio.wait_for(self._quiet.wait(), remaining)
            except TimeoutError:
                break
            await asyncio.sleep(min(self.grace, max(0.0, deadline - loop.time())))
            if self._quiet.is_set():
                break
        async with self._slots:
            yield
