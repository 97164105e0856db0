"""Stored answers of Idempotency-Key requests (``api_idempotency``), keyed by (principal, key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, select, update

from simexit.store.locking import dialect_of, insert_for
from simexit.store.tables_api import api_idempotency

a = api_idempotency.c
_KEY = (a.principal == bindparam("b_principal")) & (a.idem_key == bindparam("b_key"))
_FIND = select(api_idempotency).where(_KEY)
_FIND_FOR_UPDATE = _FIND.with_for_update()  # FOR UPDATE renders nothing on SQLite (one writer)
_INSERT_IGNORE: dict[str, Any] = {}  # per dialect, built once


def find(conn: Connection, principal: str, key: str, *, for_update: bool = False) -> RowMapping | None:
    return conn.execute(_FIND_FOR_UPDATE if for_update else _FIND,
                        {"b_principal": principal, "b_key": key}).mappings().first()


def delete_row(conn: Connection, row_id: int) -> None:
    conn.execute(delete(api_idempotency).where(a.id == row_id))


def insert_if_absent(conn: Connection, values: dict[str, Any]) -> None:
    """Insert the row unless (principal, key) exists; a simultaneous inserter waits for ours (unique key)."""
    name = dialect_of(conn)
    stmt = _INSERT_IGNORE.get(name)
    if stmt is None:
        stmt = _INSERT_IGNORE[name] = insert_for(conn, api_idempotency).on_conflict_do_nothing(
            index_elements=["principal", "idem_key"])
    conn.execute(stmt, values)


def store_answer(conn: Connection, principal: str, key: str, digest: str, *, status: int,
                 response: dict[str, Any], now: datetime, expires_at: datetime) -> None:
    conn.execute(update(api_idempotency).where(_KEY, a.request_hash == digest)
                 .values(status_code=status, response=response, created_at=now, expires_at=expires_at),
                 {"b_principal": principal, "b_key": key})


def delete_reservation(conn: Connection, principal: str, key: str, *, in_progress: int) -> None:
    conn.execute(delete(api_idempotency).where(_KEY, a.status_code == in_progress),
                 {"b_principal": principal, "b_key": key})


def purge_expired(conn: Connection, now: datetime) -> int:
    return conn.execute(delete(api_idempotency).where(a.expires_at <= now)).rowcount
