"""Sending one claimed outbox message through the MessageSender registered for its kind.

The sender gets the row's idempotency key (a provider that sees it again must not send twice). After a
one-time code is sent, the code is scrubbed from the stored payload.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import RowMapping

from simexit.domain.saga import backoff
from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.wiring import Integrations
from simexit.services.context import Simexit
from simexit.store.tables import outbox
from simexit.store.work_queue import LeaseLost, finish

log = logging.getLogger("simexit.outbox")
SCRUBBED_TEMPLATES = {"otp_code": ("code", "otp"), "cancellation_code": ("code",)}


def scrubbed(template: str, payload: dict[str, Any]) -> dict[str, Any]:
    secret_fields = SCRUBBED_TEMPLATES.get(template, ())
    return {k: ("[scrubbed]" if k in secret_fields else v) for k, v in payload.items()}


def dispatch(app: Simexit, integrations: Integrations, row: RowMapping, worker_id: str, *, max_attempts: int,
             backoff_base: float, backoff_max: float) -> str:
    msg = OutgoingMessage(kind=row["kind"], recipient=row["recipient"], template=row["template"],
                          locale=row["locale"], payload=dict(row["payload"]), idempotency_key=row["idempotency_key"])
    attempts = row["attempts"] + 1
    try:
        provider_id = integrations.sender(row["kind"]).send(msg)
    except IntegrationError as exc:
        error = f"{exc.system}: {exc.code}: {exc.message}"
        dead = not exc.retryable or attempts >= max_attempts
        now = app.clock.now()
        try:
            with app.db.write() as conn:
                finish(conn, outbox, row["id"], worker_id, state="dead" if dead else "pending", attempts=attempts,
                       last_error=error, due_at=row["due_at"] if dead else now + backoff(attempts, backoff_base,
                                                                                          backoff_max))
        except LeaseLost:
            return "lease_lost"
        log.warning("outbox %s (%s) attempt %d failed: %s", row["id"], row["kind"], attempts, error)
        return "dead" if dead else "retry"
    payload = {**scrubbed(row["template"], msg.payload), "provider_message_id": provider_id}
    try:
        with app.db.write() as conn:
            finish(conn, outbox, row["id"], worker_id, state="sent", attempts=attempts, sent_at=app.clock.now(),
                   last_error=None, payload=payload)
    except LeaseLost:
        return "lease_lost"
    return "sent"
