"""SQL of the exports table."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from simexit.domain.errors import NotFound
from simexit.store.locking import for_update as locked
from simexit.store.tables_audit import exports

# Export ids are random below 2**53 (exact in JSON numbers and JavaScript), not a counter: whoever learns one id
# learns nothing about the others.
ID_LIMIT = 2**53


def insert_export(conn: Connection, values: dict[str, Any]) -> int:
    while True:
        export_id = secrets.randbelow(ID_LIMIT - 1) + 1
        if conn.execute(select(exports.c.id).where(exports.c.id == export_id)).first() is None:
            break  # (a collision: about one in 10**15 per export at a million exports)
    return conn.execute(insert(exports).values(id=export_id, **values).returning(exports.c.id)).scalar_one()


def get(conn: Connection, export_id: int, *, for_update: bool = False) -> RowMapping:
    q = select(exports).where(exports.c.id == export_id)
    if for_update:
        q = locked(conn, q)
    row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFound("EXPORT_NOT_FOUND", f"no export {export_id}")
    return row


def open_for_customer(conn: Connection, customer_id: int) -> int | None:
    return conn.execute(select(exports.c.id).where(exports.c.customer_id == customer_id,
                                                   exports.c.state.in_(("requested", "building")))
                        .order_by(exports.c.requested_at, exports.c.id).limit(1)).scalar_one_or_none()


def set_state(conn: Connection, export_id: int, *, expect: tuple[str, ...], **values: Any) -> bool:
    res = conn.execute(update(exports).where(exports.c.id == export_id, exports.c.state.in_(expect))
                       .values(**values))
    return res.rowcount == 1


def for_customer(conn: Connection, customer_id: int) -> list[RowMapping]:
    return conn.execute(select(exports).where(exports.c.customer_id == customer_id)).mappings().all()


def expired_ready(conn: Connection, now: Any) -> list[RowMapping]:
    return conn.execute(select(exports).where(exports.c.state == "ready", exports.c.expires_at <= now)
                        ).mappings().all()
