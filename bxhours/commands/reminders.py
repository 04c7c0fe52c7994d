"""`bxhours reminders run [--day YYYY-MM-DD] [--dry-run] [--json]`: the missing-hours reminders now.

The same code the scheduler runs at each person's reminder time (``services.reminders``), for the
day named (default: each person's today in their Slack time zone), whatever the clock says. With
``--json`` stdout is exactly ``{"sent": [Slack user ids], "skipped": {"U… or e-mail": "reason"}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from bxhours.commands import EXIT_FAILED, EXIT_OK
from bxhours.settings import Settings
from core.dates import DateError, parse_iso_date


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reminders = sub.add_parser("reminders", help="missing-hours reminders")
    reminders_sub = reminders.add_subparsers(dest="reminders_command", required=True, metavar="WHAT")
    run = reminders_sub.add_parser(
        "run",
        help="send the missing-hours reminders the day calls for, now",
        description="Check the hours of a working day (default: each person's today in their Slack "
        "time zone) and send the reminders it calls for now. Skip reasons: enough_hours, weekend, "
        "holiday, absent, opted_out, unlinked, already_reminded, disabled.",
    )
    run.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="the day to check (default: today)")
    run.add_argument("--dry-run", action="store_true", help="list who would get one; send and record nothing")
    run.add_argument("--json", action="store_true", help='print {"sent": [...], "skipped": {...}} on stdout')
    reminders.set_defaults(handler=reminders_command, quiet=True)


def _day(text: str) -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


async def reminders_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings)
    try:
        reminders = runtime.services.reminders
        assert reminders is not None
        result = await reminders.run(runtime.tenant_id, args.day, dry_run=args.dry_run)
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        verb = "would remind" if args.dry_run else "reminded"
        print(f"{verb} {len(result.sent)}: {', '.join(result.sent) or '-'}")
        for who, reason in result.skipped.items():
            print(f"skipped {who}: {reason}")
    for who, problem in result.failed.items():
        print(f"bxhours: the reminder for {who} could not be sent ({problem})", file=sys.stderr)
    return EXIT_FAILED if result.failed else EXIT_OK
