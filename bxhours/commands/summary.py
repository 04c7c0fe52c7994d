"""`bxhours summary run [--week YYYY-Www] [--json]`: the weekly summaries now (issue 17 §5).

The DMs the scheduler sends on Monday 08:00 (each person's week with its chart, the team summary
for admins), for the ISO week named (default: last week). With ``--json`` stdout is exactly
``{"sent": [Slack user ids], "charts": N}``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date

from bxhours.commands import EXIT_FAILED, EXIT_OK
from bxhours.settings import Settings

_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    summary = sub.add_parser("summary", help="weekly summaries")
    summary_sub = summary.add_subparsers(dest="summary_command", required=True, metavar="WHAT")
    run = summary_sub.add_parser(
        "run",
        help="send the weekly summaries now",
        description="Send each linked person their week (hours per day and project, billable share, "
        "days below the norm) with a PNG chart, and admins the team summary, now.",
    )
    run.add_argument("--week", type=week_monday, metavar="YYYY-Www", help="the ISO week (default: last week)")
    run.add_argument("--json", action="store_true", help='print {"sent": [...], "charts": N} on stdout')
    summary.set_defaults(handler=summary_command, quiet=True)


def week_monday(text: str) -> date:
    """``2026-W48`` → Monday 23.11.2026."""
    found = _WEEK.fullmatch(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError("expected an ISO week like 2026-W48")
    try:
        return date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text.strip()} is no week of that year") from None


async def summary_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings)
    try:
        summaries = runtime.services.summaries
        assert summaries is not None
        result = await summaries.run(runtime.tenant_id, args.week)
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(
            f"sent {len(result.sent)} summaries with {result.charts} charts: {', '.join(result.sent) or '-'}"
        )
    for who, problem in result.failed.items():
        print(f"bxhours: the summary for {who} could not be sent ({problem})", file=sys.stderr)
    return EXIT_FAILED if result.failed else EXIT_OK
