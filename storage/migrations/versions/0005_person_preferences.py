"""person preferences, bexio languages, a customer's language

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:00:00

One store for what a person chooses for themselves — their language first (issue 14 §2); later
preferences (reminder time, opt-outs) add columns here. bexio's languages list and each customer's
``language_id`` decide the language of what bxhours writes into that customer's drafts (§5).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_person_preferences_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_preferences")),
        sa.UniqueConstraint(
            "tenant_id", "slack_user_id", name=op.f("uq_person_preferences_tenant_id_slack_user_id")
        ),
    )
    with op.batch_alter_table("person_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_preferences_tenant_id"), ["tenant_id"], unique=False)


    op.create_table(
        "languages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("bexio_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("iso_639_1", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_languages_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_languages")),
        sa.UniqueConstraint("tenant_id", "bexio_id", name=op.f("uq_languages_tenant_id_bexio_id")),
    )
    with op.batch_alter_table("languages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_languages_tenant_id"), ["tenant_id"], unique=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("language_id")
    op.drop_table("languages")
    op.drop_table("person_preferences")
