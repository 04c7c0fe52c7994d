"""The questions hours and expenses share: who is logging, which project they mean, on which day,
and whether an entry can still be changed.

Everything here runs inside the caller's unit of work, so one slash command costs one session.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import quote_input
from core.i18n import N_, _
from core.matching import Candidate, MatchKind, match
from services.entry_outcomes import MAX_PROJECT_CHOICES, Choice, Refusal
from storage.models import Invoice, Project, TenantAdmin, User

OPEN = "open"
_NOT_LINKED = {
    # what could not be logged → (admins named, no admin known)
    "hours": (
        N_(
            "You are not linked to a bexio user yet, so your hours could not be logged — nothing was "
            "stored. {admins} can link you with `/bx-sync link @you your-bexio-email` — or add your "
            "Slack e-mail address to your bexio user and run `/bx-sync` again."
        ),
        N_(
            "You are not linked to a bexio user yet, so your hours could not be logged — nothing was "
            "stored. a bxhours admin can link you with `/bx-sync link @you your-bexio-email` — or add "
            "your Slack e-mail address to your bexio user and run `/bx-sync` again."
        ),
    ),
    "expense": (
        N_(
            "You are not linked to a bexio user yet, so your expense could not be logged — nothing was "
            "stored. {admins} can link you with `/bx-sync link @you your-bexio-email` — or add your "
            "Slack e-mail address to your bexio user and run `/bx-sync` again."
        ),
        N_(
            "You are not linked to a bexio user yet, so your expense could not be logged — nothing was "
            "stored. a bxhours admin can link you with `/bx-sync link @you your-bexio-email` — or add "
            "your Slack e-mail address to your bexio user and run `/bx-sync` again."
        ),
    ),
}
_NO_SUCH = {
    # what was typed → (with the closest names, without any)
    "project": (
        N_("No project matches {typed}. Closest: {closest}."),
        N_("No project matches {typed}. Send the command without text to pick one from a list."),
    ),
    "activity": (
        N_("No activity matches {typed}. Closest: {closest}."),
        N_("No activity matches {typed}. Send the command without text to pick one from a list."),
    ),
}
ARCHIVED_ON_IMPORT = "archived or deleted in bexio"
"""The ``inactive_reason`` the import writes (stored in English; shown translated)."""


@dataclass(frozen=True, slots=True)
class Ambiguous:
    query: str
    choices: tuple[Choice, ...]
    more: bool


async def linked_person(session: AsyncSession, slack_user_id: str) -> User | None:
    person = await session.scalar(select(User).where(User.slack_user_id == slack_user_id))
    return person if person is not None and person.active else None


async def not_linked(session: AsyncSession, admin_ids: Collection[str], what: str) -> Refusal:
    """Name the people who can fix it: a refusal nobody can act on is a dead end."""
    linked_admins = await session.scalars(
        select(User.slack_user_id).where(
            User.role == "admin", User.active.is_(True), User.slack_user_id.is_not(None)
        )
    )
    stored_admins = await session.scalars(select(TenantAdmin.slack_user_id))
    admins = sorted({*admin_ids, *(uid for uid in linked_admins if uid), *stored_admins})
    named, nobody = _NOT_LINKED[what]
    if not admins:
        return Refusal(_(nobody))
    return Refusal(_(named, admins=", ".join(f"<@{uid}>" for uid in admins)))


def project_label(project: Project) -> str:
    return label_of(project.name, project.nr)


def label_of(name: str, nr: str | None) -> str:
    """`Website Relaunch · 000042`: the name people know, the number that tells twins apart."""
    return f"{name} · {nr}" if nr else name


def inactive_project(project: Project) -> Refusal:
    name = shown_name(project.name)
    if project.inactive_reason == ARCHIVED_ON_IMPORT:
        return Refusal(_("{project} takes no new entries: archived or deleted in bexio.", project=name))
    if project.inactive_reason:
        return Refusal(
            _("{project} takes no new entries: {reason}.", project=name, reason=project.inactive_reason)
        )
    if project.state_name:
        return Refusal(
            _(
                "{project} takes no new entries: its bexio state is “{state}”.",
                project=name,
                state=project.state_name,
            )
        )
    return Refusal(_("{project} takes no new entries: it is archived in bexio.", project=name))


async def resolve_project(
    session: AsyncSession, *, project_id: int | None, query: str | None
) -> Project | Refusal | Ambiguous:
    """The one active project meant by an id (a click) or by what was typed."""
    if project_id is not None:
        project = await session.get(Project, project_id)
        if project is None:
            return Refusal(_("That project no longer exists in bxhours — run `/bx-sync` and try again."))
        return project if project.active else inactive_project(project)
    typed = (query or "").strip()
    # Plain columns, not entities: a company may have hundreds of projects and one is meant.
    rows = await session.execute(
        select(Project.id, Project.name, Project.nr, Project.active).order_by(Project.name, Project.id)
    )
    found = match(typed, [Candidate(key=r.id, name=r.name, nr=r.nr, active=r.active) for r in rows])
    if found.kind is MatchKind.NONE:
        return Refusal(no_such("project", typed, found.suggestions))
    if found.kind is MatchKind.AMBIGUOUS:
        chosen = found.found[:MAX_PROJECT_CHOICES]
        return Ambiguous(
            typed,
            tuple(Choice(c.key, label_of(c.name, c.nr)) for c in chosen),
            more=len(found.found) > len(chosen),
        )
    project = await session.get(Project, found.found[0].key)
    assert project is not None
    return project if project.active else inactive_project(project)


def no_such(what: str, typed: str, suggestions: Sequence[str]) -> str:
    """Nothing matches what was typed (``what``: project or activity), with the closest names."""
    shown = shown_input(typed)
    closest_known, none_close = _NO_SUCH[what]
    if suggestions:
        closest = ", ".join(f"*{shown_name(name)}*" for name in suggestions)
        return _(closest_known, typed=shown, closest=closest)
    return _(none_close, typed=shown)


def shown_input(typed: str) -> str:
    """What someone typed, quoted and shortened, safe to show in a Slack message."""
    return shown_name(quote_input(typed))


def shown_name(name: str) -> str:
    """A name from bexio or a person, with Slack's three markup characters made literal."""
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def invoice_numbers(session: AsyncSession, invoice_ids: Iterable[int | None]) -> dict[int, str | None]:
    wanted = {i for i in invoice_ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Invoice.id, Invoice.document_nr, Invoice.own_number).where(Invoice.id.in_(wanted))
    )
    return {row.id: row.document_nr or row.own_number for row in rows}


def lock_reason(status: str, invoice_id: int | None, numbers: dict[int, str | None]) -> str | None:
    """Why an entry can no longer be edited or deleted (“on invoice RE-00042”), or None when it can.

    Once an entry is on an invoice (reserved for a draft being created, or billed) the invoice
    owns it: changing it would make bxhours and bexio disagree about what was billed.
    """
    if status == OPEN and invoice_id is None:
        return None
    number = numbers.get(invoice_id) if invoice_id is not None else None
    if number:
        return _("on invoice {number}", number=number)
    if invoice_id is not None:
        return _("on a draft invoice that is being created in bexio")
    return _("invoiced")
