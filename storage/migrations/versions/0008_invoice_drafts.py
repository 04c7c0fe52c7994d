"""what a draft needs beyond its lines (reference, edited texts, report)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:10:00

Reserved for issue 15.
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
