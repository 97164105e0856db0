"""REST API: stored idempotent responses, partner API keys, SM-DP+ download-progress notifications."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from simexit.store.tables import metadata
from simexit.store.types import Id, Json, UtcDateTime

# The first successful answer to a POST carrying an Idempotency-Key, replayed for the same key and body.
# ``principal`` scopes keys to who asked (a session's customer or staff member, a partner key, or anonymous).
api_idempotency = Table(
    "api_idempotency", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("principal", String(64), nullable=False),
    Column("idem_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    UniqueConstraint("principal", "idem_key"),
    Index("ix_api_idempotency_expires", "expires_at"),
)

# Keys of partners (SM-DP+ operators, relying parties). The key is shown once; we keep its prefix (to find
# it) and a SHA-256 of the whole key (it is 256 bits of randomness, so a fast hash is enough).
partner_api_keys = Table(
    "partner_api_keys", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("scopes", Json, nullable=False),  # e.g. ["smdp"], ["relying_party"]
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
)

# ES2+ handleDownloadProgressInfo notifications received from an SM-DP+ (recorded even for unknown ICCIDs).
esim_notifications = Table(
    "esim_notifications", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner_key_id", Id, ForeignKey("partner_api_keys.id"), nullable=False),
    Column("requester", String(120), nullable=False),
    Column("function_call_id", String(120), nullable=False),
    Column("iccid", String(20), nullable=False),
    Column("eid", String(32)),
    Column("profile_type", String(120)),
    Column("notification_point_id", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("event_at", UtcDateTime, nullable=False),
    Column("new_state", String(16)),  # the esim_profiles.state it set, if any
    Column("matched", Boolean, nullable=False),  # an esim_profiles row had this ICCID
    Column("payload", Json, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("requester", "function_call_id"),
    Index("ix_esim_notifications_iccid", "iccid"),
)
