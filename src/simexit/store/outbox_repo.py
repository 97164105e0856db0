"""The transactional outbox: messages written in the use case's transaction, sent later by the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from simexit.store.locking import insert_ignoring_id
from simexit.store.tables import outbox
from simexit.store.wakeups import mark_due_now

_ID_OF_KEY = select(outbox.c.id).where(outbox.c.idempotency_key == bindparam("key"))


def add_message(conn: Connection, *, kind: str, recipient: str, template: str, locale: str,
                payload: dict[str, Any], idempotency_key: str, application_id: int | None, now: datetime,
                due_at: datetime) -> int:
    """Insert the message unless one with the same idempotency key exists; the id of the one stored (read
    back only when it was there before)."""
    new_id = conn.execute(insert_ignoring_id(conn, outbox, ("idempotency_key",)), dict(
        kind=kind, recipient=recipient, template=template, locale=locale, payload=payload,
        idempotency_key=idempotency_key, application_id=application_id, state="pending", attempts=0,
        created_at=now, due_at=due_at)).scalar()
    if due_at <= now:
        mark_due_now(conn)  # the workers are woken at commit (PostgreSQL)
    if new_id is not None:
        return new_id
    return conn.execute(_ID_OF_KEY, {"key": idempotency_key}).scalar_one()


def pending(conn: Connection, *, kind: str | None, limit: int) -> list[dict[str, Any]]:
    """Messages still to send, newest first (the CLI's demo aid)."""
    q = (select(outbox.c.id, outbox.c.kind, outbox.c.recipient, outbox.c.template, outbox.c.payload,
                outbox.c.created_at).where(outbox.c.state == "pending").order_by(outbox.c.id.desc()).limit(limit))
    if kind:
        q = q.where(outbox.c.kind == kind)
    return [dict(r) for r in conn.execute(q).mappings()]
