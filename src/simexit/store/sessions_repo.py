"""Customer and staff sessions. Only a SHA-256 of the token is stored; the token is shown once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from simexit.store.tables_auth import customer_sessions, staff, staff_sessions

# Built once: every signed-in request looks its session up.
_CUSTOMER = select(customer_sessions).where(customer_sessions.c.token_hash == bindparam("token_hash"))
_STAFF = (select(staff, staff_sessions.c.id.label("session_id"), staff_sessions.c.expires_at.label("s_expires"),
                 staff_sessions.c.revoked_at)
          .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
          .where(staff_sessions.c.token_hash == bindparam("token_hash")))


def open_customer_session(conn: Connection, *, token_hash: str, customer_id: int, msisdn: str, now: datetime,
                          expires_at: datetime) -> int:
    return conn.execute(insert(customer_sessions).values(
        token_hash=token_hash, customer_id=customer_id, msisdn=msisdn, created_at=now, expires_at=expires_at,
    ).returning(customer_sessions.c.id)).scalar_one()


def customer_session(conn: Connection, token_hash: str) -> RowMapping | None:
    return conn.execute(_CUSTOMER, {"token_hash": token_hash}).mappings().first()


def confirm_second_factor(conn: Connection, session_id: int, until: datetime) -> None:
    conn.execute(update(customer_sessions).where(customer_sessions.c.id == session_id)
                 .values(second_factor_until=until))


def revoke_customer_session(conn: Connection, session_id: int, now: datetime) -> None:
    conn.execute(update(customer_sessions).where(customer_sessions.c.id == session_id).values(revoked_at=now))


def open_staff_session(conn: Connection, *, token_hash: str, staff_id: int, now: datetime,
                       expires_at: datetime) -> int:
    return conn.execute(insert(staff_sessions).values(
        token_hash=token_hash, staff_id=staff_id, created_at=now, expires_at=expires_at,
    ).returning(staff_sessions.c.id)).scalar_one()


def staff_session(conn: Connection, token_hash: str) -> RowMapping | None:
    """The staff account joined with the session (``session_id``, ``s_expires``, ``revoked_at``)."""
    return conn.execute(_STAFF, {"token_hash": token_hash}).mappings().first()


def revoke_staff_session(conn: Connection, session_id: int, now: datetime) -> None:
    conn.execute(update(staff_sessions).where(staff_sessions.c.id == session_id).values(revoked_at=now))


def revoke_staff_session_by_token(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(staff_sessions).where(staff_sessions.c.token_hash == token_hash).values(revoked_at=now))
