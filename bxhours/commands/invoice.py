"""`bxhours invoice preview|create|report`: the invoicing service from the command line (the monthly run).

`preview` and `create` group the hours as ``--group`` says (default: the workspace setting
``invoice_grouping``); `preview --json` names what blocks the draft in ``"problems"`` (the same
sentences the modal shows). `report NUMBER` writes a draft's timesheet report (PDF) to stdout.

`create` waits until the draft exists in bexio or bexio refused it for good, running the push
jobs in this process (a `bxhours serve` running elsewhere may take them too: the queue's lease
makes sure only one of them pushes each draft). With ``--json`` stdout is one JSON object; errors
go to stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bxhours.commands import EXIT_FAILED, EXIT_OK, CommandError
from bxhours.settings import Settings

if TYPE_CHECKING:
    from bxhours.runtime import Runtime
    from services.invoicing import DraftOutcome, InvoicingService, Selection
    from services.invoicing.preview import Preview

DEFAULT_WAIT_SECONDS = 300.0
LAST_MONTH = "last-month"
GROUPINGS = ("activity", "day", "entry")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invoice = sub.add_parser("invoice", help="preview or create draft invoices in bexio")
    actions = invoice.add_subparsers(dest="invoice_command", required=True, metavar="ACTION")
    preview = actions.add_parser("preview", help="show the lines and totals a draft would have")
    create = actions.add_parser("create", help="create the draft in bexio and wait for it")
    report = actions.add_parser(
        "report", help="write a draft's timesheet report (PDF) to stdout, e.g. `... report RE-00042 > r.pdf`"
    )
    report.add_argument("number", metavar="NUMBER", help="bexio's document number or bxhours' own number")
    for parser in (preview, create):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", metavar="NR-OR-NAME", help="bexio customer number or name")
        if parser is create:
            who.add_argument(
                "--all", action="store_true", help="one draft per customer with unbilled billable work"
            )
        parser.add_argument("--project", metavar="NR", help="only this project (number or name)")
        parser.add_argument(
            "--from", dest="period_from", metavar="DATE", help="first day (default: all unbilled)"
        )
        parser.add_argument(
            "--to",
            dest="period_to",
            metavar="DATE",
            help="last day (default: last month when it has unbilled work, else today)",
        )
        parser.add_argument(
            "--period", choices=(LAST_MONTH,), help="last-month: from its first to its last day"
        )
        parser.add_argument(
            "--group",
            choices=GROUPINGS,
            help="one line per project and activity, per day, or per entry (default: invoice_grouping)",
        )
        numbering = parser.add_mutually_exclusive_group()
        numbering.add_argument(
            "--bexio-number",
            dest="bexio_number",
            action="store_true",
            default=None,
            help="bexio numbers the draft",
        )
        numbering.add_argument(
            "--own-number",
            dest="bexio_number",
            action="store_false",
            help="bxhours' own number (invoice_number_format)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    create.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for bexio (default {DEFAULT_WAIT_SECONDS:g})",
    )
    invoice.set_defaults(handler=invoice_command, quiet=True)


@dataclass(frozen=True)
class Period:
    start: date | None
    end: date | None


async def invoice_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import Runtime

    runtime = await Runtime.create(settings)
    try:
        if args.invoice_command == "report":
            return await _report(runtime, args.number)
        period = _period(args, runtime.services.invoicing)
        if not (args.period or args.period_from or args.period_to):  # the modal's default (issue 15 §6)
            period = Period(*await runtime.services.invoicing.default_period(runtime.tenant_id))
        if args.invoice_command == "preview":
            return await _preview(runtime, args, period)
        if args.all:
            return await _create_all(runtime, args, period)
        return await _create_one(runtime, args, period)
    finally:
        await runtime.close()


def _period(args: argparse.Namespace, invoicing: InvoicingService) -> Period:
    from core.dates import DateError, parse_date_token

    today = invoicing.today()
    if args.period == LAST_MONTH:
        if args.period_from or args.period_to:
            raise CommandError("--period last-month cannot be combined with --from or --to")
        last = invoicing.default_period_end()
        return Period(last.replace(day=1), last)

    def parse(text: str | None, flag: str) -> date | None:
        if text is None:
            return None
        try:
            day = parse_date_token(text, today)
        except DateError as exc:
            raise CommandError(f"{flag}: {exc.message}") from None
        if day is None:
            raise CommandError(f"{flag}: {text!r} is not a date — write it like 2026-10-31 or 31.10.2026")
        return day

    start, end = parse(args.period_from, "--from"), parse(args.period_to, "--to")
    if start and end and start > end:
        raise CommandError("--from is after --to")
    return Period(start, end if args.period_to else invoicing.default_period_end())


async def _selection(
    runtime: Runtime, args: argparse.Namespace, period: Period, customer_id: int
) -> Selection:
    from core.invoice_lines import Grouping
    from services.invoicing import Selection

    project_id = await _project(runtime, customer_id, args.project) if args.project else None
    if args.group:
        grouping = Grouping(args.group)
    else:
        grouping = await runtime.services.invoicing.default_grouping(runtime.tenant_id)
    return Selection(customer_id, project_id, period.start, period.end, grouping)


async def _project(runtime: Runtime, customer_id: int, text: str) -> int:
    from sqlalchemy import select

    from core.matching import Candidate, match
    from storage.models import Project

    async with runtime.db.session(runtime.tenant_id) as session:
        projects = list(await session.scalars(select(Project).where(Project.customer_id == customer_id)))
    found = match(text, [Candidate(p.id, p.name, p.nr, p.active) for p in projects]).unique
    if found is None:
        names = ", ".join(f"{p.nr} {p.name}" if p.nr else p.name for p in projects[:10]) or "none"
        raise CommandError(f"no single project {text!r} of this customer (its projects: {names})")
    return found.key


async def _customer_id(runtime: Runtime, text: str) -> int:
    from services.invoicing.customers import CustomerNotFound

    try:
        return (await runtime.services.invoicing.find_customer(runtime.tenant_id, text)).id
    except CustomerNotFound as exc:
        raise CommandError(exc.message) from None


# --- preview ----------------------------------------------------------------------------------


async def _preview(runtime: Runtime, args: argparse.Namespace, period: Period) -> int:
    invoicing = runtime.services.invoicing
    customer_id = await _customer_id(runtime, args.customer)
    preview = await invoicing.preview(runtime.tenant_id, await _selection(runtime, args, period, customer_id))
    assert preview is not None
    if not preview.lines:
        raise CommandError(f"nothing to invoice for {preview.customer.label} in this period")
    accounts = await invoicing.account_numbers(
        runtime.tenant_id, {line.account_id for line in preview.lines if line.account_id is not None}
    )
    problems = await invoicing.problems(runtime.tenant_id, preview, use_bexio_numbering=args.bexio_number)
    if args.json:
        _print_json(_preview_json(preview, accounts, problems))
    else:
        _print_preview(preview, accounts)
    if problems:
        print("bxhours: this draft cannot be created yet: " + " ".join(problems), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _preview_json(preview: Preview, accounts: dict[int, str], problems: Sequence[str]) -> dict[str, Any]:
    totals = preview.totals
    return {
        "problems": list(problems),
        "invoice_id": None,
        "bexio_id": None,
        "document_nr": None,
        "total_net": str(totals.net),
        "total_vat": str(totals.total_vat),
        "total": str(totals.total),
        "bexio_total": None,
        "lines": [
            {
                "text": line.text,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "total": str(line.amount),
                "account_no": accounts.get(line.account_id) if line.account_id is not None else None,
                "tax_code": line.tax.code if line.tax is not None else None,
            }
            for line in preview.ticked_lines
        ],
    }


def _print_preview(preview: Preview, accounts: dict[int, str]) -> None:
    from core.invoice_lines import describe_line
    from core.money import format_money

    print(f"{preview.customer.label}: {len(preview.lines)} lines")
    for line in preview.lines:
        account = accounts.get(line.account_id) if line.account_id is not None else None
        booking = " ".join(part for part in (account, line.tax.code if line.tax else None) if part)
        print(f"  {describe_line(line)}" + (f"   [{booking}]" if booking else ""))
    totals = preview.totals
    currency = preview.currency.name
    print(f"Net {format_money(totals.net, currency)}")
    for vat in totals.vat:
        print(
            f"VAT {vat.code} {vat.rate} % on {format_money(vat.base, currency)}: {format_money(vat.amount, currency)}"
        )
    if totals.rounding_difference:
        print(f"Rounding {format_money(totals.rounding_difference, currency)}")
    print(f"Total {format_money(totals.total, currency)}")


# --- create -----------------------------------------------------------------------------------


async def _create_one(runtime: Runtime, args: argparse.Namespace, period: Period) -> int:
    customer_id = await _customer_id(runtime, args.customer)
    outcome = await _submit_and_wait(runtime, args, period, customer_id)
    if args.json:
        _print_json(_outcome_json(outcome))
    else:
        _print_outcome(outcome)
    if not outcome.created:
        raise CommandError(_refusal_line(outcome))
    return EXIT_OK


async def _create_all(runtime: Runtime, args: argparse.Namespace, period: Period) -> int:
    if args.project:
        raise CommandError("--project needs --customer")
    invoicing = runtime.services.invoicing
    unbilled = await invoicing.unbilled(runtime.tenant_id, period_from=period.start, period_to=period.end)
    # Hours that only list as text (a fixed price billed earlier) wait for a draft with real work.
    amounts = {customer: amount for customer, amount in unbilled.items() if amount > 0}
    if not amounts:
        raise CommandError("nothing to invoice in this period")
    created: list[DraftOutcome] = []
    failed: list[dict[str, str]] = []
    for customer_id in sorted(amounts):
        try:
            outcome = await _submit_and_wait(runtime, args, period, customer_id)
        except CommandError as exc:
            failed.append({"customer_id": str(customer_id), "error": str(exc)})
            print(f"bxhours: customer {customer_id}: {exc}", file=sys.stderr)
            continue
        if outcome.created:
            created.append(outcome)
        else:
            failed.append({"customer": outcome.customer, "error": _refusal_line(outcome)})
            print(f"bxhours: {outcome.customer}: {_refusal_line(outcome)}", file=sys.stderr)
        if not args.json:
            _print_outcome(outcome)
    if args.json:
        _print_json({"invoices": [_outcome_json(o) for o in created], "failed": failed})
    return EXIT_FAILED if failed else EXIT_OK


async def _submit_and_wait(
    runtime: Runtime, args: argparse.Namespace, period: Period, customer_id: int
) -> DraftOutcome:
    from services.invoicing import InvoiceRefused, InvoiceRequest

    invoicing = runtime.services.invoicing
    request = InvoiceRequest(
        await _selection(runtime, args, period, customer_id),
        actor="cli",
        use_bexio_numbering=args.bexio_number,
    )
    try:
        submitted = await invoicing.submit(runtime.tenant_id, request)
    except InvoiceRefused as refused:
        raise CommandError(refused.message) from None
    await _push_until_decided(runtime, submitted.invoice_id, submitted.job_id, args.wait)
    return await invoicing.outcome(runtime.tenant_id, submitted.invoice_id)


async def _push_until_decided(runtime: Runtime, invoice_id: int, job_id: int, wait: float) -> None:
    """Run due push jobs here until the invoice is decided; sleep through the queue's backoff."""
    from services.invoicing import INVOICE_PUSH
    from webhooks.worker import Worker

    worker = Worker(runtime.queue, {INVOICE_PUSH: runtime.services.invoicing.run_push_job})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        await worker.run_until_idle()
        if await runtime.services.invoicing.status(runtime.tenant_id, invoice_id) != "pending":
            return
        job = await runtime.queue.get(job_id)
        remaining = deadline - loop.time()
        if job is None or job.status == "failed" or remaining <= 0:
            raise CommandError(
                f"the draft is not in bexio yet (job #{job_id}: {job.last_error if job else 'gone'}); "
                "bxhours searches bexio before trying again, so retrying with `bxhours jobs retry` is safe"
            )
        due = (job.run_at - runtime.queue.now()).total_seconds() if job.status == "queued" else 1.0
        await asyncio.sleep(min(max(due, 0.2), remaining))


