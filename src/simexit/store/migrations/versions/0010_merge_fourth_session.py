"""merge the branches of the fourth session (number holdings, TMF orders and hubs)

Revision ID: 0010
Revises: h15_0001, h17tmf_0001
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | Sequence[str] | None = ("h15_0001", "h17tmf_0001")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
