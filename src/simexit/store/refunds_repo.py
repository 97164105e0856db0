"""Refunds ordered by the closing saga (one per application), read by the finance payout file and receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from simexit.store.tables_messaging import refunds


def refund_id_of(conn: Connection, application_id: int) -> int | None:
    return conn.execute(select(refunds.c.id).where(refunds.c.application_id == application_id)).scalar()


def insert_refund(conn: Connection, values: dict[str, Any]) -> int:
    return conn.execute(refunds.insert().values(**values).returning(refunds.c.id)).scalar_one()


def mark_paid(conn: Connection, application_no: str, payment_ref: str, now: datetime) -> int:
    return conn.execute(update(refunds).where(refunds.c.application_no == application_no)
                        .values(state="paid", payment_ref=payment_ref, paid_at=now)).rowcount


def refund_of(conn: Connection, application_id: int) -> RowMapping | None:
    return conn.execute(select(refunds).where(refunds.c.application_id == application_id)).mappings().first()


def recorded_between(conn: Connection, start: datetime, end: datetime) -> list[RowMapping]:
    """Refunds recorded in [start, end), in the order they were recorded."""
    return list(conn.execute(select(refunds).where(refunds.c.recorded_at >= start, refunds.c.recorded_at < end)
                             .order_by(refunds.c.recorded_at, refunds.c.id)).mappings())
