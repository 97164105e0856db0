"""Fixed-window counters for rate limits and lockouts, kept in the database (shared by every process)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from simexit.domain.errors import DomainError
from simexit.store.tables_auth import auth_throttle


class TooManyAttempts(DomainError):
    status = 429


def hit(conn: Connection, key: str, *, now: datetime, limit: int, window: timedelta, code: str,
        message: str, lock_for: timedelta | None = None) -> None:
    """Count one event under ``key``; refuse once ``limit`` events fell in the current window."""
    row = conn.execute(select(auth_throttle).where(auth_throttle.c.key == key)).mappings().first()
    if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
        raise TooManyAttempts(code, message, retry_after=int((row["locked_until"] - now).total_seconds()) + 1)
    if row is None or row["window_start"] + window <= now:
        if row is None:
            conn.execute(insert(auth_throttle).values(key=key, window_start=now, count=1, locked_until=None))
        else:
            conn.execute(update(auth_throttle).where(auth_throttle.c.key == key)
                         .values(window_start=now, count=1, locked_until=None))
        count = 1
    else:
        count = row["count"] + 1
        conn.execute(update(auth_throttle).where(auth_throttle.c.key == key).values(count=count))
    if count > limit:
        until = now + (lock_for or window)
        conn.execute(update(auth_throttle).where(auth_throttle.c.key == key).values(locked_until=until))
        raise TooManyAttempts(code, message, retry_after=int((until - now).total_seconds()))


def check(conn: Connection, key: str, *, now: datetime, code: str, message: str) -> None:
    """Refuse if ``key`` is locked, without counting."""
    until = conn.execute(select(auth_throttle.c.locked_until).where(auth_throttle.c.key == key)).scalar()
    if until is not None and until > now:
        raise TooManyAttempts(code, message, retry_after=int((until - now).total_seconds()) + 1)


def reset(conn: Connection, key: str) -> None:
    conn.execute(delete(auth_throttle).where(auth_throttle.c.key == key))
