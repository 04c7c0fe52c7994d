"""absences and their bexio payroll counterpart

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:10:00

Issue 16 §6-8: absences people log in bxhours (sent to bexio payroll when it takes them), each
person's payroll employee with what the day's norm needs, and whether the workspace's bexio payroll
takes absences at all (and whether people were told that it does not).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "absences",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("half", sa.String(length=16), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("bexio_employee_id", sa.String(length=64), nullable=True),
        sa.Column("bexio_absence_id", sa.String(length=64), nullable=True),
        sa.Column("sync_state", sa.String(length=16), nullable=False),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_absences_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_absences_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absences_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_absences_tenant_user_days", ["tenant_id", "user_id", "first_day", "last_day"], unique=False
        )

    op.create_table(
        "payroll_employee_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("hours_per_week", storage.types.ExactDecimal(), nullable=True),
        sa.Column("employment_level", storage.types.ExactDecimal(), nullable=True),
        sa.Column("fetched_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payroll_employee_links_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payroll_employee_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_employee_links")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_payroll_employee_links_tenant_id_user_id")),
    )
    with op.batch_alter_table("payroll_employee_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_employee_links_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "payroll_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("told_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payroll_access_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_access")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_payroll_access_tenant_id")),
    )
    with op.batch_alter_table("payroll_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_access_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("payroll_access")
    op.drop_table("payroll_employee_links")
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index("ix_absences_tenant_user_days")
        batch_op.drop_index(batch_op.f("ix_absences_tenant_id"))
    op.drop_table("absences")
