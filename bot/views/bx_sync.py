"""What `/bx-sync` shows: replies, the progress message, the summary, status and the App Home footer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.views.blocks import Block, actions, button, context, divider, header, section
from core.clock import to_local
from core.i18n import N_, _, ngettext
from services.importing.people import LinkResult
from services.importing.runs import AlreadyRunning, Message, Started
from services.importing.status import ConnectionView, RunView, SyncStatus
from services.importing.summary import RESOURCE_LABELS, ImportProgress, ImportSummary, skipped_lines
from services.writeback import WriteBackCounts

SYNC_NOW_ACTION = "bx_sync_now"
RETRY_JOB_ACTION = "bx_sync_retry_job"
FOOTER_BLOCK = "bx_connection"

JOB_NAMES = {
    "import.full": N_("Import from bexio"),
    "writeback.entry": N_("Write an entry to bexio"),
    "writeback.delete": N_("Delete a timesheet in bexio"),
    "writeback.backfill": N_("Write earlier hours to bexio"),
}
UNMATCHED_SHOWN = 15


def number(value: int) -> str:
    """`6'188`: bexio's Swiss convention, one straight apostrophe as in amounts (issue 14 §3)."""
    return f"{value:,}".replace(",", "'")


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
        return _("someone")
    if user == "cli":
        return _("`bxhours sync` (command line)")
    return f"<@{user}>"


# --- replies to /bx-sync ---------------------------------------------------------------------------


ONLY_ADMINS_IMPORT = N_("Only admins can import from bexio. Ask an admin, or see `/bx-sync status`.")
ONLY_ADMINS_LINK = N_("Only admins can link people. Ask an admin, or see `/bx-sync status`.")
ONLY_ADMINS_RETRY = N_("Only admins can retry jobs. Ask an admin, or see `/bx-sync status`.")
"""Refusals of the admin-only `/bx-sync` surfaces (translated where they are shown)."""


def requested(result: Started | AlreadyRunning, timezone: str) -> str:
    if isinstance(result, AlreadyRunning):
        return already_running(result.run, timezone)
    return _("Import from bexio started — I'll send you its progress and summary in a direct message.")


def already_running(run: RunView, timezone: str) -> str:
    started = run.started_at or run.created_at
    return _(
        "An import from bexio is already running, started by {person} at {time}. Its summary goes to "
        "whoever started it; `/bx-sync status` shows how far it is.",
        person=mention(run.started_by),
        time=at(started, timezone, with_date=False),
    )


def linked(result: LinkResult) -> str:
    person = f"<@{result.slack_user_id}>"
    if result.previous_holder:
        return _(
            "Linked {person} to {name} ({email}) in bexio. That Slack account was linked to {previous} "
            "before; it no longer is.",
            person=person,
            name=result.name,
            email=result.email,
            previous=result.previous_holder,
        )
    return _(
        "Linked {person} to {name} ({email}) in bexio.",
        person=person,
        name=result.name,
        email=result.email,
    )


# --- the progress message ------------------------------------------------------------------------


class SlackImportMessages:
    """``services.importing.runs.ImportMessages`` for Slack."""

    def started(self) -> Message:
        text = _("Import from bexio: starting…")
        return text, [section(_("⏳ *Import from bexio* — starting…"))]

    def progress(self, progress: ImportProgress) -> Message:
        phase = _(progress.phase)
        text = _(
            "Import from bexio: {phase} ({step}/{steps}), {records} records read, {elapsed}",
            phase=phase,
            step=progress.step,
            steps=progress.steps,
            records=number(progress.records_read),
            elapsed=duration(progress.elapsed),
        )
        counts = " · ".join(
            f"{resource_label(name)} {number(count)}" for name, count in progress.read.items()
        )
        blocks = [
            section(
                _(
                    "⏳ *Import from bexio* — step {step} of {steps}: *{phase}*",
                    step=progress.step,
                    steps=progress.steps,
                    phase=phase,
                )
            ),
            context(
                _("Read so far: {counts}", counts=counts) if counts else _("Reading…"),
                f"⏱ {duration(progress.elapsed)}",
            ),
        ]
        return text, blocks

    def finished(self, summary: ImportSummary) -> Message:
        return summary_text(summary), summary_blocks(summary)

    def failed(self, reason: str) -> Message:
        text = _("Import from bexio failed: {reason}", reason=reason)
        blocks = [
            section(_("✗ *Import from bexio failed*")),
            section(reason),
            context(_("Everything imported before the failure is kept; nothing half-done was saved.")),
        ]
        return text, blocks


