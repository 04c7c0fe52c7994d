"""The `bxhours` command line.

Every command reads the same settings; a missing or invalid one ends the program with one line that
names the variable and exit code 2 — never a traceback. Commands that change data run the same
services as Slack does, for the tenant of the configured workspace.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from bxhours import __version__
from bxhours.commands import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    admin,
    categories,
    demo,
    export,
    invoice,
    reminders,
    sandbox,
    server,
    summary,
    sync,
    try_,
    workspaces,
)
from bxhours.logs import configure_logging
from bxhours.settings import ConfigError, Settings, load_settings

COMMAND_MODULES = (
    server,
    admin,
    sandbox,
    sync,
    export,
    categories,
    invoice,
    demo,
    try_,
    workspaces,
    reminders,
    summary,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bxhours", description="Slack time tracking and invoicing for bexio."
    )
    parser.add_argument("--version", action="version", version=f"bxhours {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parser(sub)
    _accept_workspace(parser)
    return parser


def _accept_workspace(parser: argparse.ArgumentParser) -> None:
    """Every command and subcommand takes ``--workspace T…``: which tenant to act on when the
    database serves several (required only then)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                child.add_argument(
                    "--workspace",
                    metavar="T…",
                    default=argparse.SUPPRESS,
                    help="the Slack workspace (team id) to act on, when this database serves several",
                )
                _accept_workspace(child)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if getattr(args, "workspace", None):
            settings = settings.model_copy(update={"bxhours_workspace": args.workspace})
        level = logging.WARNING if getattr(args, "quiet", False) else logging.INFO
        configure_logging(settings.log_format, level=level, secrets=_secret_values(settings))
        if getattr(args, "blocking", False):
            return int(args.handler(args, settings) or EXIT_OK)
        return asyncio.run(args.handler(args, settings)) or EXIT_OK
    except ConfigError as exc:
        print(f"bxhours: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CommandError as exc:
        print(f"bxhours: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the output went into a pipe that closed (`| head`): nothing to say
        return EXIT_OK
    except (DBAPIError, ConnectionError, socket.gaierror) as exc:
        # The database is down or refuses us: one line, never the URL (it may hold a password).
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        print(
            f"bxhours: the database at DATABASE_URL could not be used ({type(exc).__name__}: "
            f"{reason[0] if reason else 'no detail'})",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _secret_values(settings: Settings) -> list[str]:
    names = (
        "slack_bot_token",
        "slack_signing_secret",
        "bexio_access_token",
        "bexio_client_secret",
        "bexio_webhook_secret",
        "bxhours_encryption_key",
        "slack_client_secret",
    )
    secrets = (getattr(settings, name) for name in names)
    return [secret.get_secret_value() for secret in secrets if secret is not None]


if __name__ == "__main__":
    raise SystemExit(main())
