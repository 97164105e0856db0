"""Counters of rate limits and lockouts (``auth_throttle``), one row per key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from simexit.store.tables_auth import auth_throttle

t = auth_throttle.c


def get(conn: Connection, key: str) -> RowMapping | None:
    return conn.execute(select(auth_throttle).where(t.key == key)).mappings().first()


def start(conn: Connection, key: str, now: datetime) -> None:
    conn.execute(insert(auth_throttle).values(key=key, window_start=now, count=1, locked_until=None))


def restart(conn: Connection, key: str, now: datetime) -> None:
    conn.execute(update(auth_throttle).where(t.key == key).values(window_start=now, count=1, locked_until=None))


def set_count(conn: Connection, key: str, count: int) -> None:
    conn.execute(update(auth_throttle).where(t.key == key).values(count=count))


def lock_until(conn: Connection, key: str, until: datetime) -> None:
    conn.execute(update(auth_throttle).where(t.key == key).values(locked_until=until))


def locked_until(conn: Connection, key: str) -> datetime | None:
    return conn.execute(select(t.locked_until).where(t.key == key)).scalar()


def reset(conn: Connection, key: str) -> None:
    conn.execute(delete(auth_throttle).where(t.key == key))
