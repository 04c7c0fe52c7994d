"""`python -m bexio.sandbox [--port N] [--seed demo|empty|large] [--shapes usual|documented] [--companies N] …`

The same as `bxhours sandbox`, for running the sandbox before (or without) the CLI.
"""

from __future__ import annotations

import argparse

from bexio.sandbox.seed import SEEDS
from bexio.sandbox.server import DEFAULT_PUBLIC_URL, run_standalone
from bexio.sandbox.shapes import SHAPES, SHAPES_ENV


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bexio.sandbox", description="Serve a bexio sandbox.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", choices=SEEDS, default="demo")
    parser.add_argument("--contacts", type=int, help="number of contacts (demo/large)")
    parser.add_argument("--projects", type=int, help="number of projects (demo/large)")
    parser.add_argument("--timesheets", type=int, help="number of timesheets (demo/large)")
    parser.add_argument(
        "--shapes",
        choices=SHAPES,
        help=f"usual: the recorded shapes; documented: also every shape bexio documents "
        f"(default: ${SHAPES_ENV}, else usual)",
    )
    parser.add_argument("--companies", type=int, default=1, help="how many companies to serve (default 1)")
    parser.add_argument(
        "--public-url",
        default=DEFAULT_PUBLIC_URL,
        help=f"where bxhours runs; the OAuth client accepts <URL>/bexio/callback (default {DEFAULT_PUBLIC_URL})",
    )
    args = parser.parse_args(argv)
    try:
        run_standalone(
            args.port,
            args.seed,
            contacts=args.contacts,
            projects=args.projects,
            timesheets=args.timesheets,
            host=args.host,
            shapes=args.shapes,
            companies=args.companies,
            public_url=args.public_url,
        )
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
