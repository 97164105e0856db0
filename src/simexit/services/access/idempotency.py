"""Stored answers for Idempotency-Key (see simexit.api.idempotency)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from simexit.domain.errors import Conflict
from simexit.services.context import Simexit
from simexit.store import idempotency_repo

TTL = timedelta(hours=24)


def request_hash(route: str, body: Any) -> str:
    canonical = json.dumps({"route": route, "body": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# A key is reserved (status_code 0) before its request runs, so that two requests with the same new key at the
# same moment never both run: the second is told to retry. A reservation older than IN_PROGRESS_FOR belongs to a
# process that died mid-request, and the next request with the key takes it over.
IN_PROGRESS = 0
IN_PROGRESS_FOR = timedelta(minutes=2)


def _refuse_other(row: Any, digest: str) -> None:
    if row["request_hash"] != digest:
        raise Conflict("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request; "
                       "use a new key for a new request")


def reserve(app: Simexit, principal: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
    """Reserve the key for this request: None when reserved (run it, then ``save`` or ``release``), or the
    stored answer to replay. Refused while another request with the key runs (IDEMPOTENCY_KEY_IN_PROGRESS)."""
    with app.db.write() as conn:
        now = app.clock.now()
        row = idempotency_repo.find(conn, principal, key, for_update=True)
        if row is not None and row["expires_at"] > now:
            _refuse_other(row, digest)
            if row["status_code"] != IN_PROGRESS:
                return row["status_code"], row["response"]
            if row["created_at"] > now - IN_PROGRESS_FOR:
                raise Conflict("IDEMPOTENCY_KEY_IN_PROGRESS", "a request with this Idempotency-Key is still "
                               "running; retry in a moment to get its answer")
        if row is not None:  # expired, or left by a request that never finished: start again
            idempotency_repo.delete_row(conn, row["id"])
        ticket = {"reserved_by": secrets.token_hex(8)}
        idempotency_repo.insert_if_absent(conn, dict(
            principal=principal, idem_key=key, request_hash=digest, status_code=IN_PROGRESS, response=ticket,
            created_at=now, expires_at=now + TTL))
        mine = idempotency_repo.find(conn, principal, key)
        if mine is None or mine["response"] != ticket:
            # SQLite serialises writers, and PostgreSQL's unique key makes a simultaneous reserver's insert
            # wait for ours: someone else's row here means they reserved first.
            raise Conflict("IDEMPOTENCY_KEY_IN_PROGRESS", "a request with this Idempotency-Key is still running; "
                           "retry in a moment to get its answer")
    return None


def save(app: Simexit, principal: str, key: str, digest: str, status: int, response: dict[str, Any]) -> None:
    """Store the answer of a reserved key (it is replayed for 24 hours)."""
    with app.db.write() as conn:
        now = app.clock.now()
        idempotency_repo.store_answer(conn, principal, key, digest, status=status, response=response, now=now,
                                      expires_at=now + TTL)


def release(app: Simexit, principal: str, key: str) -> None:
    """Drop a reservation whose request was refused or failed: refusals are not stored, a retry runs again."""
    with app.db.write() as conn:
        idempotency_repo.delete_reservation(conn, principal, key, in_progress=IN_PROGRESS)


def purge_expired(app: Simexit) -> int:
    with app.db.write() as conn:
        return idempotency_repo.purge_expired(conn, app.clock.now())
