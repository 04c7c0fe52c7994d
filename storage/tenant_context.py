"""The tenant whose work is being done right now, for the adapters that talk to its Slack.

Services name their tenant explicitly in every call; the Slack side of ``services.notifier`` and the
Slack directory do not get one passed, so they read it from here. It is set once where work enters
the process — the Slack front door for a request (its handler's tasks inherit it), the worker for a
job, the CLI for a command — and a Slack call made with none set fails rather than guess a workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_tenant: ContextVar[int | None] = ContextVar("bxhours_current_tenant", default=None)


@contextmanager
def working_for(tenant_id: int) -> Iterator[None]:
    token = current_tenant.set(tenant_id)
    try:
        yield
    finally:
        current_tenant.reset(token)
