"""Idempotency-Key for POSTs that create something: the first successful answer is replayed for 24 hours.

The key is scoped to the caller (customer, staff member, partner key or anonymous client address). The
same key with a different body is refused (409 IDEMPOTENCY_KEY_REUSED). The key is reserved before the
request runs, so a second request with it while the first still runs is refused (409
IDEMPOTENCY_KEY_IN_PROGRESS) instead of running twice. Requests that fail validation never reach this code,
and refusals are not stored: only 2xx answers are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Header
from pydantic import BaseModel

from simexit.services.access import idempotency
from simexit.services.context import Simexit

IdempotencyKey = Header(default=None, alias="Idempotency-Key", min_length=1, max_length=200,
                        pattern=r"^[\x21-\x7e]+$",
                        description="any unique string (e.g. a UUID); a retry with the same key and body "
                                    "gets the first answer again")


def run(app: Simexit, *, principal: str, key: str | None, route: str, body: BaseModel | dict[str, Any],
        action: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any], bool]:
    """Answer (status, payload, replayed)."""
    if key is None:
        status, payload = action()
        return status, payload, False
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    digest = idempotency.request_hash(route, data)
    stored = idempotency.reserve(app, principal, key, digest)
    if stored is not None:
        return stored[0], stored[1], True
    try:
        status, payload = action()
    except BaseException:
        idempotency.release(app, principal, key)
        raise
    if 200 <= status < 300:
        idempotency.save(app, principal, key, digest, status, payload)
    else:
        idempotency.release(app, principal, key)
    return status, payload, False
