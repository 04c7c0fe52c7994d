"""Connecting a workspace to its bexio company by OAuth 2 / OpenID Connect, and only the right way.

The original product's rule decides who may connect: the person is an admin in bxhours, the bexio
user who signs in has the same e-mail as their Slack account (case ignored), and that bexio user is a
superadmin of the company. Each condition that fails is named, to the person on the page and in a
DM. A workspace connected to one bexio company is never re-pointed to another one silently: signing
in again to the same company resumes (new tokens, parked jobs back in the queue); another company is
refused with what to do instead.

Nothing is stored before every check passed: the code is traded for tokens, the checks run with
those tokens, and only then are they saved (encrypted) for the tenant — or revoked at bexio.

The Marketplace path starts at bexio, before bxhours knows any workspace: the checks that need the
company run, the tokens are kept on the server as a pending connection (encrypted, single use, 30
minutes) whose key the Slack install carries, and the workspace is connected when that install
finishes and its installer's Slack e-mail matches the bexio superadmin's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from bexio.auth import InMemoryTokenStore, OAuthAuth, OAuthTokens, StaticTokenAuth
from bexio.client import BexioClient
from bexio.errors import BexioError
from bexio.resources.master_data import CompanyProfiles, Users
from bexio.scopes import BXHOURS_SCOPES
from core.i18n import _
from services.bexio_access import BexioAccess, DatabaseTokenStore
from services.changes.schedule import schedule_polls
from services.people import PeopleService
from storage.crypto import TokenCipher
from storage.db import Database
from storage.jobs import JobQueue
from storage.models import BexioConnection
from storage.oauth_states import OAuthStateRepository
from storage.tenants import TenantRepository

log = logging.getLogger(__name__)

CALLBACK_PATH = "/bexio/callback"
CONNECT_PATH = "/bexio/connect"
TICKET_LIFETIME = timedelta(minutes=15)
PENDING_LIFETIME = timedelta(minutes=30)
RECONNECT_REASON = "bexio connection broken"
"""Jobs parked with a reason starting like this go back to the queue when the workspace reconnects."""


class StateUnknown(Exception):
    """The callback's ``state`` was not issued here, expired or was used: HTTP 400."""


