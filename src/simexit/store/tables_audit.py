"""Tables of issue #6: data exports, the erasure record and the hash-chained audit log.

None of these tables holds personal data: subjects are internal ids or application numbers.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from simexit.store.tables import metadata, usage_records
from simexit.store.types import Id, Json, UtcDateTime

EXPORT_STATES = ("requested", "building", "ready", "failed", "expired")

exports = Table(
    "exports", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, index=True),
    Column("requested_by", String(64), nullable=False),  # customer:<id> or a staff user name
    Column("requested_at", UtcDateTime, nullable=False),
    Column("state", String(10), nullable=False, server_default="requested"),
    Column("file_path", Text),  # named by export id and a random part, never by the person
    Column("size_bytes", Id),
    Column("sha256", String(64)),
    Column("counts", Json),  # rows per file
    Column("built_at", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("download_token", String(160)),  # <id>.<expiry unix>.<HMAC-SHA256 under the secret key>
    Column("error", Text),
    CheckConstraint("state IN ('requested', 'building', 'ready', 'failed', 'expired')", name="state"),
)

# One row per (subject, record set, table): what was erased, when, and under which rule.
erasures = Table(
    "erasures", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("subject_type", String(10), nullable=False),  # customer | line
    Column("subject_id", Id, nullable=False),
    Column("record_set", String(16), nullable=False),  # line_data, personal, real_name, billing, consent, application
    Column("rule", String(200), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("table_name", String(40), nullable=False),
    Column("action", String(8), nullable=False),  # deleted | masked
    Column("count", Integer, nullable=False),
    CheckConstraint("subject_type IN ('customer', 'line')", name="subject_type"),
    CheckConstraint("action IN ('deleted', 'masked')", name="action"),
    UniqueConstraint("subject_type", "subject_id", "record_set", "table_name"),
    Index("ix_erasures_at", "at"),
)

# Append-only, hash-chained audit log. ``seq`` counts 1, 2, 3 … without gaps; ``hash`` is SHA-256 over a
# canonical serialisation of the entry including ``prev_hash`` (see simexit.domain.audit_chain).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("seq", Id, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("role", String(24), nullable=False),
    Column("action", String(48), nullable=False),
    Column("subject_type", String(16), nullable=False),
    Column("subject_ref", String(40), nullable=False),
    Column("data", Json, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_seq", "seq"),
    Index("ix_audit_log_subject", "subject_type", "subject_ref"),
)

# The chain's head: one row, locked by every append (so appends are serialised and the chain never forks)
# and compared by ``audit verify`` with the last entry (so removing the newest entries is noticed too).
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Id, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# Exports and erasure walk a line's usage records by (line_id, id) in keyset-paginated chunks.
Index("ix_usage_records_line_id_id", usage_records.c.line_id, usage_records.c.id)
