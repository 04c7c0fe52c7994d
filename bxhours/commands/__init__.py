"""Subcommands of `bxhours`: one module per command group, each with ``add_parser(subparsers)``.

A module registers its parser and sets ``handler`` (an ``async (args, settings) -> int``) as default,
so adding a command never touches the others.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from bxhours.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class CommandError(Exception):
    """A command failed for a reason the operator can act on; printed as one line."""
