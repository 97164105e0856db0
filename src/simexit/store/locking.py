"""Row locks and the other places where PostgreSQL and SQLite differ, in one module (nothing else tests
``conn.dialect.name``).

- ``insert_for(conn, table)``: the dialect's INSERT, which has ``on_conflict_do_nothing`` and
  ``on_conflict_do_update`` with the same API on PostgreSQL and SQLite (an upsert is one atomic statement on
  both: PostgreSQL takes the row's lock and keeps it until the transaction ends, SQLite has one writer).
- ``insert_ignoring``: ``INSERT … ON CONFLICT DO NOTHING`` per dialect, built once per (dialect, table, keys)
  (a statement built per call was compiled per call: it cost more than the rest of an apply);
  ``insert_ignoring_id`` the same with ``RETURNING id`` (None: the row was there).
- ``skip_locked``: PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` so that many workers take disjoint rows;
  SQLite has one writer (``BEGIN IMMEDIATE``), which already serializes the claims.
- ``for_update``: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite a write transaction (``BEGIN IMMEDIATE``,
  store/database.py) already holds the only write lock, so a row lock adds nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from simexit.store.built import once

_INSERTS: dict[str, Any] = {"postgresql": pg_insert, "sqlite": sqlite_insert}
S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


def insert_for(conn: Connection, table: Table) -> Any:
    """INSERT for ``conn``'s dialect, with ON CONFLICT support (PostgreSQL or SQLite)."""
    return _INSERTS[conn.dialect.name](table)


def dialect_of(conn: Connection) -> str:
    """For statements built once per dialect (a dict keyed by it)."""
    return conn.dialect.name


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def skip_locked(conn: Connection, query: Select[Any], *, of: Any = None) -> Select[Any]:
    """``query`` locking the rows it returns and skipping rows another transaction holds (PostgreSQL)."""
    if is_postgresql(conn):
        return query.with_for_update(skip_locked=True, of=of) if of is not None else \
            query.with_for_update(skip_locked=True)
    return query


def insert_ignoring(conn: Connection, table: Table, index_elements: tuple[str, ...]) -> Any:
    """``INSERT INTO table … ON CONFLICT (index_elements) DO NOTHING`` for the connection's dialect."""
    dialect = conn.dialect.name
    return once(("insert_ignoring", dialect, table.name, index_elements), lambda: _INSERTS[dialect](table)
                .on_conflict_do_nothing(index_elements=list(index_elements)))


def insert_ignoring_id(conn: Connection, table: Table, index_elements: tuple[str, ...]) -> Any:
    """``insert_ignoring`` with ``RETURNING id``, built once: run with one row's values, ``.scalar()`` is the new
    id, or None when the row was there (the rowcount cannot tell: on PostgreSQL SQLAlchemy adds a RETURNING of its
    own, and the rowcount is then -1)."""
    return once(("insert_ignoring_id", conn.dialect.name, table.name, index_elements),
                lambda: insert_ignoring(conn, table, index_elements).returning(table.c.id))


def for_update(conn: Connection, stmt: S, *, of: Any = None) -> S:
    """``stmt`` locking the rows it reads (of ``of`` only, when given) until the transaction ends (PostgreSQL;
    SQLite: the write transaction already holds the only write lock)."""
    if not is_postgresql(conn):
        return stmt
    return stmt.with_for_update(of=of) if of is not None else stmt.with_for_update()


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any], index_elements: list[str]) -> Any:
    """INSERT … ON CONFLICT (index_elements) DO NOTHING RETURNING id: the new id, or None for a duplicate."""
    return conn.execute(insert_for(conn, table).values(**values).on_conflict_do_nothing(
        index_elements=index_elements).returning(table.c.id)).scalar()
