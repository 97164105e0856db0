"""The schema, in SQLAlchemy Core. Migrations (``migrations/versions``) are generated from it."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from simexit.store.types import Id, Json, UtcDateTime

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

OPEN_STATUSES = ("submitted", "pending_review", "approved", "executing", "needs_attention")
_OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"

brands = Table(
    "brands", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("jurisdiction", String(8), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("card_kind", String(2), nullable=False),
    Column("policy_sha256", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

customers = Table(
    "customers", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("customer_ref", String(64), nullable=False),
    Column("name", String(200)),
    Column("id_type", String(24), nullable=False),
    # The ID number is never stored: a keyed hash (HMAC-SHA256) to verify it, and its last 4 characters.
    Column("id_hash", String(64)),
    Column("id_last4", String(4)),
    # HMAC of the last 6 characters: the second factor a customer types for sensitive steps.
    Column("id_tail_hash", String(64)),
    Column("email", String(254)),
    Column("contact_phone", String(20)),
    Column("locale", String(8), nullable=False, server_default="zh-CN"),
    Column("identity_verified", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("erased_at", UtcDateTime),
    UniqueConstraint("brand_id", "customer_ref"),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, index=True),
    Column("account_ref", String(64), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("closed_at", UtcDateTime),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)

balance_ledger = Table(
    "balance_ledger", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("amount_minor", Id, nullable=False),  # signed: + credit, - debit
    Column("currency", String(3), nullable=False),
    Column("kind", String(24), nullable=False),  # opening, topup, usage, fee, refund, adjustment
    Column("reference", String(120)),
)

lines = Table(
    "lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False, index=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("msisdn", String(16), nullable=False, unique=True),
    Column("iccid", String(20), nullable=False, unique=True),
    Column("imsi", String(15)),
    Column("kind", String(8), nullable=False),
    Column("payment", String(10), nullable=False),
    Column("plan", String(80), nullable=False),
    Column("number_keeping", Boolean, nullable=False, server_default=text("false")),
    Column("contract_start", Date),
    Column("contract_end", Date),
    Column("early_termination_fee_minor", Id, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False, server_default="active"),
    Column("last_sim_change_at", UtcDateTime),
    Column("port_out_pending", Boolean, nullable=False, server_default=text("false")),
    Column("activated_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    CheckConstraint("kind IN ('sim', 'esim', 'data')", name="kind"),
    CheckConstraint("payment IN ('prepaid', 'postpaid')", name="payment"),
    CheckConstraint("status IN ('active', 'suspended', 'closing', 'closed')", name="status"),
    CheckConstraint("early_termination_fee_minor >= 0", name="etf_non_negative"),
)

esim_profiles = Table(
    "esim_profiles", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    Column("iccid", String(20), nullable=False, unique=True),
    Column("eid", String(32)),
    Column("state", String(16), nullable=False),  # SM-DP+ state: Available … Installed, Released, Unavailable
    Column("updated_at", UtcDateTime, nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    Column("name", String(80), nullable=False),
    Column("imei", String(15)),
    Column("eid", String(32)),
    Column("bound_at", UtcDateTime, nullable=False),
    Column("unbound_at", UtcDateTime),
)

service_bindings = Table(
    "service_bindings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    Column("service", String(80), nullable=False),
    Column("since", Date),
    Column("unbound_at", UtcDateTime),
)

bills = Table(
    "bills", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("line_id", Id, ForeignKey("lines.id"), index=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("amount_minor", Id, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("paid_at", UtcDateTime),
    CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
)

usage_records = Table(
    "usage_records", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # call | sms | data
    Column("started_at", UtcDateTime, nullable=False),
    Column("direction", String(8)),  # in | out
    Column("counterpart", String(20)),
    Column("duration_s", Integer),
    Column("volume_bytes", Id),
    CheckConstraint("kind IN ('call', 'sms', 'data')", name="kind"),
    Index("ix_usage_records_line_started", "line_id", "started_at"),
)

numbers = Table(
    "numbers", metadata,
    Column("msisdn", String(16), primary_key=True),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("state", String(12), nullable=False),
    Column("quarantined_until", Date),
    Column("line_id", Id, ForeignKey("lines.id")),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("ported_in_from", String(64)),  # a number ported in from another operator: its range holder
    CheckConstraint("state IN ('assigned', 'quarantined', 'available')", name="state"),
)

applications = Table(
    "applications", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("application_no", String(16), nullable=False, unique=True),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("staff_ref", String(64)),
    Column("identity_method", String(32), nullable=False),
    Column("identity_evidence", Json, nullable=False),
    Column("reason_code", String(32)),
    Column("reason_text", Text),
    Column("consequences", Json, nullable=False),
    Column("refund_method", String(24)),
    Column("refund_destination", Json),
    Column("requested_effective_date", Date),
    Column("effective_date", Date, nullable=False),
    Column("quote", Json, nullable=False),
    Column("findings", Json, nullable=False),
    Column("needs_person", Boolean, nullable=False),
    Column("review_due_at", UtcDateTime, nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("decided_by", String(64)),
    Column("rejection_reasons", Json),
    Column("batch_id", String(40)),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "status IN ('submitted', 'pending_review', 'approved', 'executing', 'completed', 'rejected', "
        "'withdrawn', 'needs_attention')", name="status"),
    CheckConstraint("channel IN ('online', 'app', 'hotline', 'chat', 'store', 'mail')", name="channel"),
    # At most one open application per line, enforced by the database.
    Index("uq_applications_open_line", "line_id", unique=True,
          sqlite_where=text(_OPEN_SQL), postgresql_where=text(_OPEN_SQL)),
    Index("ix_applications_status_due", "status", "review_due_at"),
    Index("ix_applications_customer", "customer_id"),
)

application_events = Table(
    "application_events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("application_id", Id, ForeignKey("applications.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("actor_type", String(10), nullable=False),
    Column("actor_id", String(64)),
    Column("actor_role", String(24)),
    Column("channel", String(8)),
    Column("note", Text),
    Column("data", Json),
)

calendar_overrides = Table(
    "calendar_overrides", metadata,
    Column("jurisdiction", String(8), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("is_business_day", Boolean, nullable=False),
    Column("note", String(200)),
)

# Transactional outbox: a message is written in the same transaction as the state change that causes
# it; the worker sends it exactly once (idempotency_key is unique) and records the result.
outbox = Table(
    "outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),  # sms | email | webhook
    Column("recipient", String(320), nullable=False),  # E.164, e-mail address or URL
    Column("template", String(48), nullable=False),
    Column("locale", String(8), nullable=False, server_default="en"),
    Column("payload", Json, nullable=False),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("application_id", Id, ForeignKey("applications.id"), index=True),
    Column("state", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("locked_by", String(64)),
    Column("locked_until", UtcDateTime),
    CheckConstraint("kind IN ('sms', 'email', 'webhook')", name="kind"),
    CheckConstraint("state IN ('pending', 'sent', 'dead')", name="state"),
    Index("ix_outbox_due", "state", "due_at"),
)
