"""merge the branches of the first iteration

Revision ID: 0009
Revises: 0003, 0004, 0005, 0006, 0007
Create Date: 2026-11-22 11:36:39.215366
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0003", "0004", "0005", "0006", "0007")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
