"""write-back of hours to bexio timesheets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:10:00

Reserved for issue 16 §1-5 (write-back state on time entries).
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
