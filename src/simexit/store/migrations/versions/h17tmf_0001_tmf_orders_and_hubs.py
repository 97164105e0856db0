"""TMF622 product orders, order items, cancellations and hub subscriptions

Revision ID: h17tmf_0001
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import simexit.store.types

revision: str = "h17tmf_0001"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, simexit.store.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tmf_product_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", _ID, nullable=False),
        sa.Column("partner_name", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("requested_initial_state", sa.String(length=16), nullable=False),
        sa.Column("request", _JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        _at("cancellation_date", True),
        sa.Column("last_event_id", _ID, server_default="0", nullable=False),
        _at("created_at"), _at("completed_at", True), _at("updated_at"),
        sa.ForeignKeyConstraint(["partner_id"], ["partner_api_keys.id"],
                                name=op.f("fk_tmf_product_orders_partner_id_partner_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_product_orders")),
    )
    with op.batch_alter_table("tmf_product_orders", schema=None) as batch_op:
        batch_op.create_index("ix_tmf_product_orders_partner_state", ["partner_id", "state"], unique=False)
    op.create_table(
        "tmf_order_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("line_id", _ID, nullable=False),
        sa.Column("msisdn", sa.String(length=16), nullable=False),
        sa.Column("precheck", _JSON, nullable=True),
        sa.Column("application_id", _ID, nullable=True),
        sa.Column("application_no", sa.String(length=16), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name=op.f("fk_tmf_order_items_application_id_applications")),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_tmf_order_items_line_id_lines")),
        sa.ForeignKeyConstraint(["order_id"], ["tmf_product_orders.id"],
                                name=op.f("fk_tmf_order_items_order_id_tmf_product_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_order_items")),
        sa.UniqueConstraint("order_id", "item_id", name=op.f("uq_tmf_order_items_order_id_item_id")),
    )
    with op.batch_alter_table("tmf_order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tmf_order_items_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tmf_order_items_order_id"), ["order_id"], unique=False)
    op.create_table(
        "tmf_cancel_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", _ID, nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        _at("requested_cancellation_date", True), _at("effective_cancellation_date", True), _at("created_at"),
        sa.ForeignKeyConstraint(["order_id"], ["tmf_product_orders.id"],
                                name=op.f("fk_tmf_cancel_orders_order_id_tmf_product_orders")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner_api_keys.id"],
                                name=op.f("fk_tmf_cancel_orders_partner_id_partner_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_cancel_orders")),
    )
    with op.batch_alter_table("tmf_cancel_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tmf_cancel_orders_partner_id"), ["partner_id"], unique=False)
    op.create_table(
        "tmf_hubs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", _ID, nullable=False),
        sa.Column("api", sa.String(length=24), nullable=False),
        sa.Column("callback", sa.String(length=500), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=True),
        _at("created_at"), _at("removed_at", True),
        sa.ForeignKeyConstraint(["partner_id"], ["partner_api_keys.id"],
                                name=op.f("fk_tmf_hubs_partner_id_partner_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_hubs")),
    )
    with op.batch_alter_table("tmf_hubs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tmf_hubs_partner_id"), ["partner_id"], unique=False)


def downgrade() -> None:
    op.drop_table("tmf_hubs")
    op.drop_table("tmf_cancel_orders")
    op.drop_table("tmf_order_items")
    op.drop_table("tmf_product_orders")
