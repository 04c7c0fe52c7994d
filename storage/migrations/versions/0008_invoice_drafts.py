"""what a draft needs beyond its lines (reference, edited texts, report)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:10:00

Reserved for issue 15. §1: an invoice keeps the first and last service date of its lines (the
draft's header names that period) and the language its draft is written in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The customer's reference on a draft (issue 15 §7).
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=255), nullable=True))
    # The service period of the lines invoiced (the draft's header) and the draft's language (§1).
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("service_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("service_to")
        batch_op.drop_column("service_from")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("reference")
