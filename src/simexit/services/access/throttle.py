"""Rate limits, lockouts and backoffs, counted in the database (shared by every process).

Each count is one atomic statement (store/throttle_repo.py), so simultaneous requests neither lose a count
nor fail on the counter's row. To check at most N answers, even when they arrive at the same moment, a use
case takes the key before it checks (``check`` or ``take``) and counts a wrong answer in the same
transaction: on PostgreSQL the key's row stays locked in between, so answers under one key are checked one
after the other; SQLite has a single writer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simexit.domain.errors import DomainError
from simexit.store import throttle_repo

if TYPE_CHECKING:
    from sqlalchemy import Connection


class TooManyAttempts(DomainError):
    status = 429


def _refuse(code: str, message: str, until: datetime, now: datetime) -> TooManyAttempts:
    return TooManyAttempts(code, message, retry_after=max(1, math.ceil((until - now).total_seconds())))


def hit(conn: Connection, key: str, *, now: datetime, limit: int, window: timedelta, code: str,
        message: str, lock_for: timedelta | None = None) -> None:
    """Count one event under ``key``; refuse once more than ``limit`` fell in the current window (and then
    for ``lock_for``, or the window). A refusal raised out of the transaction rolls the count back, which
    still refuses the next event: the stored count stays at the limit."""
    c = throttle_repo.count(conn, key, now=now, window=window, limit=limit, lock_for=lock_for or window)
    if c.locked_until is not None and c.locked_until > now:
        raise _refuse(code, message, c.locked_until, now)


def take(conn: Connection, key: str, *, now: datetime, limit: int, window: timedelta, code: str,
         message: str, lock_for: timedelta | None = None) -> None:
    """``hit`` for a try that is counted before it is checked: ``give_back`` it when the answer was right,
    so that only wrong answers add up. The key stays locked (PostgreSQL) until the transaction ends."""
    hit(conn, key, now=now, limit=limit, window=window, code=code, message=message, lock_for=lock_for)


def give_back(conn: Connection, key: str) -> None:
    throttle_repo.give_back(conn, key)


def check(conn: Connection, key: str, *, now: datetime, code: str, message: str) -> None:
    """Refuse if ``key`` is locked, without counting. Takes the key's row lock until the transaction ends, so
    a ``check`` → verify → ``hit`` sequence runs one request at a time per key."""
    until = throttle_repo.hold(conn, key, now=now)
    if until is not None and until > now:
        raise _refuse(code, message, until, now)


def refused(conn: Connection, key: str, *, now: datetime, code: str, message: str) -> None:
    """``check`` without the row lock, for keys that every request shares (an overall limit): they would
    queue on it. Simultaneous requests may then pass a limit by as many as are in flight."""
    until = throttle_repo.locked_until(conn, key)
    if until is not None and until > now:
        raise _refuse(code, message, until, now)


def reset(conn: Connection, key: str) -> None:
    throttle_repo.reset(conn, key)


@dataclass(frozen=True)
class Backoff:
    """After ``free`` failures within ``window``, each further failure makes the key wait ``first``, then
    twice as long, up to ``cap``. It slows a guesser down without locking anyone out for long."""

    free: int
    first: timedelta
    cap: timedelta
    window: timedelta

    def wait_after(self, failures: int) -> timedelta | None:
        if failures <= self.free:
            return None
        doubling = min(failures - self.free - 1, 30)
        return min(self.cap, self.first * (2 ** doubling))


def failed(conn: Connection, key: str, backoff: Backoff, *, now: datetime) -> None:
    """Count a failure under ``key`` and start its wait, if any (checked by ``check``)."""
    c = throttle_repo.count(conn, key, now=now, window=backoff.window, limit=2**31 - 1, lock_for=backoff.window)
    wait = backoff.wait_after(c.count)
    if wait is not None:
        throttle_repo.lock_until(conn, key, now + wait)
