"""Outbox ``webhook`` messages: a JSON body POSTed to the recipient URL, HMAC-SHA256-signed (TMF622 hub events
to an operator's BSS)::

    POST <the hub's callback>
    Content-Type: application/json
    X-Simexit-Event-Id: <the event's id>            the same on every retry: deduplicate on it
    X-Simexit-Timestamp: <Unix seconds>
    X-Simexit-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

The listener verifies it with ``simexit.integrations.webhook_signature.verify``. A 2xx answer is success; a
5xx, 408, 429 or a network failure is retried by the worker (with back-off), any other 4xx is not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.webhook_signature import signed_headers

SYSTEM = "webhook"


class SignedWebhookSender:
    kind = "webhook"

    def __init__(self, secret: str, *, timeout_s: float = 5.0, now: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._secret, self._now = secret, now
        self._client = httpx.Client(timeout=timeout_s, transport=transport or PerThreadTransport())

    def close(self) -> None:
        self._client.close()

    def send(self, message: OutgoingMessage) -> str:
        body = json.dumps(message.payload.get("body", {}), separators=(",", ":"), ensure_ascii=False).encode()
        event_id = str(message.payload.get("event_id") or message.idempotency_key)
        headers = {"Content-Type": "application/json", "X-Simexit-Event-Id": event_id,
                   **signed_headers(self._secret, int(self._now()), body)}
        try:
            r = self._client.post(message.recipient, content=body, headers=headers)
        except httpx.TimeoutException:
            raise IntegrationError(SYSTEM, "TIMEOUT", "the listener did not answer in time", retryable=True) from None
        except httpx.TransportError as e:
            raise IntegrationError(SYSTEM, "UNREACHABLE", type(e).__name__, retryable=True) from None
        if not 200 <= r.status_code < 300:
            raise IntegrationError(SYSTEM, f"HTTP_{r.status_code}", "the listener refused the event",
                                   retryable=r.status_code >= 500 or r.status_code in (408, 429))
        return event_id
