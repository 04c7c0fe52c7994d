"""workspaces: Slack installations, OAuth states, tenant admins

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 08:00:00

One deployment serves any number of Slack workspaces (issue 13): each installation's bot token is
stored encrypted per tenant, OAuth ``state`` values live in the database so any replica can finish a
flow, and a tenant's admins are stored with it. Tenants learn their enterprise, whether they are
installed, and their own webhook secret.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bexio_company_address", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("bexio_vat_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("slack_enterprise_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("is_enterprise_install", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("uninstalled_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret_enc", sa.Text(), nullable=True))

    with op.batch_alter_table("bexio_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("broken_notified_at", storage.types.UTCDateTime(), nullable=True))

    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_token_enc", sa.Text(), nullable=True),
        sa.Column("bot_refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("bot_token_expires_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("bot_scopes", sa.Text(), nullable=True),
        sa.Column("installer_user_id", sa.String(length=32), nullable=True),
        sa.Column("installed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_slack_installations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_slack_installations_tenant_id")),
    )
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_installations_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_slack_installations_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_slack_installations_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "oauth_states",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload_enc", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("consumed_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_states")),
    )

    op.create_table(
        "tenant_admins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_admins_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_admins")),
        sa.UniqueConstraint(
            "tenant_id", "slack_user_id", name=op.f("uq_tenant_admins_tenant_id_slack_user_id")
        ),
    )
    with op.batch_alter_table("tenant_admins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_admins_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("tenant_admins")
    op.drop_table("oauth_states")
    op.drop_table("slack_installations")
    with op.batch_alter_table("bexio_connections", schema=None) as batch_op:
        batch_op.drop_column("broken_notified_at")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret_enc")
        batch_op.drop_column("uninstalled_at")
        batch_op.drop_column("status")
        batch_op.drop_column("is_enterprise_install")
        batch_op.drop_column("slack_enterprise_id")
        batch_op.drop_column("bexio_vat_number")
        batch_op.drop_column("bexio_company_address")
