"""SQL of bulk closure: batches, their items, and applications written set-based (many rows per statement)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from simexit.domain.errors import NotFound
from simexit.store.locking import for_update as locked
from simexit.store.many_rows import insert_many
from simexit.store.tables import application_events, applications, lines
from simexit.store.tables_bulk import bulk_batches, bulk_items


class RowTaken(Exception):
    """A row that must be unique was written meanwhile by someone else (a line got an open application, an
    application number or a batch was taken): the transaction is spoilt; roll it back and do it again."""


def get_batch(conn: Connection, batch_id: str, *, for_update: bool = False) -> RowMapping:
    q = select(bulk_batches).where(bulk_batches.c.id == batch_id)
    if for_update:
        q = locked(conn, q)
    row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFound("BATCH_NOT_FOUND", f"no batch {batch_id}")
    return row


def find_batch_by_hash(conn: Connection, sha256: str) -> RowMapping | None:
    return conn.execute(select(bulk_batches).where(bulk_batches.c.file_sha256 == sha256)).mappings().first()


def insert_batch(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert a batch; False when it exists already (started at the same moment by someone else)."""
    try:
        with conn.begin_nested():
            conn.execute(insert(bulk_batches).values(**values))
    except IntegrityError:
        return False
    return True


def update_batch(conn: Connection, batch_id: str, **values: Any) -> None:
    conn.execute(update(bulk_batches).where(bulk_batches.c.id == batch_id).values(**values))


def line_ids_by_iccid(conn: Connection, iccids: Sequence[str]) -> dict[str, str]:
    """ICCID → MSISDN of the known lines among ``iccids``."""
    if not iccids:
        return {}
    return dict(conn.execute(select(lines.c.iccid, lines.c.msisdn).where(lines.c.iccid.in_(list(iccids)))).all())


def insert_applications(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many applications at once (one executemany); their ids, in the order of ``rows``.

    The ids are read back by application number (unique): an INSERT … RETURNING that keeps the order of
    the rows falls back to one statement per row on SQLite.
    """
    if not rows:
        return []
    try:
        insert_many(conn, applications, rows)
    except (IntegrityError, conn.dialect.dbapi.IntegrityError) as e:  # COPY raises the driver's own error
        raise RowTaken(str(e).splitlines()[0]) from e
    ids = dict(conn.execute(select(applications.c.application_no, applications.c.id)
                            .where(applications.c.application_no.in_([r["application_no"] for r in rows]))).all())
    return [ids[r["application_no"]] for r in rows]


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_many(conn, application_events, rows)


def insert_items(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_many(conn, bulk_items, rows)


def iter_items(conn: Connection, batch_id: str, *, after_row: int = 0, page: int = 5000,
               limit: int | None = None) -> Iterator[RowMapping]:
    """The batch's items in row order, read page by page (keyset), so memory stays flat."""
    sent = 0
    while limit is None or sent < limit:
        size = page if limit is None else min(page, limit - sent)
        rows = conn.execute(
            select(bulk_items).where(bulk_items.c.batch_id == batch_id, bulk_items.c.row_no > after_row)
            .order_by(bulk_items.c.row_no).limit(size)
        ).mappings().all()
        if not rows:
            return
        yield from rows
        sent += len(rows)
        after_row = rows[-1]["row_no"]


def batch_applications(conn: Connection, batch_id: str, *, status: str | None = None,
                       numbers: Sequence[str] | None = None, limit: int | None = None) -> list[RowMapping]:
    q = (select(applications.c.id, applications.c.application_no, applications.c.status)
         .where(applications.c.batch_id == batch_id).order_by(applications.c.id))
    if status is not None:
        q = q.where(applications.c.status == status)
    if numbers is not None:
        q = q.where(applications.c.application_no.in_(list(numbers)))
    if limit is not None:
        q = q.limit(limit)
    return list(conn.execute(q).mappings())


def move_many(conn: Connection, ids: Sequence[int], from_status: str, to_status: str, at: datetime,
              **extra: Any) -> int:
    """Move the applications ``ids`` that are still in ``from_status``; how many moved."""
    res = conn.execute(
        update(applications).where(applications.c.id.in_(list(ids)), applications.c.status == from_status)
        .values(status=to_status, updated_at=at, **extra)
    )
    return res.rowcount
