"""A faithful stand-in for bexio's API: bexio has no test accounts and pushes no webhooks,
so every bexio feature of bxhours is proven against this sandbox.

    state = build_state("demo", clock=ManualClock())
    async with serve_sandbox(state) as sandbox, httpx.AsyncClient(base_url=sandbox.url) as http:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {sandbox.token}"}
        contacts = (await http.get("/2.0/contact", headers=headers)).json()
        state.faults.script("POST /2.0/kb_invoice", [500, "timeout", 201])
        ...
        assert len(state.calls_to("POST", "/2.0/kb_invoice")) == 3

Outside a test: `python -m bexio.sandbox --seed demo` (or `run_standalone`) prints the
`BEXIO_API_URL` and `BEXIO_ACCESS_TOKEN` lines for `.env` and serves until stopped.
"""

from bexio.sandbox.app import create_app, precompute_json
from bexio.sandbox.clock import Clock, ManualClock, SystemClock
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
    "SandboxSettings",
    "SandboxState",
    "SystemClock",
    "build_state",
    "create_app",
    "precompute_json",
    "run_standalone",
    "serve_sandbox",
]
