"""sync runs hold a lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 05:00:00

A run renews ``lease_expires_at`` while it works; one whose lease lapsed (its process was killed)
is marked failed instead of blocking imports for an hour (issue 12 §11).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_expires_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("lease_expires_at")
