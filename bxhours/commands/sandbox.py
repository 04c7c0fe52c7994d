"""`bxhours sandbox`: the bexio sandbox on its own, for trying bxhours without a bexio account."""

from __future__ import annotations

import argparse

from bxhours.commands import EXIT_OK, CommandError
from bxhours.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = sub.add_parser("sandbox", help="run the bexio sandbox (a faithful emulation of bexio's API)")
    sandbox.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument(
        "--seed", choices=("demo", "empty", "large"), default="demo", help="which company to serve"
    )
    sandbox.add_argument("--contacts", type=int, help="large seed: number of contacts (default 5000)")
    sandbox.add_argument("--projects", type=int, help="large seed: number of projects (default 500)")
    sandbox.add_argument("--timesheets", type=int, help="large seed: number of timesheets (default 100000)")
    sandbox.add_argument(
        "--shapes",
        choices=("usual", "documented"),
        default=None,
        help="usual (default): answer in the shapes bexio's recordings show; documented: also in "
        'every other shape bexio documents (integer postcodes, 0/1 booleans, "" for null, …), '
        "to prove a client reads them all. Unset: $BXHOURS_SANDBOX_SHAPES, else usual",
    )
    sandbox.add_argument(
        "--companies",
        type=int,
        default=1,
        help="how many bexio companies to serve, each with its own data, told apart by token (default 1)",
    )
    sandbox.add_argument(
        "--public-url",
        default="http://127.0.0.1:3000",
        help="where bxhours runs (PUBLIC_URL); the printed OAuth client accepts <URL>/bexio/callback "
        "as its redirect URI (default http://127.0.0.1:3000)",
    )
    sandbox.set_defaults(handler=sandbox_command, blocking=True)


def sandbox_command(args: argparse.Namespace, settings: Settings) -> int:
    """Blocking: the sandbox runs its own event loop until SIGINT/SIGTERM.

    Prints BEXIO_API_URL, BEXIO_ACCESS_TOKEN (these two first, as always), BEXIO_AUTH_URL,
    BEXIO_CLIENT_ID and BEXIO_CLIENT_SECRET for `.env`, then a comment per company naming the
    superadmin to sign in as on the sandbox's consent page and that company's token.
    """
    from bexio.sandbox import run_standalone

    try:
        run_standalone(
            port=args.port,
            seed=args.seed,
            contacts=args.contacts,
            projects=args.projects,
            timesheets=args.timesheets,
            host=args.host,
            shapes=args.shapes,
            companies=args.companies,
            public_url=args.public_url,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return EXIT_OK
