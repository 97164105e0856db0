"""A generic JSON provisioning hook, for networks without a supported HSS API.

``POST <url>`` with ``{"action": "bar"|"deregister"|"delete", "msisdn", "imsi", "iccid", "idempotency_key"}``,
the header ``Idempotency-Key`` and, if configured, ``Authorization: Bearer <token>``. Any 2xx is done; 408,
429 and 5xx are retried; other statuses are refusals. The receiver must treat a repeated key as done.
"""

from __future__ import annotations

import httpx

from simexit.integrations.http_calls import raise_for_status, request
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.network.base import Subscriber

SYSTEM = "network-hook"


class HttpHookProvisioner:
    name = "http"

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 10,
                 client: httpx.Client | None = None) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = client or httpx.Client(headers=headers, timeout=timeout, transport=PerThreadTransport())

    def _send(self, action: str, sub: Subscriber, key: str) -> None:
        resp = request(self.client, SYSTEM, "POST", self.url, headers={"Idempotency-Key": key},
                       json={"action": action, "msisdn": sub.msisdn, "imsi": sub.imsi, "iccid": sub.iccid,
                             "idempotency_key": key})
        raise_for_status(SYSTEM, resp, ok=tuple(range(200, 300)))

    def bar(self, sub: Subscriber, idempotency_key: str) -> None:
        self._send("bar", sub, idempotency_key)

    def deregister(self, sub: Subscriber, idempotency_key: str) -> None:
        self._send("deregister", sub, idempotency_key)

    def delete(self, sub: Subscriber, idempotency_key: str) -> None:
        self._send("delete", sub, idempotency_key)
