"""`bxhours try up`: the bexio sandbox, a fake Slack and a real `bxhours serve`, wired together on
fixed loopback ports, so bxhours can be tried from a shell without a Slack or a bexio account.

The sandbox (demo company) and the fake Slack run in this process; `bxhours serve` runs as a child
process configured only through its environment, exactly as an operator would run it (its database
and log live in the state folder, ``./.try`` by default, and start fresh every time: the sandbox and
the fake Slack keep nothing either). Once the server is healthy the demo company is imported through
a signed ``/bx-sync`` of its admin, so hours can be logged at once.

The fake Slack gets a few read-only routes under ``/_try/`` (``inspection_routes``) through which
`bxhours try log-hours …`, `bxhours try home …` and friends — separate processes — read back what the
bot posted: replies to ``response_url``, DMs, modals and the App Home.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TextIO

import httpx
from aiohttp import web

from bexio.sandbox import build_state, serve_sandbox
from bexio.sandbox.server import RunningSandbox
from bxhours.fakes import blocks_text
from bxhours.fakes.slack_api import FakeSlack
from bxhours.fakes.slack_client import SlackSimulator
from bxhours.fakes.try_ports import HOST, PORT_VARIABLES, Ports, signing_secret

WEBHOOK_SECRET = "try-webhook-secret-0123456789"
# Files `try up` writes in its folder, and removes on the next start (nothing else is touched).
OWN_FILES = (
    "bxhours.db",
    "bxhours.db-wal",
    "bxhours.db-shm",
    "bxhours.db-journal",
    "serve.log",
    "bxhours.env",
)
OWN_PREFIXES = ("shown-",)
OWN_SUFFIXES = (".key", ".worker.lock")
# Andrea of the demo people (``bxhours.fakes.stack.DEMO_PEOPLE``): the admin, and the demo company's
# bexio superadmin. Named here so that `bxhours serve` can start before that heavy module is imported.
ADMIN = "U01ANDREA"
People = tuple[tuple[str, str, str], ...]
HEALTH_TIMEOUT = 60.0
IMPORT_TIMEOUT = 120.0
# Environment a child must not inherit: it would change how `bxhours serve` is configured.
FOREIGN_PREFIXES = ("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_", "METRICS_")
FOREIGN_NAMES = ("HOST", "PORT", "LOG_FORMAT")
CONFIG_PREFIXES = ("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_")


class TryError(Exception):
    """`try up` could not start; one line that says why."""


# -- the fake Slack's inspection routes ----------------------------------------------------------


def inspection_routes(fake: FakeSlack, app_url: str, folder: Path) -> list[web.RouteDef]:
    """Read-only views of the fake Slack's records, for `bxhours try` in another process.

    ``/_try/info``: the workspace, its people, where bxhours listens, the state folder (where `try`
    notes what it showed each person last) and the current marks;
    ``/_try/since?calls=N&hooks=M&refusals=K``: what happened after those marks;
    ``/_try/surfaces/{user}``: the user's App Home, DM messages and the open modals.
    """

    where = str(folder.resolve())

    def marks() -> dict[str, int]:
        return {"calls": len(fake.calls), "hooks": len(fake.hooks), "refusals": len(fake.refusals)}

    async def info(_request: web.Request) -> web.Response:
        people = [
            {"id": u.id, "real_name": u.real_name, "email": u.email, "is_admin": u.is_admin}
            for u in fake.users.values()
        ]
        return web.json_response(
            {
                "team_id": fake.team_id,
                "team_name": fake.team_name,
                "bot_token": fake.bot_token,
                "app_url": app_url,
                "folder": where,
                "people": people,
                "marks": marks(),
            }
        )

    async def since(request: web.Request) -> web.Response:
        def mark(name: str) -> int:
            try:
                return max(0, int(request.query.get(name, "0")))
            except ValueError:
                return 0

        return web.json_response(
            {
                "marks": marks(),
                "calls": [{"method": c.method, "params": c.params} for c in fake.calls[mark("calls") :]],
                "hooks": [{"path": path, "body": body} for path, body in fake.hooks[mark("hooks") :]],
                "refusals": [str(r) for r in fake.refusals[mark("refusals") :]],
            }
        )

    async def surfaces(request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        modals = [view for view in fake.views.values() if view.get("type") == "modal"]
        return web.json_response(
            {
                "home": fake.home.get(user_id),
                "dm": fake.dm_messages(user_id) if user_id in fake.users else [],
                "modals": modals[::-1],
            }
        )

    return [
        web.get("/_try/info", info),
        web.get("/_try/since", since),
        web.get("/_try/surfaces/{user}", surfaces),
    ]


@contextlib.asynccontextmanager
async def serve_fake_slack(fake: FakeSlack, port: int, app_url: str, folder: Path) -> AsyncIterator[None]:
    """The fake Slack on ``port``, not strict (a refusal is shown to whoever tries, not raised),
    with the inspection routes."""
    app = fake.app
    app.add_routes(inspection_routes(fake, app_url, folder))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await _bind(web.TCPSite(runner, HOST, port), port, "the fake Slack")
        fake.base_url = f"http://{HOST}:{port}"
        yield
    finally:
        await runner.cleanup()


async def _bind(site: web.TCPSite, port: int, what: str) -> None:
    try:
        await site.start()
    except OSError as exc:
        raise TryError(
            f"{what} cannot listen on {HOST}:{port} ({exc.strerror or exc}): is `bxhours try up` "
            f"already running? Stop it, or choose other ports (--sandbox-port, --slack-port, --port)"
        ) from None


async def _start_sandbox(stack: contextlib.AsyncExitStack, port: int) -> RunningSandbox:
    try:
        return await stack.enter_async_context(serve_sandbox(build_state("demo"), port=port, host=HOST))
    except OSError as exc:
        raise TryError(
            f"the bexio sandbox cannot listen on {HOST}:{port} ({exc.strerror or exc}): is `bxhours try "
            f"up` already running? Stop it, or choose other ports (--sandbox-port, --slack-port, --port)"
        ) from None


# -- bxhours serve as a child process ------------------------------------------------------------


def prepare_folder(folder: Path) -> None:
    """Create the state folder (ignored by git) and remove what an earlier run left in it."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by `bxhours try up`: everything here is recreated on each start\n*\n")
    for path in folder.iterdir():
        if path.name in OWN_FILES or path.name.startswith(OWN_PREFIXES) or path.name.endswith(OWN_SUFFIXES):
            path.unlink()


