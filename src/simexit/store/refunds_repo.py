"""Refunds ordered by the closing saga (one per application), read by the finance payout file and receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select, update

from simexit.store.locking import insert_ignoring_id
from simexit.store.tables_messaging import refunds

# Built once (store/built.py): the closing saga runs these for every closure.
_REFUND_ID = select(refunds.c.id).where(refunds.c.application_id == bindparam("application_id"))
_MARK_PAID = (update(refunds).where(refunds.c.application_no == bindparam("p_no"))
              .values(state="paid", payment_ref=bindparam("payment_ref"), paid_at=bindparam("paid_at")))


def refund_id_of(conn: Connection, application_id: int) -> int | None:
    return conn.execute(_REFUND_ID, {"application_id": application_id}).scalar()


def insert_refund(conn: Connection, values: dict[str, Any]) -> int | None:
    """The new refund's id; None when the application has one already (its unique key: the row is left as it is).
    One statement: a closure records its refund paid as it is made (issue 16: it was a read, an insert and an
    update)."""
    return conn.execute(insert_ignoring_id(conn, refunds, ("application_id",)), values).scalar()


def mark_paid(conn: Connection, application_no: str, payment_ref: str, now: datetime) -> int:
    return conn.execute(_MARK_PAID, {"p_no": application_no, "payment_ref": payment_ref, "paid_at": now}).rowcount


def refund_of(conn: Connection, application_id: int) -> RowMapping | None:
    return conn.execute(select(refunds).where(refunds.c.application_id == application_id)).mappings().first()


def recorded_between(conn: Connection, start: datetime, end: datetime) -> list[RowMapping]:
    """Refunds recorded in [start, end), in the order they were recorded."""
    return list(conn.execute(select(refunds).where(refunds.c.recorded_at >= start, refunds.c.recorded_at < end)
                             .order_by(refunds.c.recorded_at, refunds.c.id)).mappings())
