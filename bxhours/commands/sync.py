"""`bxhours sync [--json]`: the import from bexio for the configured workspace, for cron and operators.

The same import as `/bx-sync` (and refused the same way while one is running). Progress goes to
stderr; with ``--json`` stdout is exactly one JSON object (issue 4 §7). Exit 0 on success, else
one line saying why and exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from bxhours.commands import EXIT_OK, CommandError
from bxhours.settings import Settings
from core.clock import to_local
from services.importing.summary import RESOURCE_LABELS, ImportProgress, ImportSummary, skipped_lines

#: Within one phase, a new progress line at most this often.
PROGRESS_EVERY = 2.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = sub.add_parser(
        "sync", help="import users, customers, projects, … and historic hours from bexio now"
    )
    sync.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    # WARNING and up only: stderr is for progress and, on failure, the one line that says why.
    sync.set_defaults(handler=sync_command, quiet=True)


async def sync_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime
    from services.importing.errors import ImportFailed
    from services.importing.runs import ImportBusy

    runtime = await Runtime.create(settings)
    try:
        summary = await runtime.services.sync.run_here(runtime.tenant_id, progress=StderrProgress(sys.stderr))
    except ImportBusy as exc:
        started = to_local(exc.run.started_at or exc.run.created_at, settings.bxhours_timezone)
        raise CommandError(
            f"an import from bexio is already running, started by {exc.run.started_by} at {started:%H:%M}"
        ) from None
    except ImportFailed as exc:
        raise CommandError(exc.message) from None
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        print(describe(summary))
    return EXIT_OK


class StderrProgress:
    """One line per phase, and within a long phase one every couple of seconds."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._phase = ""
        self._printed = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        if progress.phase == self._phase and now - self._printed < PROGRESS_EVERY:
            return
        self._phase, self._printed = progress.phase, now
        print(
            f"[{progress.step}/{progress.steps}] {progress.phase}: "
            f"{progress.records_read} records read, {progress.elapsed:.1f} s",
            file=self.out,
            flush=True,
        )


def describe(summary: ImportSummary) -> str:
    lines = [f"Imported from {summary.company_name or 'bexio'} in {summary.seconds:.1f} s:"]
    for name, changes in summary.resources.items():
        lines.append(
            f"  {RESOURCE_LABELS.get(name, name)}: {changes.created} new, {changes.updated} updated, "
            f"{changes.deactivated} deactivated, {changes.total} active"
        )
    lines.append(f"  Customers rule ({summary.customer_rule}): {summary.customer_rule_reason}")
    if summary.unmatched:
        people = ", ".join(person.email or person.name for person in summary.unmatched)
        lines.append(f"  Not linked to Slack ({len(summary.unmatched)}): {people}")
    lines += [f"  Note: {note}" for note in summary.notes]
    lines += [f"  Skipped: {line}" for line in skipped_lines(summary.skipped)]
    return "\n".join(lines)
