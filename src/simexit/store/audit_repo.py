"""SQL of the audit log: the append (chained at commit) and the ordered read used by verification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from simexit.domain.audit_chain import GENESIS, entry_mac
from simexit.store.locking import is_postgresql
from simexit.store.many_rows import insert_many
from simexit.store.tables_audit import audit_head, audit_log

# Built once per dialect (no per-call statement building and cache-key walk over literal values).
_ENSURE_HEAD = {name: ins(audit_head).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing(index_elements=["id"])
                for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_HEAD_FOR_UPDATE = _HEAD.with_for_update()
_MOVE_HEAD = update(audit_head).where(audit_head.c.id == 1).values(seq=bindparam("new_seq"),
                                                                   hash=bindparam("new_hash"))


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Take the head row's lock (PostgreSQL: row lock; SQLite: the write transaction already holds the
    database's single write lock) and return (last seq, last hash)."""
    pg = is_postgresql(conn)
    row = conn.execute(_HEAD_FOR_UPDATE if pg else _HEAD).first()
    if row is None:  # the log's first entry: create the head row (concurrent creators wait on its key)
        conn.execute(_ENSURE_HEAD["postgresql" if pg else "sqlite"])
        row = conn.execute(_HEAD_FOR_UPDATE if pg else _HEAD).one()
    return int(row.seq), row.hash


# Entries wait in the connection's info until the transaction commits: then they are chained and written
# together, holding the head row's lock only for the last statements before COMMIT (instead of from a use
# case's first entry to its end, which serialised whole transactions on PostgreSQL). A rollback drops them.
# Entries added inside a savepoint that is rolled back are dropped with it (store/transaction_info.py).
PENDING = "simexit_audit_pending"  # transaction-scoped, flushed at commit (store/database.py)


def append(conn: Connection, *, at: datetime, actor: str, role: str, action: str, subject_type: str,
           subject_ref: str, data: dict[str, Any] | None = None) -> None:
    """Add one entry to the caller's transaction; it is chained and written when the transaction commits."""
    conn.info.setdefault(PENDING, []).append(dict(
        at=at, actor=actor[:80], role=role[:24], action=action[:48], subject_type=subject_type,
        subject_ref=str(subject_ref)[:40], data=data or {}))


def flush(conn: Connection, key: bytes) -> int:
    """Chain (MAC under ``key``, the chain key) and write the transaction's pending entries now (commit does this
    by itself); returns how many."""
    pending = conn.info.pop(PENDING, None)
    if not pending:
        return 0
    seq, prev = _lock_head(conn)
    for entry in pending:
        seq += 1
        entry["seq"], entry["prev_hash"] = seq, prev
        entry["hash"] = prev = entry_mac(key, entry)
    if len(pending) == 1 and is_postgresql(conn):  # a worker's step, an apply, a decision: one statement less
        conn.execute(_LOG_ONE_AND_MOVE_HEAD, {**{f"e_{c}": v for c, v in pending[0].items()},
                                              "new_seq": seq, "new_hash": prev})
        return 1
    insert_many(conn, audit_log, pending)  # a bulk closure's chunk writes thousands
    conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return len(pending)


# PostgreSQL: the one entry's INSERT as a data-modifying CTE of the head's UPDATE. (The parameters are not named
# as columns: SQLAlchemy would make them values of every INSERT and UPDATE in the statement.)
_LOG_ONE_AND_MOVE_HEAD = _MOVE_HEAD.add_cte(insert(audit_log).values(
    {c.name: bindparam(f"e_{c.name}", type_=c.type) for c in audit_log.c if c.name != "id"}).cte("logged"))


def head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return (int(row.seq), row.hash) if row else None


def iter_entries(conn: Connection, chunk: int = 2000, *, after_seq: int = 0) -> Iterator[dict[str, Any]]:
    """Every entry (with a sequence number above ``after_seq``) ordered by (seq, id), read in keyset-paginated
    chunks (memory stays flat)."""
    last: tuple[int, int] | None = None
    while True:
        q = select(audit_log).order_by(audit_log.c.seq, audit_log.c.id).limit(chunk)
        if last is None and after_seq:
            q = q.where(audit_log.c.seq > after_seq)
        if last is not None:
            q = q.where(or_(audit_log.c.seq > last[0], and_(audit_log.c.seq == last[0], audit_log.c.id > last[1])))
        rows = conn.execute(q).mappings().all()
        if not rows:
            return
        for r in rows:
            yield dict(r)
        last = (rows[-1]["seq"], rows[-1]["id"])


def for_subject(conn: Connection, subject_type: str, subject_ref: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(audit_log).where(audit_log.c.subject_type == subject_type,
                                                audit_log.c.subject_ref == subject_ref)
                        .order_by(audit_log.c.seq)).mappings().all()
    return [dict(r) for r in rows]
