"""STAND-IN for the worker's closing saga, for tests and demos of erasure: marks a line closed directly.

The real closing (network, eSIM, refund, number quarantine) is the worker's closing saga; this only sets
what erasure reads: the line's status ``closed`` and ``closed_at``, and the account closed once all its
lines are. Never call it from production code paths.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from simexit.domain.errors import NotFound
from simexit.store.tables import accounts, lines


def mark_line_closed_stand_in(conn: Connection, msisdn: str, closed_at: datetime) -> int:
    row = conn.execute(select(lines.c.id, lines.c.account_id).where(lines.c.msisdn == msisdn)).first()
    if row is None:
        raise NotFound("LINE_NOT_FOUND", "no line with that number")
    conn.execute(update(lines).where(lines.c.id == row.id).values(status="closed", closed_at=closed_at))
    still_open = conn.execute(select(func.count()).select_from(lines).where(
        lines.c.account_id == row.account_id, lines.c.status != "closed")).scalar_one()
    if not still_open:
        conn.execute(update(accounts).where(accounts.c.id == row.account_id).values(status="closed",
                                                                                    closed_at=closed_at))
    return row.id
