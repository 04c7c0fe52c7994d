"""Slack installations: which workspace (or Enterprise Grid org) is which tenant, and its bot token.

A request names its team and enterprise; ``find`` maps those to the installation that serves them
before any tenant is known, so this is a system-level table. Tokens are stored encrypted
(``storage.crypto``), like bexio's.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import TokenCipher
from storage.db import Database
from storage.jobs import utcnow
from storage.models import SlackInstallation, Tenant, TenantAdmin


@dataclass(frozen=True)
class InstalledBot:
    """One installation as bxhours uses it (tokens decrypted)."""

    tenant_id: int
    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    app_id: str | None
    bot_id: str | None
    bot_user_id: str | None
    bot_token: str | None = field(repr=False)
    bot_refresh_token: str | None = field(repr=False)
    bot_token_expires_at: datetime | None
    bot_scopes: str
    installer_user_id: str | None
    installed_at: datetime


@dataclass(frozen=True)
class NewInstallation:
    team_id: str | None
    team_name: str | None
    enterprise_id: str | None
    enterprise_name: str | None
    is_enterprise_install: bool
    app_id: str | None
    bot_id: str | None
    bot_user_id: str | None
    bot_token: str | None = field(repr=False)
    bot_refresh_token: str | None = field(repr=False)
    bot_token_expires_at: datetime | None
    bot_scopes: str
    installer_user_id: str | None

    @property
    def tenant_key(self) -> str:
        """An org-wide install is one tenant for the enterprise: its key is the E… id."""
        if self.is_enterprise_install and self.enterprise_id:
            return self.enterprise_id
        if not self.team_id:
            raise ValueError("an installation names a team or, org-wide, an enterprise")
        return self.team_id


@dataclass(frozen=True)
class TenantRow:
    id: int
    slack_team_id: str
    slack_team_name: str | None
    bexio_company_name: str | None
    status: str
    uninstalled_at: datetime | None
    installed: bool


class InstallationRepository:
    def __init__(self, db: Database, cipher: TokenCipher, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.cipher = cipher
        self.now = now

    # -- writing ----------------------------------------------------------------------------------

    async def save(self, new: NewInstallation) -> int:
        """Store an installation (a re-install replaces the previous one) and return its tenant.

        The tenant is created on first install and re-activated when a removed workspace comes back
        before its data was deleted: its settings, people and history are all still there.
        """
        now = self.now()
        key = new.tenant_key
        name = new.enterprise_name if new.is_enterprise_install else new.team_name
        insert = postgresql.insert if self.db.is_postgres else sqlite.insert
        async with self.db.system_session() as session:
            await session.execute(
                insert(Tenant)
                .values(slack_team_id=key, slack_team_name=name, created_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=["slack_team_id"])
            )
            tenant = await session.scalar(select(Tenant).where(Tenant.slack_team_id == key).with_for_update())
            assert tenant is not None
            tenant.slack_team_name = name or tenant.slack_team_name
            tenant.slack_enterprise_id = new.enterprise_id
            tenant.is_enterprise_install = new.is_enterprise_install
            tenant.status = "active"
            tenant.uninstalled_at = None
            tenant.updated_at = now
            if tenant.webhook_secret_enc is None:
                tenant.webhook_secret_enc = self.cipher.encrypt(secrets.token_urlsafe(32))
            row = await session.scalar(
                select(SlackInstallation).where(SlackInstallation.tenant_id == tenant.id)
            )
            if row is None:
                row = SlackInstallation(tenant_id=tenant.id, installed_at=now, updated_at=now)
                session.add(row)
            row.team_id = new.team_id
            row.enterprise_id = new.enterprise_id
            row.is_enterprise_install = new.is_enterprise_install
            row.app_id = new.app_id
            row.bot_id = new.bot_id
            row.bot_user_id = new.bot_user_id
            row.bot_token_enc = self._enc(new.bot_token)
            row.bot_refresh_token_enc = self._enc(new.bot_refresh_token)
            row.bot_token_expires_at = new.bot_token_expires_at
            row.bot_scopes = new.bot_scopes
            row.installer_user_id = new.installer_user_id or row.installer_user_id
            row.installed_at = now
            row.updated_at = now
            tenant_id = tenant.id
        if new.installer_user_id:
            await self.add_admins(tenant_id, {new.installer_user_id: "installer"})
        return tenant_id

    async def update_tokens(
        self, tenant_id: int, token: str, refresh_token: str | None, expires_at: datetime | None
    ) -> None:
        """A rotated bot token: stored before it is used, the old refresh token is dead at Slack."""
        async with self.db.system_session() as session:
            row = await session.scalar(
                select(SlackInstallation).where(SlackInstallation.tenant_id == tenant_id).with_for_update()
            )
            if row is None:
                return
            row.bot_token_enc = self._enc(token)
            if refresh_token:
                row.bot_refresh_token_enc = self._enc(refresh_token)
            row.bot_token_expires_at = expires_at
            row.updated_at = self.now()

    async def rotate(
        self,
        tenant_id: int,
        margin: timedelta,
        refresh: Callable[[str], Awaitable[tuple[str, str | None, datetime | None]]],
    ) -> InstalledBot | None:
        """Rotate the bot token if it expires within ``margin``, holding the row lock meanwhile.

        Slack's refresh tokens are single use: two workers refreshing at once would leave one of them
        with a dead token. The row lock serialises them; the second finds the token fresh and uses it.
        The new tokens are committed before the caller uses them.
        """
        async with self.db.system_session() as session:
            # SQLite ignores FOR UPDATE: the no-op update takes its writer lock before anything is read.
            await session.execute(
                update(SlackInstallation)
                .where(SlackInstallation.tenant_id == tenant_id)
                .values(updated_at=SlackInstallation.updated_at)
                .execution_options(synchronize_session=False)
            )
            row = await session.scalar(
                select(SlackInstallation).where(SlackInstallation.tenant_id == tenant_id).with_for_update()
            )
            if row is None:
                return None
            expires_at = row.bot_token_expires_at
            refresh_token = self._dec(row.bot_refresh_token_enc)
            if expires_at is None or refresh_token is None or expires_at - margin > self.now():
                return self._bot(row)
            token, new_refresh, new_expiry = await refresh(refresh_token)
            row.bot_token_enc = self._enc(token)
            row.bot_refresh_token_enc = self._enc(new_refresh) or row.bot_refresh_token_enc
            row.bot_token_expires_at = new_expiry
            row.updated_at = self.now()
            return self._bot(row)

    async def remove(self, tenant_id: int) -> bool:
        """``app_uninstalled``/``tokens_revoked``: forget the tokens, mark the tenant uninstalled."""
        async with self.db.system_session() as session:
            result = await session.execute(
                delete(SlackInstallation).where(SlackInstallation.tenant_id == tenant_id)
            )
            tenant = await session.get(Tenant, tenant_id)
            if tenant is not None and tenant.status != "uninstalled":
                tenant.status = "uninstalled"
                tenant.uninstalled_at = self.now()
                tenant.updated_at = self.now()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_admins(self, tenant_id: int, admins: dict[str, str]) -> None:
        """Record admins (Slack user id → installer | slack_admin | slack_owner); existing ones stay."""
        if not admins:
            return
        async with self.db.session(tenant_id) as session:
            known = set(await session.scalars(select(TenantAdmin.slack_user_id)))
            for user_id, source in admins.items():
                if user_id not in known:
                    session.add(TenantAdmin(slack_user_id=user_id, source=source, created_at=self.now()))

    # -- reading ----------------------------------------------------------------------------------

    async def find(
        self, *, team_id: str | None, enterprise_id: str | None, is_enterprise_install: bool = False
    ) -> InstalledBot | None:
        """The installation that serves a request from this team (or org-wide, this enterprise)."""
        conditions = []
        if team_id and not is_enterprise_install:
            conditions.append(
                (SlackInstallation.team_id == team_id) & (SlackInstallation.is_enterprise_install.is_(False))
            )
        if enterprise_id:
            conditions.append(
                (SlackInstallation.enterprise_id == enterprise_id)
                & (SlackInstallation.is_enterprise_install.is_(True))
            )
        if not conditions:
            return None
        async with self.db.system_session() as session:
            rows = list(await session.scalars(select(SlackInstallation).where(or_(*conditions))))
        # A workspace's own installation wins over its org's.
        rows.sort(key=lambda row: row.is_enterprise_install)
        return self._bot(rows[0]) if rows else None

    async def for_tenant(self, tenant_id: int) -> InstalledBot | None:
        async with self.db.system_session() as session:
            row = await session.scalar(
                select(SlackInstallation).where(SlackInstallation.tenant_id == tenant_id)
            )
            return self._bot(row) if row is not None else None

    async def tenant_by_key(self, key: str) -> TenantRow | None:
        async with self.db.system_session() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slack_team_id == key))
        return (await self._rows([tenant]))[0] if tenant is not None else None

    async def tenants(self) -> list[TenantRow]:
        async with self.db.system_session() as session:
            tenants = list(await session.scalars(select(Tenant).order_by(Tenant.id)))
        return await self._rows(tenants)

    async def active_tenant_ids(self) -> list[int]:
        async with self.db.system_session() as session:
            return list(
                await session.scalars(select(Tenant.id).where(Tenant.status == "active").order_by(Tenant.id))
            )

    async def due_for_deletion(self, keep_days: int) -> list[int]:
        """Uninstalled tenants whose data has been kept ``keep_days`` and was not re-installed."""
        cutoff = self.now() - timedelta(days=keep_days)
        async with self.db.system_session() as session:
            return list(
                await session.scalars(
                    select(Tenant.id).where(Tenant.status == "uninstalled", Tenant.uninstalled_at <= cutoff)
                )
            )

    async def delete_tenant(self, tenant_id: int) -> bool:
        """Delete a tenant and, by cascade, everything it owns."""
        async with self.db.system_session() as session:
            result = await session.execute(delete(Tenant).where(Tenant.id == tenant_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def webhook_secret(self, tenant_id: int) -> str | None:
        async with self.db.system_session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None or tenant.webhook_secret_enc is None:
                return None
            return self.cipher.decrypt(tenant.webhook_secret_enc)

    async def webhook_secrets(self) -> dict[int, str]:
        """Every active tenant's webhook secret (multi-workspace mode's ``POST /bexio/webhook``)."""
        async with self.db.system_session() as session:
            rows = (
                await session.execute(
                    select(Tenant.id, Tenant.webhook_secret_enc).where(
                        Tenant.status == "active", Tenant.webhook_secret_enc.is_not(None)
                    )
                )
            ).all()
        return {tenant_id: self.cipher.decrypt(enc) for tenant_id, enc in rows if enc}

    async def _rows(self, tenants: list[Tenant]) -> list[TenantRow]:
        async with self.db.system_session() as session:
            installed = set(await session.scalars(select(SlackInstallation.tenant_id)))
        return [
            TenantRow(
                id=t.id,
                slack_team_id=t.slack_team_id,
                slack_team_name=t.slack_team_name,
                bexio_company_name=t.bexio_company_name,
                status=t.status,
                uninstalled_at=t.uninstalled_at,
                installed=t.id in installed,
            )
            for t in tenants
        ]

    def _enc(self, value: str | None) -> str | None:
        return self.cipher.encrypt(value) if value else None

    def _dec(self, value: str | None) -> str | None:
        return self.cipher.decrypt(value) if value else None

    def _bot(self, row: SlackInstallation) -> InstalledBot:
        return InstalledBot(
            tenant_id=row.tenant_id,
            team_id=row.team_id,
            enterprise_id=row.enterprise_id,
            is_enterprise_install=row.is_enterprise_install,
            app_id=row.app_id,
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_token=self._dec(row.bot_token_enc),
            bot_refresh_token=self._dec(row.bot_refresh_token_enc),
            bot_token_expires_at=row.bot_token_expires_at,
            bot_scopes=row.bot_scopes or "",
            installer_user_id=row.installer_user_id,
            installed_at=row.installed_at,
        )
