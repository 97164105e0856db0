"""Claiming due work with a lease, and recording its result only while the lease is still held.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so that many workers take disjoint rows. SQLite: the write
transaction (``BEGIN IMMEDIATE``) already serializes claims. A claimed row carries ``locked_by`` and
``locked_until``; when a worker dies its rows become due again at ``locked_until``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from simexit.store.tables_worker import saga_steps, timers


class LeaseLost(Exception):
    """Another worker holds this item now (ours expired): our result must not be recorded."""


def claim(conn: Connection, table: Table, *, worker_id: str, now: datetime, lease: timedelta, limit: int
          ) -> list[RowMapping]:
    q = (select(table.c.id)
         .where(table.c.state == "pending", table.c.due_at <= now,
                or_(table.c.locked_until.is_(None), table.c.locked_until < now))
         .order_by(table.c.due_at, table.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    ids = list(conn.execute(q).scalars())
    if not ids:
        return []
    conn.execute(update(table).where(table.c.id.in_(ids)).values(locked_by=worker_id, locked_until=now + lease))
    return list(conn.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id)).mappings())


def finish(conn: Connection, table: Table, item_id: int, worker_id: str, **values: Any) -> None:
    """Record a result for a claimed item; raises LeaseLost if we no longer hold it."""
    res = conn.execute(update(table)
                       .where(table.c.id == item_id, table.c.locked_by == worker_id, table.c.state == "pending")
                       .values(locked_by=None, locked_until=None, **values))
    if res.rowcount != 1:
        raise LeaseLost(f"{table.name} {item_id}")


# Built once per (dialect, table): an INSERT … ON CONFLICT DO NOTHING built per call was compiled per call (it
# cost more than the rest of an apply).
_INSERT_IGNORE = {(name, table.name): ins(table).on_conflict_do_nothing(index_elements=keys)
                  for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
                  for table, keys in ((saga_steps, ["idempotency_key"]), (timers, ["kind", "subject"]))}


def _insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_IGNORE[(conn.dialect.name, table.name)], rows)  # one executemany for many rows


def step_values(*, application_id: int, step: str, seq: int, key: str, due_at: datetime,
                now: datetime) -> dict[str, Any]:
    return dict(application_id=application_id, step=step, seq=seq, idempotency_key=key, state="pending",
                attempts=0, due_at=due_at, created_at=now)


def timer_values(*, kind: str, subject: str, due_at: datetime, now: datetime,
                 data: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(kind=kind, subject=subject, due_at=due_at, state="pending", attempts=0, data=data, created_at=now)


def add_step(conn: Connection, *, application_id: int, step: str, seq: int, key: str, due_at: datetime,
             now: datetime) -> None:
    add_steps(conn, [step_values(application_id=application_id, step=step, seq=seq, key=key, due_at=due_at,
                                 now=now)])


def add_steps(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Saga steps (``step_values``); one already there with the same idempotency key is left as it is."""
    _insert_ignore(conn, saga_steps, rows)


def add_timer(conn: Connection, *, kind: str, subject: str, due_at: datetime, now: datetime,
              data: dict[str, Any] | None = None) -> None:
    add_timers(conn, [timer_values(kind=kind, subject=subject, due_at=due_at, now=now, data=data)])


def add_timers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Timers (``timer_values``); one already there for the same kind and subject is left as it is."""
    _insert_ignore(conn, timers, rows)


def failed_step(conn: Connection, application_id: int) -> RowMapping | None:
    return conn.execute(select(saga_steps).where(saga_steps.c.application_id == application_id,
                                                 saga_steps.c.state == "failed")).mappings().first()


def steps_of(conn: Connection, application_id: int) -> list[RowMapping]:
    return list(conn.execute(select(saga_steps).where(saga_steps.c.application_id == application_id)
                             .order_by(saga_steps.c.seq)).mappings())


def reopen_step(conn: Connection, step_id: int, now: datetime) -> None:
    conn.execute(update(saga_steps).where(saga_steps.c.id == step_id)
                 .values(state="pending", attempts=0, due_at=now, locked_by=None, locked_until=None))
