"""`bxhours try`: try bxhours without a Slack or a bexio account.

`bxhours try up` (what `make try` runs) starts the bexio sandbox, a fake Slack and `bxhours serve` on
fixed loopback ports; the other subcommands act as a person of the fake workspace from a shell —
a signed slash command, opening the App Home, pressing a button, submitting a modal — and print what
that person would see as text.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bxhours.commands import EXIT_OK, CommandError
from bxhours.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bxhours.fakes.try_ports import APP_PORT, DEFAULT_DIR, PORT_VARIABLES, SANDBOX_PORT, SLACK_PORT

    ports = argparse.ArgumentParser(add_help=False)
    ports.add_argument(
        "--slack-port",
        type=int,
        default=None,
        help=f"the fake Slack's port (default {SLACK_PORT}, or ${PORT_VARIABLES['slack']})",
    )
    try_ = sub.add_parser(
        "try",
        help="try bxhours without Slack or bexio accounts: `try up`, then act as a Slack user",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = try_.add_subparsers(dest="try_command", required=True, metavar="ACTION")

    up = actions.add_parser(
        "up",
        parents=[ports],
        help="start the bexio sandbox, a fake Slack and bxhours serve (what `make try` runs)",
    )
    up.add_argument(
        "--sandbox-port",
        type=int,
        default=None,
        help=f"the bexio sandbox's port (default {SANDBOX_PORT}, or ${PORT_VARIABLES['sandbox']})",
    )
    up.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"bxhours serve's port (default {APP_PORT}, or ${PORT_VARIABLES['app']})",
    )
    up.add_argument(
        "--dir", type=Path, default=Path(DEFAULT_DIR), help=f"state folder (default ./{DEFAULT_DIR})"
    )
    up.add_argument("--no-import", action="store_true", help="do not import the demo company at start")
    up.set_defaults(handler=up_command, quiet=True)

    def person(name: str, help_: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, parents=[ports], help=help_)
        parser.add_argument("user", metavar="USER", help="the Slack user id, e.g. U01ANDREA")
        parser.set_defaults(handler=person_command, quiet=True)
        return parser

    log_hours = person("log-hours", 'type /log-hours, e.g. "2h Website Relaunch 1 / Umsetzung: checkout"')
    log_hours.add_argument("text", nargs="*", help="what follows /log-hours")
    log_hours.set_defaults(slash="/log-hours")

    command = person("command", "type any slash command: command U01ANDREA /log-expense 84.50 …")
    command.add_argument("slash", metavar="/COMMAND")
    command.add_argument("text", nargs="*", help="what follows the command")

    person("home", "open the App Home and print it")

    sync = person("sync", "type /bx-sync (import from bexio; admins) and wait for the summary")
    sync.set_defaults(slash="/bx-sync", text=[])

    invoice = person("invoice", "type /invoice and print the modal it opens")
    invoice.set_defaults(slash="/invoice", text=[])

    click = person("click", "press a button (or pick a menu option) shown by the last reply, modal or home")
    click.add_argument("label", help="the button's label as printed in [brackets] (a unique part is enough)")

    fill = person("fill", "set a field of the open modal: fill U01ANDREA Duration 2h30")
    fill.add_argument("label", help="the field's label (a unique part is enough)")
    fill.add_argument("value", nargs="+", help="text, a date (2026-12-01), or the choice's label")

    person("submit", "press the submit button of the open modal, with the values it shows")


def _slack_port(args: argparse.Namespace) -> int:
    from bxhours.fakes.try_ports import default_port

    if args.slack_port is not None:
        return int(args.slack_port)
    try:
        return default_port("slack")
    except ValueError as exc:
        raise CommandError(str(exc)) from None


async def up_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.fakes.try_ports import Ports, default_port
    from bxhours.fakes.try_stack import TryError, run_try

    try:
        ports = Ports(
            sandbox=args.sandbox_port if args.sandbox_port is not None else default_port("sandbox"),
            slack=_slack_port(args),
            app=args.port if args.port is not None else default_port("app"),
        )
        return await run_try(ports, args.dir, with_import=not args.no_import)
    except (TryError, ValueError) as exc:
        raise CommandError(str(exc)) from None


async def person_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.fakes.try_client import TryClient, TryClientError

    try:
        async with TryClient.connect(_slack_port(args)) as client:
            user = client.person(args.user)
            action = args.try_command
            if action == "home":
                print(await client.home(user))
            elif action == "click":
                print(await client.click(user, args.label))
            elif action == "fill":
                print(await client.fill(user, args.label, " ".join(args.value)))
            elif action == "submit":
                print(await client.submit(user))
            else:
                print(await client.command(user, args.slash, " ".join(args.text)))
    except TryClientError as exc:
        raise CommandError(str(exc)) from None
    return EXIT_OK
