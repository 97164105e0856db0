"""Durable execution: the closing saga's steps and the timers the worker runs.

Work rows are claimed with a lease (``locked_by``/``locked_until``): a killed worker's rows become
claimable again when the lease ends, and a result is recorded only by the worker that still holds it.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from simexit.store.tables import metadata
from simexit.store.types import Id, Json, UtcDateTime

saga_steps = Table(
    "saga_steps", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("application_id", Id, ForeignKey("applications.id"), nullable=False, index=True),
    Column("step", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("state", String(10), nullable=False, server_default="pending"),  # pending | done | failed
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("due_at", UtcDateTime, nullable=False),
    Column("locked_by", String(64)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    Column("last_error_code", Text),  # the outside system's code in last_error (IntegrationError.code)
    Column("result", Json),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("done_by", String(64)),
    UniqueConstraint("application_id", "step"),
    CheckConstraint("state IN ('pending', 'done', 'failed')", name="state"),
    Index("ix_saga_steps_due", "state", "due_at"),
)

timers = Table(
    "timers", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # closure_due, erasure_due, quarantine_end
    Column("subject", String(64), nullable=False),  # application id or MSISDN
    Column("due_at", UtcDateTime, nullable=False),
    Column("state", String(10), nullable=False, server_default="pending"),  # pending | done | dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("data", Json),
    Column("locked_by", String(64)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),
    UniqueConstraint("kind", "subject"),
    CheckConstraint("state IN ('pending', 'done', 'dead')", name="state"),
    Index("ix_timers_due", "state", "due_at"),
)
