"""HMAC-SHA256-signed webhooks telling relying parties that a number was permanently disconnected.

Each active subscriber gets::

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
    """``DisconnectNotifier``: one signed POST per active subscriber.

    If any subscriber fails, ``notify`` raises (retryable unless every failure was a 4xx); a retry posts
    again to all of them with the same event id, which they deduplicate."""

    def __init__(self, subscriptions: Callable[[], list[Subscription]], *, timeout_s: float = 5.0,
                 now: Callable[[], float] = time.time, transport: httpx.BaseTransport | None = None) -> None:
        self._subscriptions, self._now = subscriptions, now
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._client.close()

    def notify(self, msisdn: str, disconnected_on: date, idempotency_key: str) -> None:
        body = disconnect_body(msisdn, disconnected_on, idempotency_key)
        failures: list[tuple[str, str, bool]] = []
        for sub in self._subscriptions():
            headers = {"Content-Type": "application/json", "X-Simexit-Event-Id": idempotency_key,
                       **signed_headers(sub.secret, int(self._now()), body)}
            try:
                with limits.gate(SYSTEM).slot():
                    r = self._client.post(sub.url, content=body, headers=headers)
            except httpx.TimeoutException:
                failures.append((sub.name, "timeout", True))
                continue
            except httpx.TransportError as e:
                failures.append((sub.name, type(e).__name__, True))
                continue
            if not 200 <= r.status_code < 300:
                failures.append((sub.name, str(r.status_code), r.status_code >= 500 or r.status_code == 429))
        if failures:
            detail = ", ".join(f"{name}: {why}" for name, why, _ in failures)
            raise IntegrationError(SYSTEM, "RELYING_PARTY_FAILED", f"not delivered to {detail}",
                                   retryable=any(r for _, _, r in failures))
