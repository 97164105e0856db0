"""Bulk closure: one batch per input file, one item per row of it (what was done, so a rerun does nothing twice)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from simexit.store.tables import applications, metadata
from simexit.store.types import Id, Json, UtcDateTime

BATCH_STATES = ("running", "done")
ITEM_OUTCOMES = ("applied", "already_open", "blocked", "refused", "invalid")

bulk_batches = Table(
    "bulk_batches", metadata,
    Column("id", String(40), primary_key=True),  # B-<first 20 hex of the file's SHA-256>
    Column("file_sha256", String(64), nullable=False, unique=True),
    Column("file_name", String(255), nullable=False),
    Column("file_format", String(8), nullable=False),  # csv | jsonl
    Column("options", Json, nullable=False),  # channel, staff, identity method, confirmations, refund
    Column("state", String(10), nullable=False),
    Column("total_rows", Integer, nullable=False),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Column("last_row", Integer, nullable=False, server_default="0"),  # physical row number last committed
    Column("counts", Json, nullable=False),  # outcome -> rows
    Column("created_by", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    CheckConstraint("state IN ('running', 'done')", name="state"),
)

bulk_items = Table(
    "bulk_items", metadata,
    Column("batch_id", String(40), ForeignKey("bulk_batches.id"), primary_key=True),
    Column("row_no", Integer, primary_key=True),
    Column("line_ref", String(40)),  # the MSISDN or ICCID as written in the file
    Column("line_id", Id),
    Column("outcome", String(14), nullable=False),
    Column("application_id", Id),
    Column("application_no", String(16)),
    Column("status", String(16)),  # the application's status when the row was processed
    Column("codes", String(200)),  # blocking or refusal codes, ';'-separated
    Column("message", Text),
    CheckConstraint("outcome IN ('applied', 'already_open', 'blocked', 'refused', 'invalid')", name="outcome"),
)

# The open-application lookup (line_id = ? AND status IN (...)) cannot use the partial unique index when the
# statuses are bound parameters (SQLite cannot prove the implication): without this index it scanned the table.
ix_applications_line = Index("ix_applications_line", applications.c.line_id)
ix_applications_batch = Index("ix_applications_batch", applications.c.batch_id, applications.c.status)