def summary_text(summary: ImportSummary) -> str:
    return ngettext(
        "Import from bexio finished in {elapsed}: {count} change.",
        "Import from bexio finished in {elapsed}: {count} changes.",
        summary.changed,
        elapsed=duration(summary.seconds),
        count=number(summary.changed),
    )


def summary_blocks(summary: ImportSummary) -> list[Block]:
    elapsed = duration(summary.seconds)
    finished = (
        _(
            "✓ *Import from bexio finished* from *{company}* in {elapsed}.",
            company=summary.company_name,
            elapsed=elapsed,
        )
        if summary.company_name
        else _("✓ *Import from bexio finished* in {elapsed}.", elapsed=elapsed)
    )
    blocks: list[Block] = [
        section(finished),
        section("\n".join(_resource_lines(summary))),
        section(
            _(
                "*Customers rule ({rule}):* {reason}",
                rule=summary.customer_rule,
                reason=summary.customer_rule_reason,
            )
        ),
    ]
    if summary.unmatched:
        shown = summary.unmatched[:UNMATCHED_SHOWN]
        names = ", ".join(f"{p.name} ({p.email})" if p.email else p.name for p in shown)
        hidden = len(summary.unmatched) - len(shown)
        if hidden > 0:
            names = _("{names} and {count} more", names=names, count=hidden)
        blocks.append(
            section(
                _(
                    "*Not linked to a Slack account ({count}):* {names}. Their e-mail in bexio matches "
                    "nobody here; an admin can link them with `/bx-sync link @person their-bexio-email`.",
                    count=len(summary.unmatched),
                    names=names,
                )
            )
        )
    if summary.skipped:
        blocks.append(section(_skipped_text(summary)))
    notes = [*summary.notes, _("{count} bexio calls", count=number(summary.bexio_calls))]
    blocks.append(context(*notes))
    return blocks


SKIPPED_TEXT_LIMIT = 1500
"""Characters of the "could not be read" lines in one block (a section's text takes 3000)."""


def _skipped_text(summary: ImportSummary) -> str:
    """What bexio sent that could not be read: named until an import reads it (issue 11 §2)."""
    lines = "\n".join(f"⚠️ {line}" for line in skipped_lines(summary.skipped))
    if len(lines) > SKIPPED_TEXT_LIMIT:
        lines = lines[: SKIPPED_TEXT_LIMIT - 1] + "…"
    return "\n".join((lines, _("Their data in bxhours stays as it was; the next import tries again.")))


def _resource_lines(summary: ImportSummary) -> Iterable[str]:
    for name, changes in summary.resources.items():
        label = resource_label(name)
        active = number(changes.total)
        if changes.changed:
            parts = []
            if changes.created:
                parts.append(_("{count} new", count=number(changes.created)))
            if changes.updated:
                parts.append(_("{count} updated", count=number(changes.updated)))
            if changes.deactivated:
                parts.append(_("{count} deactivated", count=number(changes.deactivated)))
            yield _(
                "• {resource}: {changes} — {active} active",
                resource=label,
                changes=", ".join(parts),
                active=active,
            )
        else:
            yield _("• {resource}: no changes — {active} active", resource=label, active=active)


def resource_label(name: str) -> str:
    """A resource's name as people read it, in their language ("Customers")."""
    label = RESOURCE_LABELS.get(name)
    return _(label) if label else name


# --- /bx-sync status and the App Home footer -------------------------------------------------------


def connection_line(view: ConnectionView) -> str:
    """One line: the state, the company, and what needs doing."""
    if view.state == "not_connected":
        return _("bexio ✗ not connected — {reason}", reason=view.reason)
    company = f" · {view.company_name}" if view.company_name else ""
    if view.state == "broken":
        return _("bexio ✗ broken{company}: {reason}", company=company, reason=view.reason)
    if view.state == "unchecked":
        return _("bexio · not imported yet{company} — an admin runs `/bx-sync`", company=company)
    return _("bexio ✓ connected{company}", company=company)


def expiry_line(view: ConnectionView) -> str | None:
    if view.token_expires_at is None:
        return None
    when = to_local(view.token_expires_at, view.timezone).strftime("%d.%m.%Y")
    if not view.expires_soon:
        return _("token valid until {date}", date=when)
    return _(
        "⚠️ the bexio token expires on {date} — create a new personal access token at "
        "developer.bexio.com and set BEXIO_ACCESS_TOKEN before then",
        date=when,
    )


