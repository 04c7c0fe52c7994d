"""A faithful stand-in for bexio's API: bexio has no test accounts and pushes no webhooks,
so every bexio feature of bxhours is proven against this sandbox.

    state = build_state("demo", clock=ManualClock())
    async with serve_sandbox(state) as sandbox, httpx.AsyncClient(base_url=sandbox.url) as http:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
        contacts = (await http.get("/2.0/contact", headers=headers)).json()
        state.faults.script("POST /2.0/kb_invoice", [500, "timeout", 201])
        ...
        assert len(state.calls_to("POST", "/2.0/kb_invoice")) == 3

Several companies, told apart by token (ids overlap between them on purpose):

    async with serve_sandbox(build_state("demo"), companies=[build_state("demo", company=2)]) as sandbox:
        sandbox.token_for("sandbox2company")  # a token of "Seeblick Treuhand AG"

OAuth: the authorize endpoint shows a login and consent page (`bexio.sandbox.consent`);
`bexio.sandbox.testing.consent(authorize_url, email=...)` clicks through it over HTTP, and
`state.settings.oauth_login_user_id = 1` skips it (auto-consent).

Outside a test: `python -m bexio.sandbox --seed demo` (or `run_standalone`) prints the
`BEXIO_API_URL`, `BEXIO_ACCESS_TOKEN`, `BEXIO_AUTH_URL`, `BEXIO_CLIENT_ID` and
`BEXIO_CLIENT_SECRET` lines for `.env` and serves until stopped.
"""

from bexio.sandbox.app import create_app, precompute_json
from bexio.sandbox.clock import Clock, ManualClock, SystemClock
from bexio.sandbox.companies import SandboxCompanies
from bexio.sandbox.faults import Faults
from bexio.sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SEEDS, build_state
from bexio.sandbox.server import RunningSandbox, run_standalone, serve_sandbox
from bexio.sandbox.state import RecordedCall, SandboxSettings, SandboxState
from bexio.sandbox.tokens import DEMO_TOKEN

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_TOKEN",
    "SEEDS",
    "Clock",
    "Faults",
    "ManualClock",
    "RecordedCall",
    "RunningSandbox",
    "SandboxCompanies",
    "SandboxSettings",
    "SandboxState",
    "SystemClock",
    "build_state",
    "create_app",
    "precompute_json",
    "run_standalone",
    "serve_sandbox",
]
