"""Stored answers for Idempotency-Key (see simexit.api.idempotency)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
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


# A key is reserved (status_code 0) before its request runs, so that two requests with the same new key at the
# same moment never both run: the second is told to retry. A reservation older than IN_PROGRESS_FOR belongs to a
# process that died mid-request, and the next request with the key takes it over.
IN_PROGRESS = 0
IN_PROGRESS_FOR = timedelta(minutes=2)
_KEY = (api_idempotency.c.principal == bindparam("b_principal")) & (api_idempotency.c.idem_key == bindparam("b_key"))
_FIND = select(api_idempotency).where(_KEY)


def _refuse_other(row: Any, digest: str) -> None:
    if row["request_hash"] != digest:
        raise Conflict("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request; "
                       "use a new key for a new request")


def reserve(app: Simexit, principal: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
    """Reserve the key for this request: None when reserved (run it, then ``save`` or ``release``), or the
    stored answer to replay. Refused while another request with the key runs (IDEMPOTENCY_KEY_IN_PROGRESS)."""
    with app.db.write() as conn:
        now = app.clock.now()
        row = conn.execute(_FIND.with_for_update() if conn.dialect.name == "postgresql" else _FIND,
                           {"b_principal": principal, "b_key": key}).mappings().first()
        if row is not None and row["expires_at"] > now:
            _refuse_other(row, digest)
            if row["status_code"] != IN_PROGRESS:
                return row["status_code"], row["response"]
            if row["created_at"] > now - IN_PROGRESS_FOR:
                raise Conflict("IDEMPOTENCY_KEY_IN_PROGRESS", "a request with this Idempotency-Key is still "
                               "running; retry in a moment to get its answer")
        if row is not None:  # expired, or left by a request that never finished: start again
            conn.execute(delete(api_idempotency).where(api_idempotency.c.id == row["id"]))
        ticket = {"reserved_by": secrets.token_hex(8)}
        conn.execute(_INSERT_IGNORE[conn.dialect.name], dict(
            principal=principal, idem_key=key, request_hash=digest, status_code=IN_PROGRESS, response=ticket,
            created_at=now, expires_at=now + TTL))
        mine = conn.execute(_FIND, {"b_principal": principal, "b_key": key}).mappings().one()
        if mine["response"] != ticket:
            # SQLite serialises writers, and PostgreSQL's unique key makes a simultaneous reserver's insert
            # wait for ours: someone else's row here means they reserved first.
            raise Conflict("IDEMPOTENCY_KEY_IN_PROGRESS", "a request with this Idempotency-Key is still running; "
                           "retry in a moment to get its answer")
    return None


def save(app: Simexit, principal: str, key: str, digest: str, status: int, response: dict[str, Any]) -> None:
    """Store the answer of a reserved key (it is replayed for 24 hours)."""
    with app.db.write() as conn:
        now = app.clock.now()
        conn.execute(update(api_idempotency).where(_KEY, api_idempotency.c.request_hash == digest)
                     .values(status_code=status, response=response, created_at=now, expires_at=now + TTL),
                     {"b_principal": principal, "b_key": key})


def release(app: Simexit, principal: str, key: str) -> None:
    """Drop a reservation whose request was refused or failed: refusals are not stored, a retry runs again."""
    with app.db.write() as conn:
        conn.execute(delete(api_idempotency).where(_KEY, api_idempotency.c.status_code == IN_PROGRESS),
                     {"b_principal": principal, "b_key": key})


def purge_expired(app: Simexit) -> int:
    with app.db.write() as conn:
        return conn.execute(delete(api_idempotency).where(api_idempotency.c.expires_at <= app.clock.now())).rowcount
