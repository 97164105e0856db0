"""Writing many rows at once: the bulk closure's chunks and a transaction's audit entries.

Each column's own SQLAlchemy bind processing is applied once per value (the same stored values as
``conn.execute(insert(table), rows)``, without SQLAlchemy's per-row parameter bookkeeping, which cost more than
the insert itself). SQLite: the driver's ``executemany``. PostgreSQL: ``COPY … FROM STDIN`` on the same
connection and transaction. psycopg's ``executemany`` sends one INSERT per row (pipelined), and the server's
per-statement work made bulk intake on PostgreSQL 3× slower than on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Date, Table

from simexit.store.types import UtcDateTime

COPY_FROM = 20  # fewer rows: a plain executemany (no COPY set-up)


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the caller's transaction."""
    if not rows:
        return
    dialect = conn.dialect
    cols = [table.c[k] for k in rows[0]]
    procs = [_remembering(c.type._cached_bind_processor(dialect)) if isinstance(c.type, UtcDateTime | Date)
             else c.type._cached_bind_processor(dialect) for c in cols]
    keys = [c.key for c in cols]
    params = [tuple(p(r[k]) if p is not None else r[k] for k, p in zip(keys, procs, strict=True)) for r in rows]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in cols)
    if dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        dbapi = conn.connection.dbapi_connection
        with dbapi.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for p in params:
                copy.write_row(p)
        return
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(cols))})",
                         params)


def _remembering(proc: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """A bind processor that converts each distinct value once (a chunk's timestamps are mostly one ``now``)."""
    if proc is None:
        return None
    seen: dict[Any, Any] = {}

    def convert(v: Any) -> Any:
        if v not in seen:
            seen[v] = proc(v)
        return seen[v]

    return convert
