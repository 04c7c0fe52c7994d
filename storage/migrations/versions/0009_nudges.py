"""reminders and weekly summaries (issue 17 §1, §5)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:10:00

A person's reminder time and opt-out join their other preferences; ``nudges`` keeps each reminder
and summary sent, one per person, kind and day (its unique key stops a second worker's duplicate).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_preferences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_time", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("reminders_opt_out", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "nudges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("extra_day", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("offers", sa.JSON(), nullable=True),
        sa.Column("snoozed_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_nudges_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudges")),
        sa.UniqueConstraint(
            "tenant_id",
            "slack_user_id",
            "kind",
            "day",
            name=op.f("uq_nudges_tenant_id_slack_user_id_kind_day"),
        ),
    )
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudges_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("nudges")
    with op.batch_alter_table("person_preferences", schema=None) as batch_op:
        batch_op.drop_column("reminders_opt_out")
        batch_op.drop_column("reminder_time")
