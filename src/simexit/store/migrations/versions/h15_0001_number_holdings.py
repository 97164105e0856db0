"""number holdings (who held a number when), RND reports, ported-in numbers

Revision ID: h15_0001
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import simexit.store.types

revision: str = "h15_0001"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "number_holdings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("msisdn", sa.String(length=16), nullable=False),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("line_id", ID, nullable=True),
        sa.Column("held_from", sa.Date(), nullable=True),
        sa.Column("disconnected_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("ported_in_from", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("quarantine_until", sa.Date(), nullable=True),
        sa.Column("recorded_at", simexit.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", simexit.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason IN ('closure', 'port_out')", name=op.f("ck_number_holdings_reason")),
        sa.CheckConstraint("state IN ('quarantined', 'available', 'returning', 'returned')",
                           name=op.f("ck_number_holdings_state")),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_number_holdings_brand_id_brands")),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_number_holdings_line_id_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_holdings")),
        sa.UniqueConstraint("line_id", name=op.f("uq_number_holdings_line_id")),
    )
    op.create_index("ix_number_holdings_msisdn", "number_holdings", ["msisdn", "disconnected_on"])
    op.create_index("ix_number_holdings_disconnected_on", "number_holdings", ["disconnected_on"])
    op.create_table(
        "rnd_reports",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("period_last", sa.Date(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("made_at", simexit.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rnd_reports")),
    )
    op.create_index("ix_rnd_reports_period", "rnd_reports", ["period_first", "period_last"])
    with op.batch_alter_table("numbers") as batch:
        batch.add_column(sa.Column("ported_in_from", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("numbers") as batch:
        batch.drop_column("ported_in_from")
    op.drop_index("ix_rnd_reports_period", table_name="rnd_reports")
    op.drop_table("rnd_reports")
    op.drop_index("ix_number_holdings_disconnected_on", table_name="number_holdings")
    op.drop_index("ix_number_holdings_msisdn", table_name="number_holdings")
    op.drop_table("number_holdings")
