"""Values kept in a connection's ``info`` for one transaction only (audit entries waiting for the commit, the
numbers of the applications a transaction touched)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event


def transaction_scoped(engine: Engine, key: str, *, on_commit: Callable[[Connection], Any] | None = None) -> None:
    """``conn.info[key]`` lasts one transaction of ``engine``: at commit ``on_commit`` runs first (still inside the
    transaction), then the key is dropped; a rollback, or the connection going back to the pool, drops it too."""

    def commit(conn: Connection) -> None:
        if on_commit is not None:
            on_commit(conn)
        conn.info.pop(key, None)

    def rollback(conn: Connection) -> None:
        conn.info.pop(key, None)

    def checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info.pop(key, None)

    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    event.listen(engine.pool, "checkin", checkin)
