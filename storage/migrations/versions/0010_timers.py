"""running timers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:10:00

Issue 17 §4: one running timer per person (a unique constraint on tenant, user and ``running``,
which is NULL once a timer left running past midnight asks how long it really was).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=True),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("warned_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("asked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("question_channel", sa.String(length=32), nullable=True),
        sa.Column("question_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_timers_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_timers_project_id_projects")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_timers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_timers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("tenant_id", "user_id", "running", name=op.f("uq_timers_tenant_id_user_id_running")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timers_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("timers")
