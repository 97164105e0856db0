"""Writing many rows at once: the bulk closure's chunks and a transaction's audit entries.

Each column's own SQLAlchemy bind processing is applied once per value (the same stored values as
``conn.execute(insert(table), rows)``, without SQLAlchemy's per-row parameter bookkeeping, which cost more than
the insert itself). SQLite: the driver's ``executemany``. PostgreSQL: ``COPY … FROM STDIN`` on the same
connection and transaction. psycopg's ``executemany`` sends one INSERT per row (pipelined), and the server's
per-statement work made bulk intake on PostgreSQL 3× slower than on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Date, Table

from simexit.store.locking import is_postgresql
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
    params = _params(rows, [c.key for c in cols], procs)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in cols)
    if is_postgresql(conn) and len(rows) >= COPY_FROM:
        dbapi = conn.connection.dbapi_connection
        with dbapi.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for p in params:
                copy.write_row(p)
        return
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(cols))})",
                         params)


def _params(rows: list[dict[str, Any]], keys: list[str], procs: list[Callable[[Any], Any] | None]) -> list[Any]:
    """Each row's values in column order, converted by the columns that have a bind processor (an itemgetter
    and a loop over those columns only: a generator over every value was the largest cost of a bulk chunk)."""
    get = itemgetter(*keys)
    convert = [(i, p) for i, p in enumerate(procs) if p is not None]
    if len(keys) == 1:
        return [(_one(get(r), convert),) for r in rows]
    if not convert:
        return [get(r) for r in rows]
    out = []
    for r in rows:
        values = list(get(r))
        for i, p in convert:
            values[i] = p(values[i])
        out.append(tuple(values))
    return out


def _one(value: Any, convert: list[tuple[int, Callable[[Any], Any]]]) -> Any:
    return convert[0][1](value) if convert else value


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
