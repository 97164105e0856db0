"""Fixed-window counters for rate limits and lockouts, kept in the database (shared by every process)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simexit.domain.errors import DomainError
from simexit.store import throttle_repo

if TYPE_CHECKING:
    from sqlalchemy import Connection


class TooManyAttempts(DomainError):
    status = 429


def hit(conn: Connection, key: str, *, now: datetime, limit: int, window: timedelta, code: str,
        message: str, lock_for: timedelta | None = None) -> None:
    """Count one event under ``key``; refuse once ``limit`` events fell in the current window."""
    row = throttle_repo.get(conn, key)
    if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
        raise TooManyAttempts(code, message, retry_after=int((row["locked_until"] - now).total_seconds()) + 1)
    if row is None or row["window_start"] + window <= now:
        if row is None:
            throttle_repo.start(conn, key, now)
        else:
            throttle_repo.restart(conn, key, now)
        count = 1
    else:
        count = row["count"] + 1
        throttle_repo.set_count(conn, key, count)
    if count > limit:
        until = now + (lock_for or window)
        throttle_repo.lock_until(conn, key, until)
        raise TooManyAttempts(code, message, retry_after=int((until - now).total_seconds()))


def check(conn: Connection, key: str, *, now: datetime, code: str, message: str) -> None:
    """Refuse if ``key`` is locked, without counting."""
    until = throttle_repo.locked_until(conn, key)
    if until is not None and until > now:
        raise TooManyAttempts(code, message, retry_after=int((until - now).total_seconds()) + 1)


def reset(conn: Connection, key: str) -> None:
    throttle_repo.reset(conn, key)
