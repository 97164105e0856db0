"""Stored answers for Idempotency-Key (see simexit.api.idempotency)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from simexit.domain.errors import Conflict
from simexit.services.context import Simexit
from simexit.store.tables_api import api_idempotency

TTL = timedelta(hours=24)


_INSERT_IGNORE = {name: ins(api_idempotency).on_conflict_do_nothing(index_elements=["principal", "idem_key"])
                  for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}  # built once


def request_hash(route: str, body: Any) -> str:
    canonical = json.dumps({"route": route, "body": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find(app: Simexit, principal: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
    """The stored answer for this key, or None; a different request under the same key is refused."""
    with app.db.read() as conn:
        row = conn.execute(select(api_idempotency).where(api_idempotency.c.principal == principal,
                                                         api_idempotency.c.idem_key == key)).mappings().first()
    if row is None or row["expires_at"] <= app.clock.now():
        return None
    if row["request_hash"] != digest:
        raise Conflict("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request; "
                       "use a new key for a new request")
    return row["status_code"], row["response"]


def save(app: Simexit, principal: str, key: str, digest: str, status: int, response: dict[str, Any]) -> None:
    with app.db.write() as conn:
        now = app.clock.now()
        conn.execute(delete(api_idempotency).where(api_idempotency.c.principal == principal,
                                                   api_idempotency.c.idem_key == key,
                                                   api_idempotency.c.expires_at <= now))
        conn.execute(_INSERT_IGNORE[conn.dialect.name], dict(
            principal=principal, idem_key=key, request_hash=digest, status_code=status, response=response,
            created_at=now, expires_at=now + TTL))


def purge_expired(app: Simexit) -> int:
    with app.db.write() as conn:
        return conn.execute(delete(api_idempotency).where(api_idempotency.c.expires_at <= app.clock.now())).rowcount
