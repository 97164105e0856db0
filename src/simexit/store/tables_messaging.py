"""Tables of refunds (for the finance payout file) and relying-party subscriptions (disconnect webhooks)."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, text

from simexit.store.tables import metadata
from simexit.store.types import Id, Json, UtcDateTime

# One row per refund ordered for an application (the closing saga records it; finance gets it in a CSV).
refunds = Table(
    "refunds", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("application_id", Id, ForeignKey("applications.id"), nullable=False, unique=True),
    Column("application_no", String(16), nullable=False),
    Column("amount_minor", Id, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(24), nullable=False),
    Column("destination", Json),  # what the payment system needs; erased with the customer's personal data
    Column("destination_masked", String(40), nullable=False),
    Column("reference", String(120), nullable=False, unique=True),  # the idempotency key sent to the payer
    Column("state", String(10), nullable=False, server_default="ordered"),
    Column("payment_ref", String(80)),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("paid_at", UtcDateTime),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("state IN ('ordered', 'paid', 'failed')", name="state"),
    Index("ix_refunds_recorded_at", "recorded_at"),
)

# Banks, payment and social apps that want to hear of permanent disconnects (HMAC-signed webhooks).
relying_parties = Table(
    "relying_parties", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("url", String(500), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("removed_at", UtcDateTime),
)
