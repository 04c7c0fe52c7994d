"""The relational schema of bxhours.

Every table except ``tenants`` carries ``tenant_id`` (a Slack workspace ↔ a bexio company), so more
workspaces can be served later without a migration; ``storage.db`` applies the tenant filter to every
ORM query once, so repositories never write it by hand. Money columns are integer Rappen
(``storage.types.Money``), durations whole minutes. Rows that mirror bexio keep bexio's id in a
``bexio_id`` column and an ``active`` flag: what disappears in bexio is deactivated, never deleted
while time entries still point at it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import ExactDecimal, Money, UTCDateTime

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER keys


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        Decimal: Money(),
    }


class TenantScoped:
    """Marker mixin: rows of these tables are only ever visible to their own tenant."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    slack_team_name: Mapped[str | None] = mapped_column(String(200))
    bexio_company_id: Mapped[str | None] = mapped_column(String(64))
    bexio_company_name: Mapped[str | None] = mapped_column(String(200))
    bexio_company_address: Mapped[str | None] = mapped_column(String(400))
    bexio_vat_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # An org-wide (Enterprise Grid) install is one tenant: ``slack_team_id`` is then the E… id.
    slack_enterprise_id: Mapped[str | None] = mapped_column(String(32))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    """active | uninstalled (tokens gone, jobs and polls stopped, data kept until deleted)."""
    uninstalled_at: Mapped[datetime | None]
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    """Multi-workspace mode: this tenant's own secret for ``POST /bexio/webhook`` (encrypted)."""


class TenantSetting(TenantScoped, Base):
    __tablename__ = "tenant_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class BexioConnection(TenantScoped, Base):
    """How the tenant reaches bexio. Tokens are Fernet-encrypted (``storage.crypto``)."""

    __tablename__ = "bexio_connections"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    auth_kind: Mapped[str] = mapped_column(String(16))  # "pat" | "oauth"
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    scopes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="unknown")  # ok | broken | unknown
    last_error: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    broken_notified_at: Mapped[datetime | None]
    """When admins were told that the connection broke (once per breakage; cleared on reconnect)."""


