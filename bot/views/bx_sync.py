"""What `/bx-sync` shows: replies, the progress message, the summary, status and the App Home footer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.views.blocks import Block, actions, button, context, divider, header, section
from core.clock import to_local
from services.importing.people import LinkResult
from services.importing.runs import AlreadyRunning, Message, Started
from services.importing.status import ConnectionView, RunView, SyncStatus
from services.importing.summary import RESOURCE_LABELS, ImportProgress, ImportSummary, skipped_lines

SYNC_NOW_ACTION = "bx_sync_now"
RETRY_JOB_ACTION = "bx_sync_retry_job"
FOOTER_BLOCK = "bx_connection"

JOB_NAMES = {"import.full": "Import from bexio"}
UNMATCHED_SHOWN = 15


def number(value: int) -> str:
    return f"{value:,}".replace(",", "’")


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def at(moment: datetime, timezone: str, *, with_date: bool = True) -> str:
    local = to_local(moment, timezone)
    return local.strftime("%d.%m.%Y %H:%M" if with_date else "%H:%M")


def mention(user: str | None) -> str:
    if not user:
        return "someone"
    if user == "cli":
        return "`bxhours sync` (command line)"
    return f"<@{user}>"


# --- replies to /bx-sync ---------------------------------------------------------------------------


def only_admins(what: str) -> str:
    return f"Only admins can {what}. Ask an admin, or see `/bx-sync status`."


def requested(result: Started | AlreadyRunning, timezone: str) -> str:
    if isinstance(result, AlreadyRunning):
        return already_running(result.run, timezone)
    return "Import from bexio started — I'll send you its progress and summary in a direct message."


def already_running(run: RunView, timezone: str) -> str:
    started = run.started_at or run.created_at
    return (
        f"An import from bexio is already running, started by {mention(run.started_by)} "
        f"at {at(started, timezone, with_date=False)}. Its summary goes to whoever started it; "
        "`/bx-sync status` shows how far it is."
    )


def linked(result: LinkResult) -> str:
    text = f"Linked <@{result.slack_user_id}> to {result.name} ({result.email}) in bexio."
    if result.previous_holder:
        text += f" That Slack account was linked to {result.previous_holder} before; it no longer is."
    return text


# --- the progress message ------------------------------------------------------------------------


class SlackImportMessages:
    """``services.importing.runs.ImportMessages`` for Slack."""

    def started(self) -> Message:
        text = "Import from bexio: starting…"
        return text, [section("⏳ *Import from bexio* — starting…")]

    def progress(self, progress: ImportProgress) -> Message:
        text = (
            f"Import from bexio: {progress.phase} ({progress.step}/{progress.steps}), "
            f"{number(progress.records_read)} records read, {duration(progress.elapsed)}"
        )
        counts = " · ".join(
            f"{RESOURCE_LABELS.get(name, name)} {number(count)}" for name, count in progress.read.items()
        )
        blocks = [
            section(f"⏳ *Import from bexio* — step {progress.step} of {progress.steps}: *{progress.phase}*"),
            context(f"Read so far: {counts}" if counts else "Reading…", f"⏱ {duration(progress.elapsed)}"),
        ]
        return text, blocks

    def finished(self, summary: ImportSummary) -> Message:
        return summary_text(summary), summary_blocks(summary)

    def failed(self, reason: str) -> Message:
        text = f"Import from bexio failed: {reason}"
        blocks = [
            section("✗ *Import from bexio failed*"),
            section(reason),
            context("Everything imported before the failure is kept; nothing half-done was saved."),
        ]
        return text, blocks


def summary_text(summary: ImportSummary) -> str:
    return (
        f"Import from bexio finished in {duration(summary.seconds)}: "
        f"{number(summary.changed)} change{'s' if summary.changed != 1 else ''}."
    )


def summary_blocks(summary: ImportSummary) -> list[Block]:
    company = f" from *{summary.company_name}*" if summary.company_name else ""
    blocks: list[Block] = [
        section(f"✓ *Import from bexio finished*{company} in {duration(summary.seconds)}."),
        section("\n".join(_resource_lines(summary))),
        section(f"*Customers rule ({summary.customer_rule}):* {summary.customer_rule_reason}"),
    ]
    if summary.unmatched:
        shown = summary.unmatched[:UNMATCHED_SHOWN]
        names = ", ".join(f"{p.name} ({p.email})" if p.email else p.name for p in shown)
        more = (
            f" and {len(summary.unmatched) - len(shown)} more" if len(summary.unmatched) > len(shown) else ""
        )
        blocks.append(
            section(
                f"*Not linked to a Slack account ({len(summary.unmatched)}):* {names}{more}. "
                "Their e-mail in bexio matches nobody here; an admin can link them with "
                "`/bx-sync link @person their-bexio-email`."
            )
        )
    if summary.skipped:
        blocks.append(section(_skipped_text(summary)))
    notes = [*summary.notes, f"{number(summary.bexio_calls)} bexio calls"]
    blocks.append(context(*notes))
    return blocks


SKIPPED_TEXT_LIMIT = 1500
"""Characters of the "could not be read" lines in one block (a section's text takes 3000)."""


def _skipped_text(summary: ImportSummary) -> str:
    """What bexio sent that could not be read: named until an import reads it (issue 11 §2)."""
    lines = "\n".join(f"⚠️ {line}" for line in skipped_lines(summary.skipped))
    if len(lines) > SKIPPED_TEXT_LIMIT:
        lines = lines[: SKIPPED_TEXT_LIMIT - 1] + "…"
    return f"{lines}\nTheir data in bxhours stays as it was; the next import tries again."


def _resource_lines(summary: ImportSummary) -> Iterable[str]:
    for name, changes in summary.resources.items():
        label = RESOURCE_LABELS.get(name, name)
        if changes.changed:
            parts = [
                f"{number(value)} {word}"
                for value, word in (
                    (changes.created, "new"),
                    (changes.updated, "updated"),
                    (changes.deactivated, "deactivated"),
                )
                if value
            ]
            yield f"• {label}: {', '.join(parts)} — {number(changes.total)} active"
        else:
            yield f"• {label}: no changes — {number(changes.total)} active"


# --- /bx-sync status and the App Home footer -------------------------------------------------------


def connection_line(view: ConnectionView) -> str:
    """One line: the state, the company, and what needs doing."""
    if view.state == "not_connected":
        return f"bexio ✗ not connected — {view.reason}"
    company = f" · {view.company_name}" if view.company_name else ""
    if view.state == "broken":
        return f"bexio ✗ broken{company}: {view.reason}"
    if view.state == "unchecked":
        return f"bexio · not imported yet{company} — an admin runs `/bx-sync`"
    return f"bexio ✓ connected{company}"


def expiry_line(view: ConnectionView) -> str | None:
    if view.token_expires_at is None:
        return None
    when = to_local(view.token_expires_at, view.timezone).strftime("%d.%m.%Y")
    if not view.expires_soon:
        return f"token valid until {when}"
    return (
        f"⚠️ the bexio token expires on {when} — create a new personal access token at "
        "developer.bexio.com and set BEXIO_ACCESS_TOKEN before then"
    )


def run_line(run: RunView | None, timezone: str) -> str:
    if run is None:
        return "no import yet"
    started = run.started_at or run.created_at
    if run.status in ("queued", "running"):
        phase = f" ({run.phase})" if run.phase else ""
        return f"⏳ import running since {at(started, timezone)}{phase}, started by {mention(run.started_by)}"
    finished = run.finished_at or started
    if run.status == "done":
        changes = f", {number(run.summary.changed)} changes" if run.summary else ""
        skipped = skipped_lines(run.summary.skipped) if run.summary else []
        unread = ""
        if skipped:
            more = f" (+{len(skipped) - 1} more)" if len(skipped) > 1 else ""
            unread = f" · ⚠️ {_shortened(skipped[0])}{more}"
        return f"last import {at(finished, timezone)} ✓{changes}{unread}"
    return f"last import {at(finished, timezone)} ✗ {run.error or 'failed'}"


def _shortened(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def connection_footer(view: ConnectionView | None, *, is_admin: bool) -> list[Block]:
    """The App Home's bexio line, as the original product's "BX" footer icon showed it."""
    if view is None:
        return []
    parts = [connection_line(view)]
    if view.state != "not_connected":
        parts.append(run_line(view.last_run, view.timezone))
        expiry = expiry_line(view)
        if expiry:
            parts.append(expiry)
    blocks: list[Block] = [context(" · ".join(parts))]
    if is_admin and view.state != "not_connected":
        blocks.append(actions(button("Sync now", SYNC_NOW_ACTION, "sync"), block_id=FOOTER_BLOCK))
    return blocks


def status_blocks(status: SyncStatus, *, is_admin: bool) -> list[Block]:
    view = status.connection
    timezone = view.timezone
    blocks: list[Block] = [header("bexio connection"), section(connection_line(view))]
    facts = []
    if view.auth_name:
        facts.append(f"*Signed in with:* {view.auth_name}")
    expiry = expiry_line(view)
    if expiry:
        facts.append(f"*Token:* {expiry}")
    facts.append(f"*Import:* {run_line(view.last_run, timezone)}")
    if view.last_run and view.last_run.summary and view.last_run.status == "done":
        summary = view.last_run.summary
        facts.append(f"*Customers rule:* {summary.customer_rule} — {summary.customer_rule_reason}")
        if summary.unmatched:
            facts.append(f"*Not linked to Slack:* {len(summary.unmatched)} people")
        if summary.skipped:
            facts.append(_skipped_text(summary))
    pending = status.jobs.queued + status.jobs.running
    facts.append(f"*Jobs:* {number(pending)} pending · {number(status.jobs.failed)} failed")
    blocks.append(section("\n".join(facts)))
    if status.parked:
        blocks.append(divider())
        for job in status.parked[:10]:
            name = JOB_NAMES.get(job.kind, job.kind)
            when = f" on {at(job.failed_at, timezone)}" if job.failed_at else ""
            text = f"*#{job.id} {name}* failed{when} after {job.attempts} attempt(s): {job.error or 'no reason recorded'}"
            accessory = button("Retry", RETRY_JOB_ACTION, str(job.id)) if is_admin else None
            blocks.append(section(text, accessory=accessory))
    return blocks


def status_text(status: SyncStatus) -> str:
    view = status.connection
    return f"{connection_line(view)} · {run_line(view.last_run, view.timezone)}"
