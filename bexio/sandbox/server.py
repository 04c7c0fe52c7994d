"""Running the sandbox: inside a test or bench (`serve_sandbox`), or as its own process.

`run_standalone` is what `bxhours sandbox` runs: once the port is bound it prints two lines
ready for `.env` and serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TextIO

from aiohttp import web

from bexio.sandbox.app import create_app, precompute_json
from bexio.sandbox.seed import build_state
from bexio.sandbox.shapes import Shapes
from bexio.sandbox.state import SandboxState
from bexio.sandbox.tokens import DEMO_TOKEN

#: Seconds aiohttp waits for in-flight calls on shutdown (hanging faults end at once anyway).
SHUTDOWN_TIMEOUT = 2.0


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    token: str
    state: SandboxState


def default_token(state: SandboxState) -> str:
    """The demo token when the state accepts it, else a fresh 60-day personal access token."""
    if state.tokens.valid(DEMO_TOKEN, state.now()) is not None:
        return DEMO_TOKEN
    return state.issue_pat()


@asynccontextmanager
async def serve_sandbox(
    state: SandboxState, *, port: int = 0, host: str = "127.0.0.1"
) -> AsyncIterator[RunningSandbox]:
    """Serve `state` on `host:port` (0 = any free port) for the duration of the block."""
    runner = web.AppRunner(create_app(state), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield RunningSandbox(url=f"http://{bound_host}:{bound_port}", token=default_token(state), state=state)
    finally:
        await runner.cleanup()


async def _serve_until_stopped(state: SandboxState, port: int, host: str, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve_sandbox(state, port=port, host=host) as sandbox:
        out.write(f"BEXIO_API_URL={sandbox.url}\nBEXIO_ACCESS_TOKEN={sandbox.token}\n")
        out.flush()
        await stop.wait()


def run_standalone(
    port: int = 0,
    seed: str = "demo",
    *,
    contacts: int | None = None,
    projects: int | None = None,
    timesheets: int | None = None,
    host: str = "127.0.0.1",
    out: TextIO | None = None,
    shapes: Shapes | None = None,
) -> None:
    """Build a seeded company and serve it until SIGINT/SIGTERM (blocking).

    `shapes` None: as `BXHOURS_SANDBOX_SHAPES` says (usual when unset).
    """
    state = build_state(seed, contacts=contacts, projects=projects, timesheets=timesheets, shapes=shapes)
    precompute_json(state)
    # This process serves one company for its whole life: keep the collector off its records.
    gc.freeze()
    asyncio.run(_serve_until_stopped(state, port, host, out or sys.stdout))
