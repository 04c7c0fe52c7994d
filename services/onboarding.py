"""The setup checklist an admin sees in the App Home until bxhours is ready for the team (issue 13 §8).

Five steps, each read from the database whenever the App Home is built, so a step is done the
moment what it asks for is true — wherever that was done (the App Home, `/bx-sync`, the CLI):

1. bexio is connected — by OAuth once someone signed in, in token mode once an import got through
   (before that nobody knows whether the token works);
2. a first import finished;
3. every active activity and expense category is booked to an income account;
4. every active bexio user is linked to a Slack account — or an admin said the rest do not use Slack;
5. the team was invited: the how-to was posted into a channel.

What only the checklist knows (the how-to was posted, the rest do not use Slack) is kept as audit
log rows (``onboarding.invite``, ``onboarding.people_skipped``): a fact with who and when, no new
table and no tenant setting (settings are validated against a schema and listed by the CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.i18n import _
from services.expense_categories import ensure_default_categories
from services.importing.people import LINKED_BY_ADMIN
from services.importing.status import ConnectionView, SyncStatusService
from services.invoicing.accounts import AccountChoice, mapping_rows, proposed_account
from storage.db import Database
from storage.models import AuditLog, SyncRun, User

INVITED = "onboarding.invite"
PEOPLE_SKIPPED = "onboarding.people_skipped"
PEOPLE_SHOWN = 10
"""People offered for linking at once (each is a block of the App Home, which holds 100)."""


class LinkRefused(DomainError):
    """A Link from the checklist that cannot be made; the message says why."""


@dataclass(frozen=True)
class UnlinkedPerson:
    id: int
    """``users.id`` of this tenant's person."""
    name: str
    email: str | None


@dataclass(frozen=True)
class LastImport:
    status: str
    """queued | running | done | failed"""
    error: str | None = None


@dataclass(frozen=True)
class Checklist:
    connection_state: str
    """``ConnectionView.state``: connected | unchecked | broken | not_connected."""
    connection_reason: str | None
    company_name: str | None
    auth_kind: str | None
    imported: bool
    """A first import finished."""
    last_import: LastImport | None
    unmapped_activities: int
    unmapped_categories: int
    unlinked: tuple[UnlinkedPerson, ...]
    """The first ``PEOPLE_SHOWN`` active bexio users without a Slack account."""
    unlinked_total: int
    people_skipped: bool
    """An admin said the people not linked do not use Slack."""
    invited_channel: str | None
    """Where the how-to was posted (None: not yet)."""
    proposed_account: AccountChoice | None = None
    """The income account proposed for the expense categories without one (issue 15 §5): an
    admin confirms it in one click; until then it is only a proposal, not their account."""

    @property
    def connected(self) -> bool:
        return self.connection_state == "connected"

    @property
    def accounts_done(self) -> bool:
        return self.imported and self.unmapped_activities == 0 and self.unmapped_categories == 0

    @property
    def people_done(self) -> bool:
        return self.imported and (self.unlinked_total == 0 or self.people_skipped)

    @property
    def invited(self) -> bool:
        return self.invited_channel is not None

    @property
    def steps(self) -> tuple[bool, bool, bool, bool, bool]:
        return (self.connected, self.imported, self.accounts_done, self.people_done, self.invited)

    @property
    def done(self) -> bool:
        return all(self.steps)


@dataclass(frozen=True)
class Linked:
    name: str
    slack_user_id: str


