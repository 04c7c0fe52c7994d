"""Running the sandbox: inside a test or bench (`serve_sandbox`), or as its own process.

`run_standalone` is what `bxhours sandbox` runs: once the port is bound it prints the lines a
local try-out needs for `.env` and serves until SIGINT or SIGTERM:

    BEXIO_API_URL=http://127.0.0.1:PORT
    BEXIO_ACCESS_TOKEN=<company 1's token>
    BEXIO_AUTH_URL=http://127.0.0.1:PORT/realms/bexio
    BEXIO_CLIENT_ID=bxhours-sandbox
    BEXIO_CLIENT_SECRET=sandbox-client-secret
    # … comments: the redirect URI registered, and per company its name, the superadmin to
    # sign in as on the consent page, and its own BEXIO_ACCESS_TOKEN

The first two lines come first and keep their format (scripts read them by position).
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final, TextIO

from aiohttp import web

from bexio.sandbox.app import create_app, precompute_json
from bexio.sandbox.companies import company_name, superadmin_email
from bexio.sandbox.oauth import REALM
from bexio.sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS, build_state
from bexio.sandbox.shapes import Shapes
from bexio.sandbox.state import SandboxState
from bexio.sandbox.tokens import DEMO_TOKEN

#: Seconds aiohttp waits for in-flight calls on shutdown (hanging faults end at once anyway).
SHUTDOWN_TIMEOUT = 2.0
#: Where a local bxhours listens by default (`bxhours serve`); its OAuth callback is below it.
DEFAULT_PUBLIC_URL: Final = "http://127.0.0.1:3000"
CALLBACK_PATH: Final = "/bexio/callback"


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    #: The first company's token (the demo token when it accepts it).
    token: str
    #: The first company.
    state: SandboxState
    #: Every company served, `state` first.
    companies: tuple[SandboxState, ...] = ()
    #: A token per company, in the order of `companies` (`tokens[0] == token`).
    tokens: tuple[str, ...] = ()

    @property
    def auth_url(self) -> str:
        """What `BEXIO_AUTH_URL` is for this sandbox (the realm, as `auth.bexio.com/realms/bexio`)."""
        return self.url + REALM

    def token_for(self, company: SandboxState | str) -> str:
        """The token of a company served, given as its state or its `company_id`."""
        for state, token in zip(self.companies, self.tokens, strict=True):
            if state is company or state.company_id == company:
                return token
        raise KeyError(f"this sandbox serves no company {company!r}")

    def company(self, company_id: str) -> SandboxState:
        for state in self.companies:
            if state.company_id == company_id:
                return state
        raise KeyError(f"this sandbox serves no company {company_id!r}")

    def register_oauth_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        """Register an OAuth app once; every company served knows it."""
        self.state.register_oauth_client(client_id, client_secret, redirect_uris)


def default_token(state: SandboxState) -> str:
    """The demo token when the state accepts it, else a fresh 60-day personal access token."""
    if state.tokens.valid(DEMO_TOKEN, state.now()) is not None:
        return DEMO_TOKEN
    return state.issue_pat()


@asynccontextmanager
async def serve_sandbox(
    state: SandboxState,
    *,
    companies: Sequence[SandboxState] = (),
    port: int = 0,
    host: str = "127.0.0.1",
) -> AsyncIterator[RunningSandbox]:
    """Serve `state` — and further `companies`, told apart by token — on `host:port`
    (0 = any free port) for the duration of the block."""
    app = create_app(state, companies=companies)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        served = (state, *companies)
        tokens = tuple(default_token(company) for company in served)
        yield RunningSandbox(
            url=f"http://{bound_host}:{bound_port}",
            token=tokens[0],
            state=state,
            companies=served,
            tokens=tokens,
        )
    finally:
        await runner.cleanup()


def env_lines(sandbox: RunningSandbox, public_url: str = DEFAULT_PUBLIC_URL) -> list[str]:
    """What `bxhours sandbox` prints: `.env` lines, then comments on the companies."""
    callback = public_url.rstrip("/") + CALLBACK_PATH
    lines = [
        f"BEXIO_API_URL={sandbox.url}",
        f"BEXIO_ACCESS_TOKEN={sandbox.token}",
        f"BEXIO_AUTH_URL={sandbox.auth_url}",
        f"BEXIO_CLIENT_ID={DEMO_CLIENT_ID}",
        f"BEXIO_CLIENT_SECRET={DEMO_CLIENT_SECRET}",
        f"# BEXIO_CLIENT_ID accepts the redirect URI {callback} (PUBLIC_URL={public_url.rstrip('/')})",
    ]
    for number, (state, token) in enumerate(zip(sandbox.companies, sandbox.tokens, strict=True), start=1):
        admin = superadmin_email(state) or "-"
        lines.append(
            f'# company {number} {state.company_id} "{company_name(state)}": consent page login {admin} '
            f"(superadmin, any password); its token: BEXIO_ACCESS_TOKEN={token}"
        )
    return lines


def register_callback(state: SandboxState, public_url: str) -> None:
    """Let the demo OAuth client redirect to `{public_url}/bexio/callback` too."""
    callback = public_url.rstrip("/") + CALLBACK_PATH
    state.register_oauth_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [*DEMO_REDIRECT_URIS, callback])


async def serve_until_stopped(
    states: Sequence[SandboxState],
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    out: TextIO,
    public_url: str = DEFAULT_PUBLIC_URL,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve `states`, print `env_lines`, and serve until `stop` is set (None: SIGINT/SIGTERM)."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    register_callback(states[0], public_url)
    async with serve_sandbox(states[0], companies=states[1:], port=port, host=host) as sandbox:
        out.write("\n".join(env_lines(sandbox, public_url)) + "\n")
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
    companies: int = 1,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> None:
    """Build `companies` seeded companies and serve them until SIGINT/SIGTERM (blocking).

    `shapes` None: as `BXHOURS_SANDBOX_SHAPES` says (usual when unset). The demo OAuth client
    also accepts `{public_url}/bexio/callback` as its redirect URI.
    """
    if companies < 1:
        raise ValueError("--companies must be at least 1")
    states = [
        build_state(
            seed, contacts=contacts, projects=projects, timesheets=timesheets, shapes=shapes, company=number
        )
        for number in range(1, companies + 1)
    ]
    for state in states:
        precompute_json(state)
    # This process serves these companies for its whole life: keep the collector off their records.
    gc.freeze()
    asyncio.run(
        serve_until_stopped(states, port=port, host=host, out=out or sys.stdout, public_url=public_url)
    )
