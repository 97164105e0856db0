"""saga_steps.last_error_code: the outside system's code of a step's last error, kept apart from its text

Revision ID: console_0001
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "console_0001"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("saga_steps", sa.Column("last_error_code", sa.Text(), nullable=True))
    # Steps that failed before: their code from last_error, which the worker writes as "system: CODE: message".
    steps = sa.table("saga_steps", sa.column("id", sa.Integer()), sa.column("last_error", sa.Text()),
                     sa.column("last_error_code", sa.Text()))
    conn = op.get_bind()
    rows = conn.execute(sa.select(steps.c.id, steps.c.last_error).where(steps.c.last_error.is_not(None))).all()
    for step_id, error in rows:
        parts = error.split(": ")
        if len(parts) > 1 and parts[1]:
            conn.execute(sa.update(steps).where(steps.c.id == step_id).values(last_error_code=parts[1]))


def downgrade() -> None:
    with op.batch_alter_table("saga_steps") as batch:
        batch.drop_column("last_error_code")