class OnboardingService:
    def __init__(self, db: Database, status: SyncStatusService, now: Callable[[], datetime]) -> None:
        self.db = db
        self.status = status
        self.now = now

    async def checklist(self, tenant_id: int, connection: ConnectionView | None = None) -> Checklist:
        """The five steps now; ``connection`` when the caller has just read it (the App Home)."""
        view = connection if connection is not None else await self.status.connection(tenant_id)
        async with self.db.session(tenant_id) as session:
            imported = (
                await session.scalar(select(SyncRun.id).where(SyncRun.status == "done").limit(1))
            ) is not None
            last = await session.scalar(
                select(SyncRun).order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
            )
            await ensure_default_categories(session)  # as every reader of categories does first
            rows = await mapping_rows(session)
            people = await _unlinked(session)
            invite = await _latest(session, INVITED)
            skipped = await _latest(session, PEOPLE_SKIPPED)
            unmapped_categories = sum(1 for r in rows if r.kind == "category" and r.account is None)
            proposal = await proposed_account(session) if imported and unmapped_categories else None
        return Checklist(
            connection_state=view.state,
            connection_reason=view.reason,
            company_name=view.company_name,
            auth_kind=view.auth_kind,
            imported=imported,
            last_import=LastImport(last.status, last.error) if last is not None else None,
            unmapped_activities=sum(1 for r in rows if r.kind == "activity" and r.account is None),
            unmapped_categories=unmapped_categories,
            unlinked=tuple(UnlinkedPerson(p.id, p.display_name, p.email) for p in people[:PEOPLE_SHOWN]),
            unlinked_total=len(people),
            people_skipped=skipped is not None,
            invited_channel=str(invite.details.get("channel")) if invite is not None else None,
            proposed_account=proposal,
        )

    async def link(self, tenant_id: int, person_id: int, slack_user_id: str, *, actor: str) -> Linked:
        """Link one of this tenant's unlinked bexio users to a Slack account, as `/bx-sync link`
        does (by an admin's hand, so the e-mail match never undoes it). The person is read again
        here — the id came from a Slack payload — and must still be active and unlinked; a Slack
        account that belongs to someone else already is not taken from them."""
        try:
            return await self._link(tenant_id, person_id, slack_user_id, actor)
        except IntegrityError:  # another admin linked that Slack account in the same moment
            raise LinkRefused(
                _("<@{user}> was just linked to someone else, so nothing was changed.", user=slack_user_id)
            ) from None

    async def _link(self, tenant_id: int, person_id: int, slack_user_id: str, actor: str) -> Linked:
        async with self.db.session(tenant_id) as session:
            person = await session.scalar(
                select(User).where(User.id == person_id, User.tenant_id == tenant_id).with_for_update()
            )
            if person is None or person.bexio_id is None:
                raise LinkRefused(
                    _("That person is not a bexio user of this workspace, so nobody was linked.")
                )
            if not person.active:
                raise LinkRefused(
                    _(
                        "{person} is no longer a user in bexio, so they cannot log time.",
                        person=person.display_name,
                    )
                )
            if person.slack_user_id is not None:
                if person.slack_user_id == slack_user_id:
                    return Linked(person.display_name, slack_user_id)
                raise LinkRefused(
                    _(
                        "{person} is linked to <@{user}> already, so nothing was changed.",
                        person=person.display_name,
                        user=person.slack_user_id,
                    )
                )
            holder = await session.scalar(select(User).where(User.slack_user_id == slack_user_id))
            if holder is not None:
                raise LinkRefused(
                    _(
                        "<@{user}> is linked to {holder} already, so nothing was changed. "
                        "Pick their own Slack account for {person}, or move the link with `/bx-sync link`.",
                        user=slack_user_id,
                        holder=holder.display_name,
                        person=person.display_name,
                    )
                )
            person.slack_user_id, person.linked_by = slack_user_id, LINKED_BY_ADMIN
            session.add(
                AuditLog(
                    actor=actor,
                    action="person.link",
                    subject_type="user",
                    subject_id=str(person.id),
                    details={"slack_user_id": slack_user_id, "email": person.email, "via": "onboarding"},
                    created_at=self.now(),
                )
            )
            return Linked(person.display_name, slack_user_id)

    async def skip_people(self, tenant_id: int, *, actor: str) -> None:
        """Step 4 is done although some people are not linked: they do not use Slack."""
        async with self.db.session(tenant_id) as session:
            left = len(await _unlinked(session))
            session.add(_fact(PEOPLE_SKIPPED, actor, {"unlinked": left}, self.now()))

    async def invited(self, tenant_id: int, channel_id: str, *, actor: str) -> None:
        """The how-to was posted into ``channel_id``: step 5 is done."""
        async with self.db.session(tenant_id) as session:
            session.add(_fact(INVITED, actor, {"channel": channel_id}, self.now()))


async def _unlinked(session: AsyncSession) -> list[User]:
    """Active bexio users without a Slack account, by name (a company has tens, not thousands)."""
    found = await session.scalars(
        select(User)
        .where(User.active.is_(True), User.bexio_id.is_not(None), User.slack_user_id.is_(None))
        .order_by(User.lastname, User.firstname, User.id)
    )
    return list(found)


async def _latest(session: AsyncSession, action: str) -> AuditLog | None:
    return await session.scalar(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc()).limit(1)
    )


def _fact(action: str, actor: str, details: dict[str, object], at: datetime) -> AuditLog:
    return AuditLog(
        actor=actor, action=action, subject_type="onboarding", subject_id=None, details=details, created_at=at
    )