def serve_environment(
    folder: Path, ports: Ports, fake: FakeSlack, sandbox: RunningSandbox, base: Mapping[str, str]
) -> dict[str, str]:
    """`bxhours serve`'s whole configuration. Inherited variables that configure bxhours are
    dropped, so an operator's `.env` or shell cannot point the try at a real Slack or bexio."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith(FOREIGN_PREFIXES) and key not in FOREIGN_NAMES
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{(folder / 'bxhours.db').resolve()}",
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=signing_secret(base),
        SLACK_API_URL=fake.api_url,
        BEXIO_API_URL=sandbox.url,
        BEXIO_AUTH_URL=f"{sandbox.url}/realms/bexio",
        BEXIO_ACCESS_TOKEN=sandbox.token,
        BEXIO_WEBHOOK_SECRET=WEBHOOK_SECRET,
        BXHOURS_ADMINS=ADMIN,
        HOST=HOST,
        PORT=str(ports.app),
        PYTHONUNBUFFERED="1",
    )
    return env


def write_env_file(folder: Path, env: Mapping[str, str]) -> Path:
    """The variables `bxhours serve` got, for a shell (``set -a; . .try/bxhours.env; set +a``), so
    operator commands (`bxhours settings set …`, `bxhours invoice create …`) work on the same stack."""
    names = [key for key in env if key.startswith(CONFIG_PREFIXES) or key in FOREIGN_NAMES]
    path = folder / "bxhours.env"
    path.write_text(
        "# written by `bxhours try up`: how its `bxhours serve` is configured (all local fakes)\n"
        + "".join(f"{name}={shlex.quote(env[name])}\n" for name in sorted(names))
    )
    return path


@contextlib.asynccontextmanager
async def run_serve(folder: Path, env: Mapping[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """`bxhours serve` with its output in ``serve.log``; SIGTERM (then SIGKILL) when the block ends.

    It runs in the state folder, so no `.env` of the caller's working directory is read."""
    log = (folder / "serve.log").open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bxhours.cli",
            "serve",
            cwd=folder,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    finally:
        log.close()
    try:
        yield process
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def wait_healthy(url: str, process: asyncio.subprocess.Process, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            if process.returncode is not None:
                raise TryError(f"`bxhours serve` stopped (exit {process.returncode}):\n{_tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise TryError(f"`bxhours serve` did not become healthy at {url}:\n{_tail(log_path)}")
            await asyncio.sleep(0.1)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


# -- the whole thing -----------------------------------------------------------------------------


async def run_try(
    ports: Ports,
    folder: Path,
    *,
    with_import: bool = True,
    out: TextIO | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Start everything, import the demo company, print how to use it, run until SIGINT/SIGTERM
    (or ``stop``), and stop all three. Exit code 0, or 1 when `bxhours serve` died on its own."""
    out = out or sys.stdout
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    say = _printer(out)
    prepare_folder(folder)
    fake = FakeSlack()
    say(f"Starting the bexio sandbox, a fake Slack and `bxhours serve` (state in {folder}/) …")
    async with contextlib.AsyncExitStack() as running:
        sandbox = await _start_sandbox(running, ports.sandbox)
        await running.enter_async_context(serve_fake_slack(fake, ports.slack, ports.app_url, folder))
        env = serve_environment(folder, ports, fake, sandbox, os.environ)
        env_file = write_env_file(folder, env)
        process = await running.enter_async_context(run_serve(folder, env))
        # The demo people come with the in-process stack of `make demo`, whose import takes a
        # second or two: it runs while `bxhours serve` starts in its own process. Nothing asks the
        # fake Slack about people before the first request, which waits for the health check.
        people = _demo_people()
        for user_id, email, name in people:
            fake.add_user(user_id, email, name, is_admin=user_id == ADMIN)
        log_path = folder / "serve.log"
        await wait_healthy(ports.app_url, process, log_path)
        if with_import:
            say("Importing the demo company from the sandbox (as Andrea, the admin: /bx-sync) …")
            say(await _import(fake, ports.app_url))
        say(instructions(ports, folder, sandbox, people, env_file, imported=with_import))
        died = asyncio.create_task(process.wait())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({died, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        # Ctrl-C in a terminal reaches `bxhours serve` too (one process group): it then stops with
        # exit code 0 on its own, which is no failure.
        if died.done() and process.returncode != 0:
            say(f"`bxhours serve` stopped by itself (exit {process.returncode}):\n{_tail(log_path)}")
            return 1
        died.cancel()
        say("Stopping `bxhours serve`, the fake Slack and the sandbox …")
    say("Stopped.")
    return 0


def _demo_people() -> People:
    from bxhours.fakes.stack import ANDREA, DEMO_PEOPLE

    assert ANDREA == ADMIN, "try_stack.ADMIN must name the demo admin"
    return DEMO_PEOPLE


def _printer(out: TextIO) -> Callable[[str], None]:
    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    return say


async def _import(fake: FakeSlack, app_url: str) -> str:
    async with SlackSimulator(app_url, signing_secret(), fake) as slack:
        ack = await slack.command("/bx-sync", "", user_id=ADMIN)
        if ack.status != 200:
            raise TryError(f"/bx-sync was answered with HTTP {ack.status}: {ack.text[:200]}")
        calls = await fake.wait_for(
            "chat.update",
            lambda call: str(call.params.get("text", "")).startswith(
                ("Import from bexio finished", "Import from bexio failed")
            ),
            timeout=IMPORT_TIMEOUT,
        )
    summary = blocks_text.render_message(calls[-1].params)
    return "\n".join("  " + line for line in summary.splitlines())


def _project_examples(sandbox: RunningSandbox, limit: int = 6) -> str:
    projects = sorted(sandbox.state.tables["pr_project"].values(), key=lambda p: str(p.get("nr")))
    active = [p for p in projects if p.get("pr_state_id") != 3][:limit]
    return ", ".join(f"{p.get('name')} ({p.get('nr')})" for p in active)


def instructions(
    ports: Ports,
    folder: Path,
    sandbox: RunningSandbox,
    people: People,
    env_file: Path,
    *,
    imported: bool,
) -> str:
    who = "  ".join(f"{uid} {name.split()[0]}" for uid, _email, name in people)
    try_ = "bxhours try"
    first = "" if imported else f"  {try_} sync U01ANDREA    # import the demo company first\n"
    if ports.slack != Ports().slack:
        first = (
            f"  export {PORT_VARIABLES['slack']}={ports.slack}    # where this fake Slack listens\n" + first
        )
    steps = [
        ('log-hours U01ANDREA "2h Website Relaunch 1 / Umsetzung: checkout"', ""),
        ("home U01ANDREA", "the App Home as text; buttons show as [Label]"),
        ('click U01ANDREA "Previous week"', "press a button of what was shown last"),
        ('log-hours U02MIA "1h30 yesterday Website Relaunch"', "two projects match: it asks"),
        ('click U02MIA "Website Relaunch 4"', "then the activity: click U02MIA Umsetzung"),
        ('command U01ANDREA /log-expense "84.50 Onlineshop 2 / Reisekosten: train"', ""),
        ("command U01ANDREA /log-hours week", "any slash command: /bx-sync status, /log-hours help …"),
        ("invoice U01ANDREA", "the /invoice modal, then:"),
        ('fill U01ANDREA "Up to" ' + sandbox.state.today().isoformat(), "set a field of the open modal"),
        ("fill U01ANDREA Customer 000002", "a customer by name or number"),
        ("submit U01ANDREA", "[Create draft]: the draft appears in the sandbox"),
        ("sync U01ANDREA", "import from bexio again (admins only)"),
    ]
    width = max(len(step) for step, note in steps if note) + len(try_) + 3
    lines = [f"  {f'{try_} {step}':<{width}}" + (f"# {note}" if note else "") for step, note in steps]
    return (
        f"""
bxhours try is ready — nothing here talks to slack.com or bexio.com.

  bexio sandbox  {ports.sandbox_url}   demo company "Alpenblick Digital AG"
  fake Slack     {ports.slack_url}   workspace "Acme Digital"
  bxhours serve  {ports.app_url}   SQLite {folder}/bxhours.db, log {folder}/serve.log

People: {who}   (Andrea is the admin)
Projects: {_project_examples(sandbox)} …

Act as one of them from another shell in this folder (`. .venv/bin/activate` first, or type
.venv/bin/bxhours): each command sends what Slack would send and prints what that person sees.

{first}"""
        + "\n".join(line.rstrip() for line in lines)
        + f"""

Operator commands on the same stack: `set -a; . {env_file}; set +a`, then e.g.
  bxhours settings set person_rate:noah.keller@alpenblick.example 150

Ctrl-C stops all three; every start begins afresh.
"""
    )
