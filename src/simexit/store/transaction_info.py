"""Values kept in a connection's ``info`` for one transaction only (audit entries waiting for the commit, the
numbers of the applications a transaction touched, a wake-up to send). A savepoint rolled back takes back what
was added inside it, as it takes back the rows."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event


def transaction_scoped(engine: Engine, key: str, *, on_commit: Callable[[Connection], Any] | None = None) -> None:
    """``conn.info[key]`` lasts one transaction of ``engine``: at commit ``on_commit`` runs first (still inside the
    transaction), then the key is dropped; a rollback, or the connection going back to the pool, drops it too."""
    # Savepoints nest (last in, first out): a stack of copies, one per open savepoint. (The ``savepoint`` event is
    # given no name yet in SQLAlchemy 2, so the copies cannot be keyed by name.)
    stack = (key, "savepoints")

    def drop(info: dict[Any, Any]) -> None:
        info.pop(key, None)
        info.pop(stack, None)

    def commit(conn: Connection) -> None:
        if on_commit is not None:
            on_commit(conn)
        drop(conn.info)

    def rollback(conn: Connection) -> None:
        drop(conn.info)

    def checkin(_dbapi_conn: Any, record: Any) -> None:
        drop(record.info)

    def savepoint(conn: Connection, _name: str | None) -> None:
        # a shallow copy: the values are lists, dicts or flags that statements add to, never change in place
        conn.info.setdefault(stack, []).append(copy.copy(conn.info.get(key)))

    def rollback_savepoint(conn: Connection, _name: str, _context: Any) -> None:
        copies = conn.info.get(stack)
        if not copies:
            return
        before = copies.pop()
        if before is None:
            conn.info.pop(key, None)
        else:
            conn.info[key] = before

    def release_savepoint(conn: Connection, _name: str, _context: Any) -> None:
        copies = conn.info.get(stack)
        if copies:
            copies.pop()

    event.listen(engine, "savepoint", savepoint)
    event.listen(engine, "rollback_savepoint", rollback_savepoint)
    event.listen(engine, "release_savepoint", release_savepoint)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    event.listen(engine.pool, "checkin", checkin)
