"""Sending one claimed outbox message through the MessageSender registered for its kind.

The sender gets the message's provider key (``services.execution.outbox.provider_key``: the same on every
try, unique across simexit instances; a provider that sees it again must not send twice, and the SMTP
Message-ID is derived from it). Right before the call the worker checks that it still holds the message's
lease (``worker.leases``): a message another worker took over is left to that worker. After a one-time code is
sent, the code is scrubbed from the stored payload.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from simexit.domain.saga import backoff
from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.wiring import Integrations
from simexit.services.context import Simexit
from simexit.services.execution import work
from simexit.services.execution.outbox import message_payload, provider_key
from simexit.worker.leases import BatchLeases

log = logging.getLogger("simexit.outbox")
SCRUBBED_TEMPLATES = {"otp_code": ("code", "otp"), "cancellation_code": ("code",)}
QUEUE = "outbox"


def scrubbed(template: str, payload: dict[str, Any]) -> dict[str, Any]:
    secret_fields = SCRUBBED_TEMPLATES.get(template, ())
    return {k: ("[scrubbed]" if k in secret_fields else v) for k, v in payload.items()}


def dispatch(app: Simexit, integrations: Integrations, row: Mapping[str, Any], worker_id: str, *,
             max_attempts: int, backoff_base: float, backoff_max: float, leases: BatchLeases | None = None) -> str:
    """Send one message; returns ``sent``, ``retry``, ``dead`` or ``lease_lost``."""
    stored = dict(row["payload"])
    msg = OutgoingMessage(kind=row["kind"], recipient=row["recipient"], template=row["template"],
                          locale=row["locale"], payload=message_payload(stored), idempotency_key=provider_key(row))
    attempts = row["attempts"] + 1
    if leases is not None and not leases.check(row["id"]):
        return "lease_lost"
    try:
        provider_id = integrations.sender(row["kind"]).send(msg)
    except IntegrationError as exc:
        error = f"{exc.system}: {exc.code}: {exc.message}"
        dead = not exc.retryable or attempts >= max_attempts
        now = app.clock.now()
        try:
            work.finish(app, QUEUE, row["id"], worker_id, state="dead" if dead else "pending", attempts=attempts,
                        last_error=error, due_at=row["due_at"] if dead else now + max(
                            backoff(attempts, backoff_base, backoff_max), timedelta(seconds=exc.retry_after or 0)))
        except work.LeaseLost:
            return "lease_lost"
        log.warning("outbox %s (%s) attempt %d failed: %s", row["id"], row["kind"], attempts, error)
        return "dead" if dead else "retry"
    payload = {**scrubbed(row["template"], stored), "provider_message_id": provider_id}
    try:
        work.finish(app, QUEUE, row["id"], worker_id, state="sent", attempts=attempts, sent_at=app.clock.now(),
                    last_error=None, payload=payload)
    except work.LeaseLost:
        log.warning("outbox %s: sent, but the lease was lost before it was recorded", row["id"])
        return "lease_lost"
    return "sent"
