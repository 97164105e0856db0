"""Ordering a refund payout from a payment system: an HMAC-signed JSON POST with an ``Idempotency-Key``.

See ``simulators/payment_system.py`` for the protocol and ``integrations/webhook_signature.py`` for the
signature. The body is the same bytes on every retry, so the payment system can tell a retry (same key,
same body: answered again, paid once) from a mistake (same key, other body: 409, not retried).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import HttpErrors, request
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.payments.base import RefundOrder
from simexit.integrations.webhook_signature import signed_headers

SYSTEM = "payments"
ERRORS = HttpErrors(SYSTEM, timeout="PAYMENT_TIMEOUT", unreachable="PAYMENT_UNREACHABLE",
                    bad_response="PAYMENT_BAD_RESPONSE",
                    statuses={401: "PAYMENT_SIGNATURE_REFUSED", 403: "PAYMENT_SIGNATURE_REFUSED",
                              409: "PAYMENT_KEY_CONFLICT", 400: "PAYMENT_REJECTED", 422: "PAYMENT_REJECTED",
                              429: "PAYMENT_RATE_LIMITED"},
                    server_error="PAYMENT_SYSTEM_ERROR", client_error="PAYMENT_CLIENT_ERROR")


def order_body(order: RefundOrder) -> bytes:
    return json.dumps({
        "application_no": order.application_no, "amount_minor": order.amount_minor, "currency": order.currency,
        "method": order.method, "destination": order.destination, "reference": order.idempotency_key,
    }, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class WebhookRefundGateway:
    """``RefundGateway`` over the signed webhook."""

    def __init__(self, base_url: str, secret: str, *, timeout_s: float = 10.0,
                 now: Callable[[], float] = time.time, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret, self._now = secret, now
        self._client = httpx.Client(timeout=timeout_s, transport=transport or PerThreadTransport())

    def close(self) -> None:
        self._client.close()

    def pay(self, order: RefundOrder) -> str:
        if order.amount_minor <= 0:
            raise IntegrationError(SYSTEM, "REFUND_AMOUNT_INVALID", "a payout is a positive amount", retryable=False)
        body = order_body(order)
        headers = {"Content-Type": "application/json", "Idempotency-Key": order.idempotency_key,
                   **signed_headers(self.secret, int(self._now()), body)}
        r = request(self._client, ERRORS, "POST", f"{self.base_url}/v1/refunds", content=body, headers=headers)
        if r.status_code in (200, 201):
            try:
                return str(r.json()["id"])
            except (ValueError, KeyError, TypeError):
                raise ERRORS.bad("the answer has no payout id") from None
        raise ERRORS.status(r, f"{order.application_no}: payment system answered {r.status_code}")
