"""Tables of numbers after their closure: who held a number when (one row per disconnected holding, the record
the RND query, the RND report and the CAMARA Number Recycling check read), and the FCC RND reports made."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from simexit.store.tables import metadata
from simexit.store.types import Id, UtcDateTime

# A holding of a number that ended here: from its first day to its one permanent-disconnect date
# (domain/number_afterlife.py). Open holdings are the lines still active. Never removed (the RND keeps them).
number_holdings = Table(
    "number_holdings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("msisdn", String(16), nullable=False),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("line_id", Id, ForeignKey("lines.id"), unique=True),
    Column("held_from", Date),  # brand-local day of activation (None: not known)
    Column("disconnected_on", Date, nullable=False),
    Column("reason", String(12), nullable=False),  # closure | port_out
    Column("ported_in_from", String(64)),  # the range holder of a ported-in number
    Column("state", String(12), nullable=False),  # quarantined | available | returning | returned
    Column("quarantine_until", Date),  # None: never reissued (quarantine_days = -1)
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("reason IN ('closure', 'port_out')", name="reason"),
    CheckConstraint("state IN ('quarantined', 'available', 'returning', 'returned')", name="state"),
    Index("ix_number_holdings_msisdn", "msisdn", "disconnected_on"),
    Index("ix_number_holdings_disconnected_on", "disconnected_on"),
)

# Each FCC RND monthly report file made (by the timer or `simexit rnd report`); its rows stay reported.
rnd_reports = Table(
    "rnd_reports", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("period_first", Date, nullable=False),
    Column("period_last", Date, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("made_at", UtcDateTime, nullable=False),
    Column("made_by", String(32), nullable=False),
    Index("ix_rnd_reports_period", "period_first", "period_last"),
)
