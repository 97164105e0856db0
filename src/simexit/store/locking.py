"""Row locks and dialect switches, in one place: nothing else tests ``conn.dialect.name``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any], index_elements: list[str]) -> Any:
    """INSERT … ON CONFLICT (index_elements) DO NOTHING RETURNING id: the new id, or None for a duplicate."""
    ins = pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)
    return conn.execute(ins.values(**values).on_conflict_do_nothing(index_elements=index_elements)
                        .returning(table.c.id)).scalar()
