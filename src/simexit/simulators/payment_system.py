"""``simexit sim payments``: a payment system that pays refunds out, ordered by a signed webhook.

Protocol (what ``integrations/payments/webhook.py`` sends)::

    POST /v1/refunds
    Idempotency-Key: <key>
    X-Simexit-Timestamp / X-Simexit-Signature   (see integrations/webhook_signature.py)
    {"application_no": ..., "amount_minor": 1234, "currency": "CNY", "method": ..., "destination": {...}}

    201 {"id": "po_…", "status": "accepted", ...}   first time
    200 the same answer                             the same key and body again (nothing paid twice)
    409 {"error": ...}                              the same key with a different body
    401 bad signature or stale timestamp; 400 no Idempotency-Key; 422 a bad amount

``GET /v1/refunds`` lists the payouts made.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from simexit.integrations.webhook_signature import verify
from simexit.simulators.http_server import Reply, Request, Simulator


class PaymentSystemSimulator(Simulator):
    name = "payments"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, secret: str = "demo-payments-secret-change-me",
                 now: Callable[[], float] = time.time) -> None:
        self.secret, self._now = secret, now
        super().__init__(host, port)

    def reset_state(self) -> None:
        self.payouts: dict[str, dict[str, Any]] = {}  # by idempotency key
        self._body_hash: dict[str, str] = {}

    def paid(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.payouts.values())

    def handle(self, req: Request) -> Reply:
        method, path, headers, body = req.method, req.path, req.headers, req.raw
        if path == "/v1/refunds" and method == "GET":
            return Reply(200, list(self.payouts.values()))
        if path != "/v1/refunds" or method != "POST":
            return Reply(404, {"error": "not found"})
        if not verify(self.secret, headers.get("x-simexit-timestamp"), headers.get("x-simexit-signature"), body,
                      int(self._now())):
            return Reply(401, {"error": "signature does not verify or timestamp too old"})
        key = headers.get("idempotency-key")
        if not key:
            return Reply(400, {"error": "Idempotency-Key header is required"})
        digest = hashlib.sha256(body).hexdigest()
        if key in self.payouts:
            if self._body_hash[key] != digest:
                return Reply(409, {"error": "Idempotency-Key reused with a different request"})
            return Reply(200, self.payouts[key])
        try:
            data = json.loads(body)
            amount, currency = data["amount_minor"], data["currency"]
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"error": "amount_minor and currency are required"})
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return Reply(422, {"error": "amount_minor must be a positive integer"})
        payout = {"id": f"po_{len(self.payouts) + 1:06d}", "status": "accepted", "amount_minor": amount,
                  "currency": currency, "application_no": data.get("application_no"), "method": data.get("method"),
                  "idempotency_key": key}
        self.payouts[key] = payout
        self._body_hash[key] = digest
        return Reply(201, payout)
