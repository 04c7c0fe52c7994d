"""absences and their bexio payroll counterpart

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:10:00

Reserved for issue 16 §6-8 (absences, the day's norm).
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
