"""Counters of rate limits, lockouts and backoffs (``auth_throttle``), each changed by one atomic statement.

Every change is an ``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING``: no lost update and no unique
violation when many requests count under one key at the same moment, on PostgreSQL as on SQLite. On
PostgreSQL the statement also locks the key's row until the transaction ends, so a request that counts (or
``hold``s) a key first does the rest of its transaction alone for that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, delete, literal, select, update

from simexit.store.locking import insert_for
from simexit.store.tables_auth import auth_throttle
from simexit.store.types import UtcDateTime

t = auth_throttle.c


@dataclass(frozen=True)
class Counter:
    count: int
    window_start: datetime
    locked_until: datetime | None


def _at(value: datetime):  # type: ignore[no-untyped-def]
    return literal(value, UtcDateTime())


def count(conn: Connection, key: str, *, now: datetime, window: timedelta, limit: int,
          lock_for: timedelta) -> Counter:
    """Count one event under ``key`` in a fixed window of ``window``; the event that makes the count pass
    ``limit`` locks the key until ``now + lock_for``. While locked nothing is counted. One statement."""
    locked = and_(t.locked_until.is_not(None), t.locked_until > _at(now))
    expired = t.window_start <= _at(now - window)
    new_count = case((expired, 1), else_=t.count + 1)
    first = insert_for(conn, auth_throttle).values(
        key=key, window_start=now, count=1, locked_until=now + lock_for if limit < 1 else None)
    stmt = first.on_conflict_do_update(index_elements=[t.key], set_={
        "count": case((locked, t.count), else_=new_count),
        "window_start": case((locked, t.window_start), (expired, _at(now)), else_=t.window_start),
        "locked_until": case((locked, t.locked_until), (new_count > limit, _at(now + lock_for)), else_=None),
    }).returning(t.count, t.window_start, t.locked_until)
    row = conn.execute(stmt).one()
    return Counter(row.count, row.window_start, row.locked_until)


def hold(conn: Connection, key: str, *, now: datetime) -> datetime | None:
    """The key's lock time (None if unlocked), after taking its row lock until the transaction ends (a row
    with count 0 is made if there is none). A caller that holds the key before it checks an answer and counts
    a wrong one afterwards is alone with the key in between: simultaneous answers are checked one by one."""
    stmt = insert_for(conn, auth_throttle).values(key=key, window_start=now, count=0, locked_until=None)
    stmt = stmt.on_conflict_do_update(index_elements=[t.key], set_={"count": t.count}).returning(t.locked_until)
    return conn.execute(stmt).scalar_one()


def lock_until(conn: Connection, key: str, until: datetime) -> None:
    conn.execute(update(auth_throttle).where(t.key == key).values(locked_until=until))


def give_back(conn: Connection, key: str) -> None:
    """Uncount one event (a try counted before it was checked, that turned out right)."""
    conn.execute(update(auth_throttle).where(t.key == key, t.count > 0).values(count=t.count - 1))


def locked_until(conn: Connection, key: str) -> datetime | None:
    return conn.execute(select(t.locked_until).where(t.key == key)).scalar()


def reset(conn: Connection, key: str) -> None:
    conn.execute(delete(auth_throttle).where(t.key == key))


def purge(conn: Connection, *, now: datetime, older_than: timedelta) -> int:
    """Drop counters whose window began before ``now - older_than`` and that are not locked."""
    return conn.execute(delete(auth_throttle).where(
        t.window_start < now - older_than,
        (t.locked_until.is_(None)) | (t.locked_until <= now))).rowcount