def run_line(run: RunView | None, timezone: str) -> str:
    if run is None:
        return _("no import yet")
    started = run.started_at or run.created_at
    if run.status in ("queued", "running"):
        phase = f" ({_(run.phase)})" if run.phase else ""
        return _(
            "⏳ import running since {time}{phase}, started by {person}",
            time=at(started, timezone),
            phase=phase,
            person=mention(run.started_by),
        )
    finished = run.finished_at or started
    if run.status == "done":
        changes = _(", {count} changes", count=number(run.summary.changed)) if run.summary else ""
        skipped = skipped_lines(run.summary.skipped) if run.summary else []
        unread = ""
        if skipped:
            more = _(" (+{count} more)", count=len(skipped) - 1) if len(skipped) > 1 else ""
            unread = f" · ⚠️ {_shortened(skipped[0])}{more}"
        return _(
            "last import {time} ✓{changes}{unread}",
            time=at(finished, timezone),
            changes=changes,
            unread=unread,
        )
    return _(
        "last import {time} ✗ {reason}",
        time=at(finished, timezone),
        reason=_(run.error) if run.error else _("failed"),
    )


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
        blocks.append(actions(button(_("Sync now"), SYNC_NOW_ACTION, "sync"), block_id=FOOTER_BLOCK))
    return blocks


def status_blocks(status: SyncStatus, *, is_admin: bool) -> list[Block]:
    view = status.connection
    timezone = view.timezone
    blocks: list[Block] = [header(_("bexio connection")), section(connection_line(view))]
    facts = []
    if view.auth_name:
        facts.append(_("*Signed in with:* {name}", name=_(view.auth_name)))
    expiry = expiry_line(view)
    if expiry:
        facts.append(_("*Token:* {expiry}", expiry=expiry))
    facts.append(_("*Import:* {run}", run=run_line(view.last_run, timezone)))
    if view.last_run and view.last_run.summary and view.last_run.status == "done":
        summary = view.last_run.summary
        facts.append(
            _(
                "*Customers rule:* {rule} — {reason}",
                rule=summary.customer_rule,
                reason=summary.customer_rule_reason,
            )
        )
        if summary.unmatched:
            facts.append(_("*Not linked to Slack:* {count} people", count=len(summary.unmatched)))
        if summary.skipped:
            facts.append(_skipped_text(summary))
    pending = status.jobs.queued + status.jobs.running
    facts.append(
        _(
            "*Jobs:* {pending} pending · {failed} failed",
            pending=number(pending),
            failed=number(status.jobs.failed),
        )
    )
    if status.writeback is not None:
        facts.append(write_back_line(status.writeback))
    blocks.append(section("\n".join(facts)))
    if status.parked:
        blocks.append(divider())
        for job in status.parked[:10]:
            name = _(JOB_NAMES[job.kind]) if job.kind in JOB_NAMES else job.kind
            reason = job.error or _("no reason recorded")
            text = (
                _(
                    "*#{id} {name}* failed on {time} after {attempts} attempt(s): {reason}",
                    id=job.id,
                    name=name,
                    time=at(job.failed_at, timezone),
                    attempts=job.attempts,
                    reason=reason,
                )
                if job.failed_at
                else _(
                    "*#{id} {name}* failed after {attempts} attempt(s): {reason}",
                    id=job.id,
                    name=name,
                    attempts=job.attempts,
                    reason=reason,
                )
            )
            accessory = button(_("Retry"), RETRY_JOB_ACTION, str(job.id)) if is_admin else None
            blocks.append(section(text, accessory=accessory))
    return blocks


def write_back_line(counts: WriteBackCounts) -> str:
    """``/bx-sync status``: how many entries are written, pending and failed."""
    if not counts.enabled and not (counts.written or counts.pending or counts.failed):
        return _("*Write-back to bexio:* off")
    line = _(
        "*Write-back to bexio:* {written} written · {pending} pending · {failed} failed",
        written=number(counts.written),
        pending=number(counts.pending),
        failed=number(counts.failed),
    )
    if counts.not_in_bexio:
        line += " · " + _("{count} not in bexio", count=number(counts.not_in_bexio))
    if not counts.enabled:
        line += " · " + _("off")
    return line


def status_text(status: SyncStatus) -> str:
    view = status.connection
    return f"{connection_line(view)} · {run_line(view.last_run, view.timezone)}"
