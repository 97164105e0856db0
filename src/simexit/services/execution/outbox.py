"""Writing messages to the transactional outbox (sending them is the worker's job).

Each message gets, when it is first stored, the idempotency key its provider will see on every try
(``provider_key`` in the stored payload; ``domain.outside_keys``): the caller's key says which message this is
within simexit (the same key is stored once), the provider key is unique across every simexit instance that
shares the provider. Messages stored before the provider key existed are sent with their own key.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from simexit.domain.outside_keys import outside_key
from simexit.store import outbox_repo

if TYPE_CHECKING:
    from simexit.store.database import Connection

KINDS = ("sms", "email", "webhook")
PROVIDER_KEY = "provider_key"


def enqueue(conn: Connection, *, kind: str, recipient: str, template: str, payload: dict[str, Any],
            idempotency_key: str, now: datetime, locale: str = "en", application_id: int | None = None,
            due_at: datetime | None = None) -> int:
    """Add a message in the caller's transaction; the same idempotency key is stored only once.

    Returns the outbox id (of the existing row when the key was already used).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    stored = {**payload, PROVIDER_KEY: outside_key(idempotency_key)}
    return outbox_repo.add_message(conn, kind=kind, recipient=recipient, template=template, locale=locale,
                                   payload=stored, idempotency_key=idempotency_key,
                                   application_id=application_id, now=now, due_at=due_at or now)


def provider_key(row: dict[str, Any] | Any) -> str:
    """The key the provider gets for this outbox row, the same on every try."""
    return (row["payload"] or {}).get(PROVIDER_KEY) or row["idempotency_key"]


def message_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """What the template renders: the stored payload without simexit's own bookkeeping."""
    return {k: v for k, v in payload.items() if k != PROVIDER_KEY}