class User(TenantScoped, Base):
    """A person: a bexio user, linked to a Slack user by e-mail or by an admin."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "bexio_id"),
        UniqueConstraint("tenant_id", "slack_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int | None]
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    firstname: Mapped[str | None] = mapped_column(String(200))
    lastname: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="member")  # admin | member
    is_superadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_by: Mapped[str | None] = mapped_column(String(16))  # email | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.firstname, self.lastname) if part)
        return name or self.email or f"user {self.id}"


class ContactGroup(TenantScoped, Base):
    __tablename__ = "contact_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(TenantScoped, Base):
    """A bexio contact we invoice; ``bexio_id`` is NULL for a customer created in bxhours first."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int | None]
    nr: Mapped[str | None] = mapped_column(String(32))
    contact_type: Mapped[int] = mapped_column(Integer, default=1)  # 1 company, 2 person
    name: Mapped[str] = mapped_column(String(300), index=True)
    name_2: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    street_name: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(32))
    address_addition: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(200))
    country_id: Mapped[int | None]
    language_id: Mapped[int | None]
    """bexio's language of the contact (``languages``): drafts bxhours writes for it use it."""
    group_ids: Mapped[str | None] = mapped_column(String(500))
    bexio_updated_at: Mapped[str | None] = mapped_column(String(32))
    created_in_bxhours: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class Project(TenantScoped, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int | None]
    nr: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    bexio_contact_id: Mapped[int | None]
    state_id: Mapped[int | None]
    state_name: Mapped[str | None] = mapped_column(String(100))
    type_id: Mapped[int | None]
    type_name: Mapped[str | None] = mapped_column(String(100))
    invoice_type: Mapped[int | None]  # bexio pr_invoice_type_id: 1 activity, 2 person, 3 project, 4 fixed
    invoice_amount: Mapped[Decimal | None]
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    bexio_user_id: Mapped[int | None]
    created_in_bxhours: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class Activity(TenantScoped, Base):
    """A bexio business activity (client_service) with its rate, billable default and account."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    default_rate: Mapped[Decimal | None]
    default_is_billable: Mapped[bool] = mapped_column(Boolean, default=True)
    bexio_account_id: Mapped[int | None]  # bexio's own default
    mapped_account_id: Mapped[int | None]  # an admin's choice in bxhours; wins over bexio's default
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]

    @property
    def account_id(self) -> int | None:
        return self.mapped_account_id if self.mapped_account_id is not None else self.bexio_account_id


class AccountGroup(TenantScoped, Base):
    __tablename__ = "account_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    account_no: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    parent_bexio_id: Mapped[int | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Account(TenantScoped, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    account_no: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(300))
    account_type: Mapped[int]  # 1 income, 2 expense, 3 assets, 4 liabilities, 5 closing
    group_bexio_id: Mapped[int | None]
    tax_bexio_id: Mapped[int | None]
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Tax(TenantScoped, Base):
    __tablename__ = "taxes"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    code: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    display_name: Mapped[str | None] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    start_year: Mapped[int | None]
    start_month: Mapped[int | None]
    end_year: Mapped[int | None]
    end_month: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    account_bexio_id: Mapped[int | None]
    present: Mapped[bool] = mapped_column(Boolean, default=True)  # still listed by bexio


class Unit(TenantScoped, Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Language(TenantScoped, Base):
    """bexio's languages list: a contact's ``language_id`` names one (the language of its documents)."""

    __tablename__ = "languages"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    iso_639_1: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Currency(TenantScoped, Base):
    __tablename__ = "currencies"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(16))
    round_factor: Mapped[Decimal] = mapped_column(ExactDecimal())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DocumentSetting(TenantScoped, Base):
    """bexio's kb_item_setting per document class: numbering and VAT defaults of invoices."""

    __tablename__ = "document_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "bexio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bexio_id: Mapped[int]
    kb_item_class: Mapped[str] = mapped_column(String(64))
    enumeration_format: Mapped[str | None] = mapped_column(String(100))
    use_automatic_enumeration: Mapped[bool] = mapped_column(Boolean, default=True)
    next_nr: Mapped[int | None]
    nr_min_length: Mapped[int | None]
    default_mwst_type: Mapped[int | None]
    default_mwst_is_net: Mapped[bool | None] = mapped_column(Boolean)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExpenseCategory(TenantScoped, Base):
    __tablename__ = "expense_categories"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    billable_default: Mapped[bool] = mapped_column(Boolean, default=True)
    tax_code: Mapped[str | None] = mapped_column(String(32))  # NULL: the tenant's default sales tax
    account_id: Mapped[int | None]  # bexio account id
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TimeEntry(TenantScoped, Base):
    __tablename__ = "time_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "bexio_timesheet_id"),
        Index("ix_time_entries_tenant_status_day", "tenant_id", "status", "day"),
        Index("ix_time_entries_tenant_user_day", "tenant_id", "user_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    day: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    rate: Mapped[Decimal | None]  # hourly rate snapshot taken when the entry was stored
    rate_source: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | reserved | billed
    source: Mapped[str] = mapped_column(String(16), default="slack")  # slack | modal | bexio
    bexio_timesheet_id: Mapped[int | None]
    bexio_status_id: Mapped[int | None]
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Write-back (issue 16): None (never to be written) | pending | written | failed | not_in_bexio
    writeback_state: Mapped[str | None] = mapped_column(String(16))
    writeback_reason: Mapped[str | None] = mapped_column(Text)  # why not in bexio / bexio's refusal
    bexio_changed_minutes: Mapped[int | None]  # bexio's duration when someone edited it there


class Expense(TenantScoped, Base):
    __tablename__ = "expenses"
    __table_args__ = (Index("ix_expenses_tenant_status_day", "tenant_id", "status", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("expense_categories.id"))
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]  # what the receipt says, VAT included
    currency: Mapped[str] = mapped_column(String(8), default="CHF")
    note: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | reserved | billed
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Invoice(TenantScoped, Base):
    """A draft we create in bexio. ``uuid`` is sent as bexio's ``api_reference`` for exactly-once pushes."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("uuid"), UniqueConstraint("tenant_id", "own_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    title: Mapped[str] = mapped_column(String(300))
    intro: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(255))
    """The customer's reference (e.g. their PO number), sent as bexio's ``reference``."""
    invoice_date: Mapped[date] = mapped_column(Date)
    payment_days: Mapped[int] = mapped_column(Integer, default=30)
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    numbering: Mapped[str] = mapped_column(String(16), default="bexio")  # bexio | own
    own_number: Mapped[str | None] = mapped_column(String(64))
    # Where an own number sits in its sequence ("2026" per year, "all" without {year}); set right
    # before the create, cleared when bexio refuses the draft, so only drafts consume numbers.
    own_seq: Mapped[int | None]
    own_scope: Mapped[str | None] = mapped_column(String(16))
    bexio_id: Mapped[int | None]
    document_nr: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | created | failed
    bexio_status_id: Mapped[int | None]
    total_net: Mapped[Decimal | None]
    total_vat: Mapped[Decimal | None]
    total: Mapped[Decimal | None]
    bexio_total: Mapped[Decimal | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))  # Slack user id or "cli"
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Issue 15 §1: the first and last service date of the lines invoiced (the header's period) and
    # the language the draft is written in (its title, header, lines and the timesheet report).
    service_from: Mapped[date | None] = mapped_column(Date)
    service_to: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(8))


class InvoiceLine(TenantScoped, Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # hours | expense | fixed | text
    # The project a line bills: a fixed-price project is billed by the first draft with its "fixed" line.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    text: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal]
    amount: Mapped[Decimal]
    tax_code: Mapped[str | None] = mapped_column(String(32))
    tax_bexio_id: Mapped[int | None]
    account_id: Mapped[int | None]
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class Job(Base):
    """One row of the durable job queue (import, invoice push, change processing, polling).

    Not ``TenantScoped``: workers claim across tenants. Every job still names its tenant and every
    handler opens a tenant-scoped unit of work for it.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "run_at"),
        Index(
            "uq_jobs_pending_dedup",
            "tenant_id",
            "dedup_key",
            unique=True,
            sqlite_where=text("status = 'queued' AND dedup_key IS NOT NULL"),
            postgresql_where=text("status = 'queued' AND dedup_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_at: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class SyncRun(TenantScoped, Base):
    """One import from bexio: who started it, where its progress message lives, what it changed."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        # At most one import per tenant is queued or running: a second `/bx-sync` is refused by
        # the database itself, even when two arrive at the same moment on different servers.
        Index(
            "uq_sync_runs_active",
            "tenant_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(BigId)
    started_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    phase: Mapped[str | None] = mapped_column(String(64))
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    """Renewed while the run works; lapsed means its process died (``services.importing.runs``)."""


class SyncCursor(TenantScoped, Base):
    """Per-resource watermarks of the change poller (bexio pushes nothing, so we look)."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(64))
    watermark: Mapped[str | None] = mapped_column(String(64))
    # Records seen at the edge of the watermark (bexio id → their updated_at): the next search
    # overlaps by a safety margin and returns them again; unchanged, they are not queued twice.
    recent: Mapped[dict[str, Any] | None]
    last_full_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AuditLog(TenantScoped, Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))  # Slack user id, "cli", "system", "worker"
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class SlackRequest(Base):
    """A request from Slack written down before it is acknowledged (``bot.inbox``): the inbox row.

    ``id`` is the request's stable id (in logs, and shown to people with an error). ``replay_key``
    (the request's signature, or ``event:<event_id>`` for Events API deliveries) is unique: a
    replayed request finds its row and does nothing. ``applied_at`` is set in the same transaction
    as the request's first write, so a run after a crash never writes twice; ``lease_until`` is
    renewed while a process works on the request, and a lapsed lease lets another process finish it.
    Not ``TenantScoped``: recovery claims across tenants, as workers claim jobs.
    """

    __tablename__ = "slack_requests"
    __table_args__ = (
        UniqueConstraint("replay_key"),
        Index("ix_slack_requests_recover", "status", "lease_until"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    replay_key: Mapped[str] = mapped_column(String(200))
    # command | block_actions | view_submission | event_callback …
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(255))  # the command, action_id, callback_id or event type
    user_id: Mapped[str | None] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # runs started after the first
    received_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class SlackInstallation(Base):
    """Where bxhours is installed in Slack, with the bot token of that installation (encrypted).

    Not ``TenantScoped``: a request is matched to its tenant through this table (team or enterprise
    id), before there is a tenant to scope by. One row per tenant; a re-install replaces it.
    """

    __tablename__ = "slack_installations"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[str | None] = mapped_column(String(32), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32), index=True)
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    app_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_token_enc: Mapped[str | None] = mapped_column(Text)
    bot_refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None]
    bot_scopes: Mapped[str | None] = mapped_column(Text)
    installer_user_id: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OAuthState(Base):
    """An OAuth ``state`` this deployment issued (Slack install, bexio connect): single use, short-lived.

    In the database, not in memory, so any replica can finish a flow another one started. The payload
    (who connects, the PKCE verifier) is encrypted.
    """

    __tablename__ = "oauth_states"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # slack | bexio
    payload_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class TenantAdmin(TenantScoped, Base):
    """An admin of one tenant: the installer and the workspace's Slack admins and owners.

    (Linked bexio superadmins are admins through ``User.role``; ``BXHOURS_ADMINS`` applies in
    single-workspace mode only.)
    """

    __tablename__ = "tenant_admins"
    __table_args__ = (UniqueConstraint("tenant_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # installer | slack_admin | slack_owner
    created_at: Mapped[datetime]


class PersonPreference(TenantScoped, Base):
    """What one person chose for themselves (their language; later their reminder time, opt-outs).

    One row per Slack user and tenant; a column per preference, NULL while the person has not
    chosen (the workspace's default applies).
    """

    __tablename__ = "person_preferences"
    __table_args__ = (UniqueConstraint("tenant_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime]
    reminder_time: Mapped[str | None] = mapped_column(String(5))
    """``HH:MM`` in the person's Slack time zone for the missing-hours reminder (NULL: 17:00)."""
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Nudge(TenantScoped, Base):
    """A reminder or weekly summary sent to one person (issue 17 §1, §5): at most one per person,
    kind and day — the unique key is what keeps two workers from both sending it.

    ``day`` is the reminded day (a summary: its week's Monday). The row is written before the DM is
    posted (``state`` "sending") and names the message afterwards, so it can be updated in place.
    """

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("tenant_id", "slack_user_id", "kind", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # reminder | summary
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="sending")
    """sending | open | snoozed | covered | day_off | sent (a summary)."""
    extra_day: Mapped[date | None] = mapped_column(Date)
    """A previous working day still short when the reminder went out (Monday's lists Friday)."""
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    offers: Mapped[list[Any] | None] = mapped_column(JSON)
    """The project/activity combinations its buttons offer, ``[[project_id, activity_id], …]``:
    a click names an index, so what is logged is what was offered (kept here, not in the button)."""
    snoozed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Absence(TenantScoped, Base):
    """A day or days someone is away (issue 16 §6-8): kept in bxhours whatever bexio says, and sent
    to bexio payroll as an absence of the person's payroll employee when it can be.

    ``half`` keeps which half of a single day (bexio only knows ``half_day``). ``sync_state``:
    pending (a job will send it) | sent | not_sent (bexio payroll cannot take it; ``sync_error``
    says why) | failed (bexio refused it; ``sync_error`` has bexio's reason).
    """

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_tenant_user_days", "tenant_id", "user_id", "first_day", "last_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    half: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(32))
    """The Slack user who logged it (an admin may log for someone else)."""
    bexio_employee_id: Mapped[str | None] = mapped_column(String(64))
    bexio_absence_id: Mapped[str | None] = mapped_column(String(64))
    sync_state: Mapped[str] = mapped_column(String(16), default="pending")
    sync_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PayrollEmployeeLink(TenantScoped, Base):
    """A person's bexio payroll employee (matched by e-mail) and what the day's norm needs from it,
    refreshed whenever bxhours reads the employees list (``services.absences``)."""

    __tablename__ = "payroll_employee_links"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    employee_id: Mapped[str] = mapped_column(String(64))
    hours_per_week: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    employment_level: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    fetched_at: Mapped[datetime]


class PayrollAccess(TenantScoped, Base):
    """Whether bexio payroll takes absences from this workspace, and whether people were told when it
    does not (once per workspace, issue 16 §7)."""

    __tablename__ = "payroll_access"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # unknown | ok | refused
    detail: Mapped[str | None] = mapped_column(Text)
    told_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Timer(TenantScoped, Base):
    """A person's timer (issue 17 §4): it runs until they stop it, then its real minutes are logged.

    ``running`` is True while it runs and NULL once a timer left running past midnight asks how long
    it really was: the unique constraint on (tenant, user, running) allows one running timer per
    person, and since NULLs are distinct on SQLite and PostgreSQL alike, unanswered questions do not
    count. ``day`` is the company's calendar day it started on, the day its hours are logged on.
    """

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "running"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    running: Mapped[bool | None] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    warned_at: Mapped[datetime | None]
    """When the person was told it has run for 10 hours (once)."""
    asked_at: Mapped[datetime | None]
    """When it stopped at midnight and asked how long it really was."""
    question_channel: Mapped[str | None] = mapped_column(String(32))
    question_ts: Mapped[str | None] = mapped_column(String(32))
    """Where that question was posted, so the answer updates it in place."""
