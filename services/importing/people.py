"""bexio users become bxhours people, linked to Slack accounts by e-mail — or by an admin's hand.

E-mails are compared case-insensitively (Slack and bexio keep whatever case people typed). A link
an admin made by hand (``linked_by = "admin"``) is never overwritten by the e-mail match, and one
Slack account belongs to one person only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bexio.models import User as BexioUser
from bexio.reading import PageReader
from core.errors import DomainError, quote_input
from core.i18n import _
from core.settings_schema import parse_slack_user_ids
from services.importing.context import ImportContext, Row
from services.importing.staging import LIVE, Mirror
from services.importing.summary import ResourceChanges, UnmatchedPerson
from storage.db import Database
from storage.models import AuditLog, User

log = logging.getLogger(__name__)

ADMIN, MEMBER = "admin", "member"
LINKED_BY_EMAIL, LINKED_BY_ADMIN = "email", "admin"

USERS = Mirror(
    "users",
    User,
    fields=("email", "firstname", "lastname", "is_superadmin", "role"),
    touched=("updated_at",),
)
USERS_READER: PageReader[BexioUser] = PageReader(BexioUser)


class SlackDirectory(Protocol):
    """The Slack workspace's member list, as far as the import needs it (implemented in ``bot``)."""

    async def people_by_email(self, emails: Collection[str]) -> Mapping[str, str]:
        """Slack user ids of active members with these e-mails, keyed by case-folded e-mail."""


class DirectoryUnavailable(Exception):
    """Slack would not list its members (e.g. the app lacks ``users:read.email``); the message says why."""


@dataclass
class PeopleResult:
    changes: ResourceChanges
    unmatched: list[UnmatchedPerson] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def user_row(user: BexioUser) -> Row:
    superadmin = bool(user.is_superadmin)
    return {
        "bexio_id": user.id,
        "email": user.email,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "is_superadmin": superadmin,
        "role": ADMIN if superadmin else MEMBER,
        LIVE: True,
    }


async def import_users(ctx: ImportContext, directory: SlackDirectory | None) -> PeopleResult:
    emails: set[str] = set()

    def remember(page: list[BexioUser]) -> None:
        emails.update(user.email.casefold() for user in page if user.email)

    result = PeopleResult(ResourceChanges())
    async with ctx.workspace.stage(USERS) as stage:
        await ctx.stage_pages(stage, ctx.client.users.path, USERS_READER, user_row, seen=remember)
        # Slack is asked before the write transaction opens, never during it.
        matches = await _find_in_slack(directory, emails, result.notes)

        async def link(session: AsyncSession) -> None:
            result.unmatched = await link_by_email(session, matches)

        result.changes = await stage.apply(ctx.now, after=link)
    return result


async def _find_in_slack(
    directory: SlackDirectory | None, emails: Collection[str], notes: list[str]
) -> Mapping[str, str]:
    if directory is None or not emails:
        return {}
    try:
        return await directory.people_by_email(emails)
    except DirectoryUnavailable as exc:
        log.warning("Slack member list unavailable: %s", exc)
        notes.append(_("People were not matched to Slack accounts: {reason}", reason=exc))
        return {}


async def link_by_email(session: AsyncSession, matches: Mapping[str, str]) -> list[UnmatchedPerson]:
    """Link active people to the Slack accounts with their e-mail; returns who is still unlinked."""
    people = list(await session.scalars(select(User).order_by(User.id)))
    owner = {person.slack_user_id: person.id for person in people if person.slack_user_id}
    for person in people:
        if not person.active or not person.email or person.linked_by == LINKED_BY_ADMIN:
            continue
        slack_id = matches.get(person.email.casefold())
        if slack_id is None or slack_id == person.slack_user_id:
            continue
        if owner.get(slack_id, person.id) != person.id:
            continue  # an admin gave that Slack account to someone else
        if person.slack_user_id:
            owner.pop(person.slack_user_id, None)
        person.slack_user_id, person.linked_by = slack_id, LINKED_BY_EMAIL
        owner[slack_id] = person.id
    await session.flush()
    return [
        UnmatchedPerson(person.display_name, person.email)
        for person in people
        if person.active and person.bexio_id is not None and not person.slack_user_id
    ]


# --- linking by hand: `/bx-sync link @person bexio-email` -------------------------------------------


class LinkError(DomainError):
    """A link an admin asked for cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class LinkResult:
    slack_user_id: str
    name: str
    email: str
    previous_holder: str | None
    """The person this Slack account was linked to before, if it was someone else."""


def parse_link_request(text: str) -> tuple[str, str]:
    """``<@U123|mia> mia@example.ch`` → ("U123", "mia@example.ch"), or LinkError saying what to type."""
    usage = _("Use `/bx-sync link @person their-bexio-email`, picking the person from Slack's @ list.")
    words = text.split()
    if len(words) != 2:
        raise LinkError(usage)
    mention, email = words
    try:
        ids = parse_slack_user_ids(mention)
    except ValueError:
        raise LinkError(
            _("{text} is not a Slack mention. {usage}", text=quote_input(mention), usage=usage)
        ) from None
    if len(ids) != 1:
        raise LinkError(usage)
    email = email.removeprefix("<mailto:").split("|", 1)[0].rstrip(">")
    if "@" not in email.strip("@"):
        raise LinkError(_("{text} is not an e-mail address. {usage}", text=quote_input(email), usage=usage))
    return ids[0], email


class PeopleLinks:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    async def link(self, tenant_id: int, slack_user_id: str, email: str, *, actor: str) -> LinkResult:
        """Link a Slack account to the bexio user with this e-mail; the e-mail match never undoes it."""
        wanted = email.strip().casefold()
        async with self.db.session(tenant_id) as session:
            people = list(await session.scalars(select(User).where(User.email.is_not(None))))
            person = next((p for p in people if p.email and p.email.casefold() == wanted), None)
            if person is None:
                raise LinkError(
                    _(
                        "No bexio user has the e-mail {email}. Check the address in bexio, "
                        "or import the users first with `/bx-sync`.",
                        email=quote_input(email, 80),
                    )
                )
            if not person.active:
                raise LinkError(
                    _(
                        "{name} is no longer a user in bexio, so they cannot log time.",
                        name=person.display_name,
                    )
                )
            holder = await session.scalar(
                select(User).where(User.slack_user_id == slack_user_id, User.id != person.id)
            )
            previous = holder.display_name if holder is not None else None
            if holder is not None:
                holder.slack_user_id, holder.linked_by = None, None
                await session.flush()  # the Slack id must be free before it is given away
            person.slack_user_id, person.linked_by = slack_user_id, LINKED_BY_ADMIN
            session.add(_audit(actor, person, slack_user_id, previous, self.now()))
            return LinkResult(slack_user_id, person.display_name, person.email or email, previous)


def _audit(actor: str, person: User, slack_user_id: str, previous: str | None, at: datetime) -> AuditLog:
    details: dict[str, Any] = {"slack_user_id": slack_user_id, "email": person.email}
    if previous:
        details["unlinked"] = previous
    return AuditLog(
        actor=actor,
        action="person.link",
        subject_type="user",
        subject_id=str(person.id),
        details=details,
        created_at=at,
    )