class ConnectRefused(Exception):
    """A condition of the connect rule failed; ``message`` says which, in words for the person."""

    def __init__(
        self, message: str, *, tenant_id: int | None = None, slack_user_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.tenant_id = tenant_id
        self.slack_user_id = slack_user_id


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    address: str | None = None
    vat_number: str | None = None


@dataclass(frozen=True)
class Connected:
    tenant_id: int
    slack_user_id: str
    company: Company
    resumed: bool
    """Signed in again to the company the workspace already had."""


@dataclass(frozen=True)
class PendingFromBexio:
    """The Marketplace path: bexio is signed in, Slack is not installed yet."""

    company: Company
    bexio_email: str
    ticket: str
    """Carried through the Slack install (``/slack/install?pending=…``): the key of the pending
    connection stored on the server (its tokens never reach the browser); single use, 30 minutes."""


SlackEmail = Callable[[int, str], Awaitable[str | None]]
"""The Slack e-mail of a person of a tenant (``users.info``)."""
StartImport = Callable[[int, str], Awaitable[None]]
"""Start the first import of a tenant, with its progress DM to the person who connected."""


class TicketSeal:
    """Short-lived signed and encrypted tickets: the App Home's Connect link and pending connections."""

    def __init__(self, key: bytes, now: Callable[[], datetime]) -> None:
        self._fernet = Fernet(key)
        self.now = now

    def seal(self, payload: dict[str, object]) -> str:
        return self._fernet.encrypt_at_time(
            json.dumps(payload).encode(), int(self.now().timestamp())
        ).decode()

    def open(self, ticket: str, lifetime: timedelta) -> dict[str, object] | None:
        if not ticket or len(ticket) > 8000:
            return None
        try:
            raw = self._fernet.decrypt_at_time(
                ticket.encode(), int(lifetime.total_seconds()), int(self.now().timestamp())
            )
            payload = json.loads(raw)
        except (InvalidToken, ValueError, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None


class BexioConnectService:
    def __init__(
        self,
        *,
        db: Database,
        access: BexioAccess,
        states: OAuthStateRepository,
        tenants: TenantRepository,
        people: PeopleService,
        queue: JobQueue,
        cipher: TokenCipher,
        seal: TicketSeal,
        public_url: str,
        slack_email: SlackEmail,
        start_import: StartImport,
        now: Callable[[], datetime],
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.db = db
        self.access = access
        self.states = states
        self.tenants = tenants
        self.people = people
        self.queue = queue
        self.cipher = cipher
        self.seal = seal
        self.redirect_uri = f"{public_url}{CALLBACK_PATH}"
        self.public_url = public_url
        self.slack_email = slack_email
        self.start_import = start_import
        self.now = now
        self._http = http or httpx.AsyncClient(timeout=access.config.timeout, transport=access.transport)

    @property
    def available(self) -> bool:
        """OAuth needs the bexio app's id and secret (BEXIO_CLIENT_ID, BEXIO_CLIENT_SECRET); a server
        signed in with a personal access token (BEXIO_ACCESS_TOKEN) uses that, so connecting by OAuth
        there would store tokens nobody uses."""
        config = self.access.config
        return bool(config.client_id and config.client_secret and not config.access_token)

    # -- the link in the App Home -------------------------------------------------------------------

    def connect_link(self, tenant_id: int, slack_user_id: str) -> str:
        """``/bexio/connect?ticket=…`` for this person, valid 15 minutes (the App Home is republished
        whenever it is opened, so the link is fresh when clicked)."""
        ticket = self.seal.seal({"t": tenant_id, "u": slack_user_id, "k": "connect"})
        return f"{self.public_url}{CONNECT_PATH}?ticket={ticket}"

    # -- the dance ------------------------------------------------------------------------------------

    async def begin(self, ticket: str | None) -> tuple[str, str]:
        """Where to send the browser, and the state to pin in its cookie.

        With a ticket: the person and workspace it names. Without: the Marketplace path.
        Raises ConnectRefused for an expired or forged ticket.
        """
        if not self.available:
            raise ConnectRefused(
                _(
                    "bexio sign-in is not set up on this server (BEXIO_CLIENT_ID and BEXIO_CLIENT_SECRET, "
                    "without BEXIO_ACCESS_TOKEN)."
                )
            )
        payload: dict[str, object] = {}
        if ticket:
            opened = self.seal.open(ticket, TICKET_LIFETIME)
            if opened is None or opened.get("k") != "connect":
                raise ConnectRefused(
                    _(
                        "This connect link has expired (it is valid for 15 minutes). Open bxhours' App Home "
                        "in Slack again and click Connect bexio."
                    )
                )
            payload = {"tenant_id": opened.get("t"), "user_id": opened.get("u")}
        auth = self._oauth(InMemoryTokenStore())
        request = auth.authorization_request(self.redirect_uri, BXHOURS_SCOPES)
        payload["verifier"] = request.code_verifier
        state = await self.states.issue("bexio", payload)
        # Our own state replaces the one the helper drew: it is the database row's key.
        url = request.url.replace(f"state={request.state}", f"state={state}")
        return url, state

    async def finish(
        self, state: str | None, code: str | None, error: str | None = None
    ) -> Connected | PendingFromBexio:
        payload = await self.states.consume("bexio", state)
        if payload is None:
            raise StateUnknown("this sign-in was not started here, has expired or was used already")
        tenant_id = payload.get("tenant_id")
        user_id = payload.get("user_id")
        tenant_id = tenant_id if isinstance(tenant_id, int) else None
        user_id = user_id if isinstance(user_id, str) else None
        if error or not code:
            raise ConnectRefused(
                _("The bexio sign-in was cancelled, so nothing was connected.")
                if error == "access_denied"
                else _("bexio did not sign you in ({error}).", error=(error or "no code")[:80]),
                tenant_id=tenant_id,
                slack_user_id=user_id,
            )
        store = InMemoryTokenStore()
        auth = self._oauth(store)
        try:
            tokens = await auth.exchange_code(code, self.redirect_uri, str(payload.get("verifier", "")))
        except BexioError:
            raise ConnectRefused(
                _("bexio did not accept the sign-in (the code expired or was used). Please try again."),
                tenant_id=tenant_id,
                slack_user_id=user_id,
            ) from None
        try:
            email, company, superadmin = await self._who(tokens)
            if not superadmin:
                raise ConnectRefused(
                    _(
                        "The bexio user {email} is not a superadmin of {company}. Sign in with a bexio "
                        "superadmin (bexio → Settings → Users), or ask one to connect.",
                        email=email,
                        company=company.name,
                    ),
                    tenant_id=tenant_id,
                    slack_user_id=user_id,
                )
            if tenant_id is None or user_id is None:
                # The tokens stay on the server (encrypted, single use, 30 minutes); the browser
                # carries only the key of this pending connection through the Slack install.
                ticket = await self.states.issue(
                    "pending",
                    {
                        "email": email,
                        "company": company.__dict__,
                        "access": tokens.access_token,
                        "refresh": tokens.refresh_token,
                        "expires_at": tokens.expires_at.isoformat(),
                        "scope": tokens.scope,
                    },
                    lifetime=PENDING_LIFETIME,
                )
                return PendingFromBexio(company, email, ticket)
            return await self._connect(tenant_id, user_id, email, company, tokens)
        except ConnectRefused:
            await self._revoke(tokens)
            raise
        except BexioError as exc:
            await self._revoke(tokens)
            raise ConnectRefused(
                _("bexio answered in a way bxhours could not use ({error}).", error=exc),
                tenant_id=tenant_id,
                slack_user_id=user_id,
            ) from None

    async def adopt_pending(self, tenant_id: int, installer_user_id: str, ticket: str) -> Connected:
        """The Slack install that a Marketplace sign-in led to has finished: connect that workspace."""
        opened = await self.states.consume("pending", ticket)
        if opened is None:
            raise ConnectRefused(
                _(
                    "The bexio sign-in that led here has expired. Open the App Home in Slack and click "
                    "Connect bexio."
                ),
                tenant_id=tenant_id,
                slack_user_id=installer_user_id,
            )
        company = Company(**opened["company"])  # type: ignore[arg-type]
        tokens = OAuthTokens(
            access_token=str(opened["access"]),
            refresh_token=str(opened["refresh"]) if opened.get("refresh") else None,
            expires_at=datetime.fromisoformat(str(opened["expires_at"])),
            scope=str(opened.get("scope") or ""),
        )
        try:
            return await self._connect(
                tenant_id, installer_user_id, str(opened["email"]), company, tokens, installer=True
            )
        except ConnectRefused:
            await self._revoke(tokens)
            raise

    async def broke(self, tenant_id: int) -> str | None:
        """If the tenant's OAuth connection is broken (bexio refused its refresh token: revoked,
        expired, or reused): the reason, the first time this is asked after it broke — so admins are
        told once; None otherwise."""
        if not self.available:
            return None
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(BexioConnection).with_for_update())
            if row is None or row.status != "broken" or row.broken_notified_at is not None:
                return None
            row.broken_notified_at = self.now()
            return row.last_error or "bexio refused bxhours' sign-in"

    async def is_broken(self, tenant_id: int) -> bool:
        if not self.available:
            return False
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(BexioConnection))
        return row is not None and row.status == "broken"

    async def disconnect(self, tenant_id: int) -> bool:
        """Revoke at bexio, forget the tokens; the data stays. True if there was a connection."""
        store = DatabaseTokenStore(self.db, self.cipher, tenant_id, self.now)
        tokens = await store.load()
        if tokens is not None:
            await self._revoke(tokens)
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(BexioConnection))
            if row is None:
                return tokens is not None
            row.access_token_enc = None
            row.refresh_token_enc = None
            row.expires_at = None
            row.status = "unknown"
            row.last_error = None
            row.updated_at = self.now()
        return True

    # -- the rule -------------------------------------------------------------------------------------

    async def _connect(
        self,
        tenant_id: int,
        user_id: str,
        bexio_email: str,
        company: Company,
        tokens: OAuthTokens,
        *,
        installer: bool = False,
    ) -> Connected:
        def refused(message: str) -> ConnectRefused:
            return ConnectRefused(message, tenant_id=tenant_id, slack_user_id=user_id)

        if not installer and not await self.people.is_admin(tenant_id, user_id):
            raise refused(
                _(
                    "Only bxhours admins can connect bexio, and you are not one in this workspace. "
                    "Ask the person who installed bxhours or a Slack admin."
                )
            )
        slack_email = await self.slack_email(tenant_id, user_id)
        if not slack_email:
            raise refused(
                _(
                    "bxhours could not read your Slack e-mail address, so it cannot match you to the bexio user."
                )
            )
        if slack_email.casefold() != bexio_email.casefold():
            raise refused(
                _(
                    "You signed in to bexio as {bexio_email}, but your Slack e-mail is {slack_email}. "
                    "Sign in to bexio with the same e-mail address as in Slack.",
                    bexio_email=bexio_email,
                    slack_email=slack_email,
                )
            )
        tenant = await self.tenants.get(tenant_id)
        if tenant is None:
            raise refused(_("This workspace is not installed any more."))
        if tenant.bexio_company_id and tenant.bexio_company_id != company.id:
            raise refused(
                _(
                    "This workspace is connected to the bexio company {connected}; you signed in to "
                    "{company}. bxhours never switches a workspace to another company: sign in to "
                    "{connected_again}, or use another Slack workspace for {company}.",
                    connected=tenant.bexio_company_name or tenant.bexio_company_id,
                    company=company.name,
                    connected_again=tenant.bexio_company_name or _("that company"),
                )
            )
        resumed = tenant.bexio_company_id == company.id
        await DatabaseTokenStore(self.db, self.cipher, tenant_id, self.now).save(tokens)
        async with self.db.session(tenant_id) as session:
            row = await session.scalar(select(BexioConnection))
            if row is not None:
                row.status = "ok"
                row.last_error = None
                row.checked_at = self.now()
                row.broken_notified_at = None
        await self.tenants.record_company(
            tenant_id, company.id, company.name, address=company.address, vat_number=company.vat_number
        )
        await self.resume_parked(tenant_id)
        await schedule_polls(self.queue, tenant_id)  # one pair per connected tenant (idempotent)
        log.info(
            "tenant %s connected to bexio company %s (%s)",
            tenant_id,
            company.id,
            "resumed" if resumed else "new",
        )
        if not resumed:
            await self.start_import(tenant_id, user_id)
        return Connected(tenant_id, user_id, company, resumed)

    async def resume_parked(self, tenant_id: int) -> int:
        """Jobs parked because the connection broke go back to the queue."""
        resumed = 0
        for job in await self.queue.parked(tenant_id, limit=500):
            if (job.last_error or "").startswith(RECONNECT_REASON) and await self.queue.retry(
                tenant_id, job.id
            ):
                resumed += 1
        return resumed

    async def _who(self, tokens: OAuthTokens) -> tuple[str, Company, bool]:
        """The signed-in bexio user's e-mail, their company, and whether they are its superadmin."""
        config = self.access.config
        async with BexioClient(
            config.api_url,
            StaticTokenAuth(tokens.access_token),
            timeout=config.timeout,
            transport=self.access.transport,
            auth_url=config.auth_url,
            max_retries=2,
        ) as client:
            info = await client.userinfo()
            profile = await CompanyProfiles(client).current()
            users = await Users(client).list()
        email = (info.email or "").strip()
        if not email:
            raise ConnectRefused(_("bexio did not tell bxhours the e-mail of the user who signed in."))
        me = next(
            (u for u in users if info.company_user_id is not None and u.id == info.company_user_id), None
        ) or next((u for u in users if (u.email or "").casefold() == email.casefold()), None)
        address = ", ".join(
            part
            for part in (profile.address, " ".join(p for p in (profile.postcode, profile.city) if p))
            if part
        )
        company = Company(
            id=str(info.company_id or profile.id),
            name=info.company_name or profile.name,
            address=address or None,
            vat_number=profile.mwst_nr or profile.ust_id_nr,
        )
        return email, company, bool(me is not None and me.is_superadmin)

    def _oauth(self, store: InMemoryTokenStore) -> OAuthAuth:
        config = self.access.config
        return OAuthAuth(
            config.client_id or "", config.client_secret or "", config.auth_url, store, self._http
        )

    async def _revoke(self, tokens: OAuthTokens) -> None:
        """Best effort: tokens bxhours will not keep are revoked at bexio (the refresh token ends the
        whole sign-in)."""
        config = self.access.config
        for token in (tokens.refresh_token, tokens.access_token):
            if not token:
                continue
            try:
                await self._http.post(
                    f"{config.auth_url}/protocol/openid-connect/revoke",
                    data={
                        "token": token,
                        "client_id": config.client_id or "",
                        "client_secret": config.client_secret or "",
                    },
                )
                return
            except httpx.HTTPError:
                log.info("revoking a bexio token failed; it expires on its own")

    async def aclose(self) -> None:
        await self._http.aclose()
