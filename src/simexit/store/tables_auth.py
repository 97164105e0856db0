"""Sign-in: one-time codes, customer and staff sessions, staff accounts, throttling."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, text

from simexit.store.tables import metadata
from simexit.store.types import Id, Json, UtcDateTime

# A code sent to a phone number. The number is kept only as a keyed hash: a request for a number that
# is no customer's leaves no readable trace.
otp_challenges = Table(
    "otp_challenges", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subject_hash", String(64), nullable=False),
    Column("purpose", String(24), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("consumed_at", UtcDateTime),
    Index("ix_otp_challenges_subject", "subject_hash", "purpose", "created_at"),
)

# Sliding counters for rate limits and lockouts, keyed by e.g. "otp-fail:<hash>".
auth_throttle = Table(
    "auth_throttle", metadata,
    Column("key", String(96), primary_key=True),
    Column("window_start", UtcDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("locked_until", UtcDateTime),
)

customer_sessions = Table(
    "customer_sessions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, index=True),
    Column("msisdn", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("second_factor_until", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

staff = Table(
    "staff", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("brands", Json, nullable=False),  # list of brand codes, or ["*"]
    Column("totp_secret", String(64)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