def _outcome_json(outcome: DraftOutcome) -> dict[str, Any]:
    return {
        "invoice_id": outcome.invoice_id,
        "bexio_id": outcome.bexio_id,
        "document_nr": outcome.document_nr,
        "total_net": str(outcome.total_net),
        "total_vat": str(outcome.total_vat),
        "total": str(outcome.total),
        "bexio_total": str(outcome.bexio_total) if outcome.bexio_total is not None else None,
        "lines": [
            {
                "text": line.text,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "total": str(line.total),
                "account_no": line.account_no,
                "tax_code": line.tax_code,
            }
            for line in outcome.lines
        ],
    }


def _print_outcome(outcome: DraftOutcome) -> None:
    from core.money import format_money

    if not outcome.created:
        return
    print(f"✓ Draft {outcome.document_nr} created for {outcome.customer} — {outcome.url}")
    for line in outcome.lines:
        booking = " ".join(part for part in (line.account_no, line.tax_code) if part)
        print(
            f"  {line.text} · {line.quantity} × {line.unit_price} = {line.total}"
            + (f"   [{booking}]" if booking else "")
        )
    print(
        f"  Net {format_money(outcome.total_net, outcome.currency)} · VAT "
        f"{format_money(outcome.total_vat, outcome.currency)} · total {format_money(outcome.total, outcome.currency)}"
    )
    if outcome.difference is not None:
        print(
            f"  ! bexio computed {format_money(outcome.bexio_total or Decimal(0), outcome.currency)} "
            f"(difference {format_money(outcome.difference, outcome.currency)})"
        )


def _refusal_line(outcome: DraftOutcome) -> str:
    reasons: Sequence[str] = outcome.errors or ("no reason given",)
    return f"bexio refused the draft: {'; '.join(reasons)} — {outcome.hint or ''}".rstrip(" —")


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, ensure_ascii=False))


# --- report -----------------------------------------------------------------------------------


async def _report(runtime: Runtime, number: str) -> int:
    """The timesheet report of a draft, as PDF bytes on stdout (redirect it into a file)."""
    from services.invoicing.report_pdf import UnknownInvoice

    try:
        report = await runtime.services.invoicing.report(runtime.tenant_id, number)
    except UnknownInvoice as exc:
        raise CommandError(exc.message) from None
    if sys.stdout.isatty():
        raise CommandError(f"the report is a PDF: redirect it into a file, e.g. > {report.filename}")
    sys.stdout.flush()
    sys.stdout.buffer.write(report.content)
    sys.stdout.buffer.flush()
    return EXIT_OK
