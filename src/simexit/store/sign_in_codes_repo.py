"""One-time sign-in codes (``otp_challenges``): issued, tried, consumed. The number is kept as a keyed hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from simexit.store.tables_auth import otp_challenges

c = otp_challenges.c


def issue(conn: Connection, *, subject_hash: str, purpose: str, code_hash: str, now: datetime,
          expires_at: datetime) -> int:
    return conn.execute(insert(otp_challenges).values(
        subject_hash=subject_hash, purpose=purpose, code_hash=code_hash, created_at=now, expires_at=expires_at,
        attempts=0).returning(c.id)).scalar_one()


def latest_live(conn: Connection, subject_hash: str, purpose: str, now: datetime) -> RowMapping | None:
    """The newest code of the number that is neither used nor expired (older ones no longer count)."""
    return conn.execute(
        select(otp_challenges).where(c.subject_hash == subject_hash, c.purpose == purpose,
                                     c.consumed_at.is_(None), c.expires_at > now)
        .order_by(c.id.desc()).limit(1)).mappings().first()


def take_try(conn: Connection, challenge_id: int, *, max_tries: int) -> int | None:
    """Count one try of the code before it is checked, in one statement: the number of this try, or None when
    the code has had its ``max_tries`` (or was used meanwhile). On PostgreSQL the row stays locked until the
    transaction ends, so simultaneous tries of one code are checked one after the other."""
    return conn.execute(
        update(otp_challenges).where(c.id == challenge_id, c.consumed_at.is_(None), c.attempts < max_tries)
        .values(attempts=c.attempts + 1).returning(c.attempts)).scalar()


def consume(conn: Connection, challenge_id: int, now: datetime) -> None:
    conn.execute(update(otp_challenges).where(c.id == challenge_id).values(consumed_at=now))


def row(conn: Connection, challenge_id: int) -> dict[str, Any] | None:
    r = conn.execute(select(otp_challenges).where(c.id == challenge_id)).mappings().first()
    return dict(r) if r else None
