"""`bxhours demo`."""

from __future__ import annotations

import argparse

from bxhours.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo", help="run the demo end to end on SQLite, the bexio sandbox and a fake Slack"
    )
    demo.set_defaults(handler=demo_command, quiet=True)


async def demo_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.demo import run_demo

    return await run_demo()
