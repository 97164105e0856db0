"""SQL of the reports (services/reports.py): grouped counts and row streams over a window of submission times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from simexit.store.tables import applications, brands
from simexit.store.tables_audit import erasures


def applications_by_outcome(conn: Connection, lo: datetime, hi: datetime) -> list[Any]:
    """(code, channel, reason_code, status, n) of applications submitted in [lo, hi)."""
    q = (select(brands.c.code, applications.c.channel, applications.c.reason_code, applications.c.status,
                func.count().label("n"))
         .join(brands, brands.c.id == applications.c.brand_id)
         .where(applications.c.submitted_at >= lo, applications.c.submitted_at < hi)
         .group_by(brands.c.code, applications.c.channel, applications.c.reason_code, applications.c.status)
         .order_by(brands.c.code, applications.c.channel, applications.c.reason_code, applications.c.status))
    return list(conn.execute(q))


def review_times(conn: Connection, lo: datetime, hi: datetime) -> Iterator[Any]:
    """(code, status, decided_at, review_due_at) of applications submitted in [lo, hi), streamed."""
    q = (select(brands.c.code, applications.c.status, applications.c.decided_at, applications.c.review_due_at)
         .join(brands, brands.c.id == applications.c.brand_id)
         .where(applications.c.submitted_at >= lo, applications.c.submitted_at < hi))
    yield from conn.execute(q.execution_options(yield_per=2000))


def quotes(conn: Connection, lo: datetime, hi: datetime, statuses: tuple[str, ...]) -> Iterator[Any]:
    """(code, status, quote) of applications submitted in [lo, hi) in ``statuses``, streamed."""
    q = (select(brands.c.code, applications.c.status, applications.c.quote)
         .join(brands, brands.c.id == applications.c.brand_id)
         .where(applications.c.submitted_at >= lo, applications.c.submitted_at < hi,
                applications.c.status.in_(statuses)))
    yield from conn.execute(q.execution_options(yield_per=2000))


def erasures_done(conn: Connection, lo: datetime, hi: datetime) -> list[Any]:
    """(at, code, record_set, subject_type, subject_id, count) of the erasure record in [lo, hi)."""
    q = (select(erasures.c.at, brands.c.code, erasures.c.record_set, erasures.c.subject_type, erasures.c.subject_id,
                erasures.c.count).join(brands, brands.c.id == erasures.c.brand_id)
         .where(erasures.c.at >= lo, erasures.c.at < hi))
    return list(conn.execute(q))
