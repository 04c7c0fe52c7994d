"""slack requests inbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 06:00:00

Every slash command, every button that writes, every view submission and every event is written
down before Slack gets its acknowledgement; the row's unique ``replay_key`` makes a replayed request
do nothing, and its lease lets a restarted process finish what a killed one acknowledged
(issue 12 §3, §9).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("replay_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("applied_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_slack_requests_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_requests")),
        sa.UniqueConstraint("replay_key", name=op.f("uq_slack_requests_replay_key")),
    )
    with op.batch_alter_table("slack_requests", schema=None) as batch_op:
        batch_op.create_index("ix_slack_requests_recover", ["status", "lease_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_slack_requests_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_requests_tenant_id"))
        batch_op.drop_index("ix_slack_requests_recover")
    op.drop_table("slack_requests")
