"""Writing messages to the transactional outbox (sending them is the worker's job)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from simexit.store.tables import outbox

KINDS = ("sms", "email", "webhook")


# Built once (an INSERT … ON CONFLICT built per call is compiled per call).
_INSERT_IGNORE = {name: ins(outbox).on_conflict_do_nothing(index_elements=["idempotency_key"])
                  for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_ID_OF_KEY = select(outbox.c.id).where(outbox.c.idempotency_key == bindparam("key"))


def enqueue(conn: Connection, *, kind: str, recipient: str, template: str, payload: dict[str, Any],
            idempotency_key: str, now: datetime, locale: str = "en", application_id: int | None = None,
            due_at: datetime | None = None) -> int:
    """Add a message in the caller's transaction; the same idempotency key is stored only once.

    Returns the outbox id (of the existing row when the key was already used).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    values = dict(kind=kind, recipient=recipient, template=template, locale=locale, payload=payload,
                  idempotency_key=idempotency_key, application_id=application_id, state="pending", attempts=0,
                  created_at=now, due_at=due_at or now)
    conn.execute(_INSERT_IGNORE[conn.dialect.name], values)
    return conn.execute(_ID_OF_KEY, {"key": idempotency_key}).scalar_one()
