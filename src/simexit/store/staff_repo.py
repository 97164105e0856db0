"""Staff accounts (``staff``): argon2id password hashes, optional TOTP secret, role and brands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from simexit.store.tables_auth import staff

_BY_NAME = select(staff).where(staff.c.username == bindparam("username"))  # built once


def by_username(conn: Connection, username: str) -> RowMapping | None:
    return conn.execute(_BY_NAME, {"username": username}).mappings().first()


def exists(conn: Connection, username: str) -> bool:
    return conn.execute(select(staff.c.id).where(staff.c.username == username)).first() is not None


def insert_staff(conn: Connection, values: dict[str, Any]) -> int:
    return conn.execute(insert(staff).values(**values).returning(staff.c.id)).scalar_one()


def record_sign_in(conn: Connection, staff_id: int) -> None:
    conn.execute(update(staff).where(staff.c.id == staff_id).values(failed_logins=0, locked_until=None))


def record_failed_sign_in(conn: Connection, staff_id: int) -> None:
    """For the record only (``failed_logins``); the backoff is kept per name in ``auth_throttle``."""
    conn.execute(update(staff).where(staff.c.id == staff_id).values(failed_logins=staff.c.failed_logins + 1))


def list_accounts(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(staff.c.username, staff.c.display_name, staff.c.role, staff.c.brands,
                                    staff.c.active, staff.c.totp_secret.is_not(None).label("totp"))
                             .order_by(staff.c.username)).mappings().all())


def deactivate(conn: Connection, username: str) -> bool:
    return conn.execute(update(staff).where(staff.c.username == username).values(active=False)).rowcount == 1



