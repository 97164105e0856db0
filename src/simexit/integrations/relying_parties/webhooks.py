"""HMAC-SHA256-signed webhooks telling relying parties that a number was permanently disconnected.

Each active subscriber gets its own notice (its own event id, retried on its own)::

    POST <its url>
    Content-Type: application/json
    X-Simexit-Event-Id: <idempotency key>          the same on every retry: deduplicate on it
    X-Simexit-Timestamp: <Unix seconds>
    X-Simexit-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

    {"event": "number.permanently_disconnected", "event_id": "...", "msisdn": "+8613900001234",
     "disconnected_on": "2026-11-23"}

How a bank verifies it: ``simexit.integrations.webhook_signature.verify`` (recompute the HMAC over the raw
body, compare in constant time, refuse timestamps more than 5 minutes off). Any 2xx answer is success.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import httpx

from simexit.integrations import limits
from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.webhook_signature import signed_headers

SYSTEM = "relying_parties"
EVENT = "number.permanently_disconnected"


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    url: str
    secret: str


def disconnect_body(msisdn: str, disconnected_on: date, event_id: str) -> bytes:
    return json.dumps({"event": EVENT, "event_id": event_id, "msisdn": msisdn,
                       "disconnected_on": disconnected_on.isoformat()}, separators=(",", ":")).encode()


class WebhookDisconnectNotifier:
    """``DisconnectNotifier``: one signed POST to one subscribed party.

    Each party's notice is its own outbox message (services/numbers/tasks.py) with its own event id: a
    party that fails is retried alone; the others are not posted to again. A party unsubscribed since the
    disconnect is not posted to."""

    def __init__(self, subscriptions: Callable[[], list[Subscription]], *, timeout_s: float = 5.0,
                 now: Callable[[], float] = time.time, transport: httpx.BaseTransport | None = None) -> None:
        self._subscriptions, self._now = subscriptions, now
        self._client = httpx.Client(timeout=timeout_s, transport=transport or PerThreadTransport())

    def close(self) -> None:
        self._client.close()

    def notify(self, party: str, msisdn: str, disconnected_on: date, idempotency_key: str) -> None:
        sub = next((s for s in self._subscriptions() if s.name == party), None)
        if sub is None:
            return
        body = disconnect_body(msisdn, disconnected_on, idempotency_key)
        post_signed(self._client, SYSTEM, sub.name, sub.url, sub.secret, body, idempotency_key, self._now)


def post_signed(client: httpx.Client, system: str, name: str, url: str, secret: str, body: bytes,
                event_id: str, now: Callable[[], float]) -> None:
    """POST one signed webhook; IntegrationError (retryable for timeouts, transport errors, 5xx and 429)."""
    headers = {"Content-Type": "application/json", "X-Simexit-Event-Id": event_id,
               **signed_headers(secret, int(now()), body)}
    try:
        with limits.gate(system).slot():
            r = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise IntegrationError(system, "RELYING_PARTY_FAILED", f"{name}: timeout", retryable=True) from None
    except httpx.TransportError as e:
        raise IntegrationError(system, "RELYING_PARTY_FAILED", f"{name}: {type(e).__name__}",
                               retryable=True) from None
    if not 200 <= r.status_code < 300:
        raise IntegrationError(system, "RELYING_PARTY_FAILED", f"{name}: {r.status_code}",
                               retryable=r.status_code >= 500 or r.status_code == 429)
