"""Row locks and dialect switches, in one place (nothing else tests ``conn.dialect.name``).

- ``insert_for(conn, table)``: the dialect's INSERT, which has ``on_conflict_do_nothing`` and
  ``on_conflict_do_update`` with the same API on PostgreSQL and SQLite (an upsert is one atomic statement on
  both: PostgreSQL takes the row's lock and keeps it until the transaction ends, SQLite has one writer).
- ``SELECT … FOR UPDATE`` needs no switch: SQLAlchemy renders nothing for it on SQLite, where a write
  transaction (``BEGIN IMMEDIATE``, store/database.py) already holds the only write lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

_INSERTS: dict[str, Any] = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def insert_for(conn: Connection, table: Table) -> Any:
    """INSERT for ``conn``'s dialect, with ON CONFLICT support (PostgreSQL or SQLite)."""
    return _INSERTS[conn.dialect.name](table)


def dialect_of(conn: Connection) -> str:
    """For statements built once per dialect (a dict keyed by it)."""
    return conn.dialect.name
