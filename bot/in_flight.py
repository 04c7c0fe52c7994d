"""Listeners still running after their acknowledgement, so a shutdown can wait for them.

With ``process_before_response=False`` Bolt answers Slack as soon as a handler calls ``ack()`` and
lets the handler go on in a task of its own. Stopping the HTTP server does not wait for those
tasks: a `/log-hours` acknowledged a moment before SIGTERM would be cut off half-way. Bolt calls a
start and a completion handler around each such run; counting them is enough to drain.

The completion is also when a request's inbox row is done (``on_finished``, set by
``bot.front_door``): after the handler and, when it failed, the error handler have answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)


class InFlightListeners(AsyncListenerStartHandler, AsyncListenerCompletionHandler):
    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.on_finished: Callable[[AsyncBoltRequest], None] | None = None
        self.gate: Callable[[AsyncBoltRequest], Awaitable[None]] | None = None
        """Awaited before each handler runs (``bot.front_door``: until the request's inbox row is
        committed); raising keeps the handler from running."""

    @property
    def running(self) -> int:
        return self._running

    def install(self, app: AsyncApp) -> None:
        app.listener_runner.listener_start_handler = self
        app.listener_runner.listener_completion_handler = self

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        """Bolt calls this at the start and at the end of each run; they alternate per run."""
        if request.context.get(_STARTED):
            self._running -= 1
            if self._running == 0:
                self._idle.set()
            if self.on_finished is not None:
                self.on_finished(request)
            return
        request.context[_STARTED] = True
        self._running += 1
        self._idle.clear()
        if self.gate is not None:
            await self.gate(request)

    @staticmethod
    def started(context: Mapping[str, Any]) -> bool:
        """Whether a handler started for the request of this Bolt context."""
        return bool(context.get(_STARTED))

    async def drain(self, timeout: float) -> bool:
        """Wait until no listener runs; False when some were still running at the deadline."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%d Slack handler(s) still running at shutdown", self._running)
            return False
        return True


_STARTED = "bxhours_listener_started"
