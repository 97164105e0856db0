"""Row locks and the switches between SQLite and PostgreSQL, in one place (nothing else tests the dialect).

SQLite has one write lock per database file, taken at ``BEGIN IMMEDIATE`` (``db.write()``): a row lock adds
nothing there. PostgreSQL locks rows with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Connection, Select

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def for_update(conn: Connection, stmt: S) -> S:
    """``stmt`` locking the rows it reads until the transaction ends (PostgreSQL; SQLite: the write lock)."""
    return stmt.with_for_update() if is_postgresql(conn) else stmt
