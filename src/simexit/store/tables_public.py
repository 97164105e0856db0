"""Cancellation requests made through the public cancellation entry (no sign-in)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from simexit.store.tables import metadata
from simexit.store.types import Id, Json, UtcDateTime

cancellation_requests = Table(
    "cancellation_requests", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_no", String(16), nullable=False, unique=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # ordinary | extraordinary
    Column("reason", Text),
    Column("customer_name", String(200), nullable=False),
    Column("msisdn", String(16), nullable=False),
    Column("end_date_wanted", String(10)),  # ISO date or NULL for "as soon as possible"
    Column("email", String(254), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("code_expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("state", String(24), nullable=False),  # awaiting_confirmation | confirmed | blocked | expired
    Column("application_id", Id, ForeignKey("applications.id")),
    Column("outcome", Json),
)
