"""TM Forum Open API records: product orders (TMF622) placed by an operator's BSS, their items (one line
each, pointing at the closure application it became), cancellation requests, and hub subscriptions."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from simexit.store.tables import metadata
from simexit.store.types import Id, Json, UtcDateTime

# One row per productOrder. ``state`` is the last state told to the hubs (the live state follows the
# applications); ``last_event_id`` is the last application_events row already turned into hub events.
tmf_product_orders = Table(
    "tmf_product_orders", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", Id, ForeignKey("partner_api_keys.id"), nullable=False),
    Column("partner_name", String(120), nullable=False),
    Column("state", String(24), nullable=False),
    Column("requested_initial_state", String(16), nullable=False),
    Column("request", Json, nullable=False),  # what the BSS sent, echoed (externalId, notes, channel, …)
    Column("reason", Text),  # the termination reason (a characteristic: TMF622 has no field for it)
    Column("cancellation_reason", Text),
    Column("cancellation_date", UtcDateTime),
    Column("last_event_id", Id, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_tmf_product_orders_partner_state", "partner_id", "state"),
)

# An order item: one line to terminate; ``application_id`` once the order is acknowledged.
tmf_order_items = Table(
    "tmf_order_items", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", String(36), ForeignKey("tmf_product_orders.id"), nullable=False, index=True),
    Column("item_id", String(64), nullable=False),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False),
    Column("msisdn", String(16), nullable=False),
    Column("precheck", Json),  # the draft's findings and quote
    Column("application_id", Id, ForeignKey("applications.id"), index=True),
    Column("application_no", String(16)),
    Column("failure", Text),  # why the item could not become an application (its state is then failed)
    UniqueConstraint("order_id", "item_id"),
)

tmf_cancel_orders = Table(
    "tmf_cancel_orders", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", Id, ForeignKey("partner_api_keys.id"), nullable=False, index=True),
    Column("order_id", String(36), ForeignKey("tmf_product_orders.id"), nullable=False),
    Column("state", String(24), nullable=False),  # done | terminatedWithError
    Column("cancellation_reason", Text),
    Column("refusal", Text),  # why it could not be done
    Column("requested_cancellation_date", UtcDateTime),
    Column("effective_cancellation_date", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

tmf_hubs = Table(
    "tmf_hubs", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", Id, ForeignKey("partner_api_keys.id"), nullable=False, index=True),
    Column("api", String(24), nullable=False),  # productOrdering
    Column("callback", String(500), nullable=False),
    Column("query", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("removed_at", UtcDateTime),
)
