"""`bxhours export entries`: time entries and expenses to stdout, as CSV (default) or JSON."""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date

from bxhours.commands import EXIT_OK, CommandError
from bxhours.commands.tenant_db import tenant_database
from bxhours.settings import Settings
from core.dates import DateError, parse_iso_date


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="export data")
    export_sub = export.add_subparsers(dest="export_command", required=True, metavar="WHAT")
    entries = export_sub.add_parser(
        "entries",
        help="time entries and expenses to stdout",
        description="Time entries and expenses to stdout. CSV is UTF-8 with a BOM and ;-separated, "
        "as Excel in de-CH opens it; money and hours are strings with two decimals.",
    )
    entries.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first day, YYYY-MM-DD")
    entries.add_argument("--to", dest="end", type=_day, metavar="DATE", help="last day, YYYY-MM-DD")
    entries.add_argument("--user", metavar="EMAIL", help="only this person's (their bexio e-mail)")
    entries.add_argument("--project", metavar="NR", help="only this bexio project number (42 or 000042)")
    entries.add_argument("--format", choices=("csv", "json"), default="csv")
    entries.add_argument(
        "--delimiter", type=_delimiter, default=";", metavar="CHAR", help="CSV column separator (default ;)"
    )
    export.set_defaults(handler=export_command, quiet=True)


def _day(text: str) -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _delimiter(text: str) -> str:
    if len(text) != 1 or text in '\r\n"':
        raise argparse.ArgumentTypeError("the delimiter is one character, e.g. , or ;")
    return text


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    from services.export import ExportError, ExportFilter, ExportService, write_csv, write_json

    selection = ExportFilter(start=args.start, end=args.end, user_email=args.user, project_nr=args.project)
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False)
    try:
        async with tenant_database(settings) as (db, tenant_id):
            rows = ExportService(db).rows(tenant_id, selection)
            try:
                if args.format == "json":
                    await write_json(rows, out)
                else:
                    await write_csv(rows, out, args.delimiter)
            except ExportError as exc:
                raise CommandError(exc.message) from None
    finally:
        out.flush()
        out.detach()
    return EXIT_OK
