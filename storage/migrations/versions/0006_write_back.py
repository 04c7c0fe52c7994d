"""write-back of hours to bexio timesheets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:10:00

Issue 16 §1-5: each time entry remembers whether it is to be written to bexio and how that went
(``writeback_state``, with bexio's refusal or the reason it cannot be written), and the duration
bexio shows when someone changed the written timesheet there (``bexio_changed_minutes``). The
timesheet id itself lives in the existing ``bexio_timesheet_id``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("writeback_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("writeback_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("bexio_changed_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_column("bexio_changed_minutes")
        batch_op.drop_column("writeback_reason")
        batch_op.drop_column("writeback_state")
