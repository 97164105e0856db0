"""SMS over a generic HTTP/JSON gateway.

Wire protocol (what ``simexit sim sms`` speaks, and what most gateways offer in some spelling)::

    POST {base_url}/v1/messages
    Authorization: Bearer <api key>
    {"to": "+8613900001234", "from": "simexit", "text": "...", "client_reference": "<idempotency key>"}

    201 {"id": "sms_…", "status": "accepted"}      first time
    200 {"id": "sms_…", "status": "accepted"}      the same client_reference again: the same message, not resent

Errors: 401/403 → ``SMS_AUTH_FAILED``; 400/422 → ``SMS_REJECTED``; other 4xx → ``SMS_CLIENT_ERROR`` (none of
them is retried: the same request would fail again); 429 → ``SMS_RATE_LIMITED`` and 5xx → ``SMS_GATEWAY_ERROR``,
a timeout → ``SMS_TIMEOUT``, no connection → ``SMS_UNREACHABLE`` (all retryable).
"""

from __future__ import annotations

import httpx

from simexit.domain.identifiers import mask_msisdn
from simexit.integrations.http_calls import HttpErrors, request
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.rendering import render

SYSTEM = "sms"
ERRORS = HttpErrors(SYSTEM, timeout="SMS_TIMEOUT", unreachable="SMS_UNREACHABLE", bad_response="SMS_BAD_RESPONSE",
                    statuses={401: "SMS_AUTH_FAILED", 403: "SMS_AUTH_FAILED", 400: "SMS_REJECTED",
                              422: "SMS_REJECTED", 429: "SMS_RATE_LIMITED"},
                    server_error="SMS_GATEWAY_ERROR", client_error="SMS_CLIENT_ERROR")


class HttpSmsSender:
    """``MessageSender`` for ``kind == "sms"``."""

    kind = "sms"

    def __init__(self, base_url: str, api_key: str, *, sender: str = "simexit", timeout_s: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.sender = sender
        self._client = httpx.Client(timeout=timeout_s, transport=transport or PerThreadTransport(),
                                    headers={"Authorization": f"Bearer {api_key}"})

    def close(self) -> None:
        self._client.close()

    def send(self, message: OutgoingMessage) -> str:
        text = render(message.template, message.locale, message.payload).sms
        body = {"to": message.recipient, "from": self.sender, "text": text,
                "client_reference": message.idempotency_key}
        who = mask_msisdn(message.recipient)
        r = request(self._client, ERRORS, "POST", f"{self.base_url}/v1/messages", json=body)
        if r.status_code in (200, 201):
            try:
                return str(r.json()["id"])
            except (ValueError, KeyError, TypeError):
                raise ERRORS.bad("the gateway's answer has no message id") from None
        detail, s = _detail(r), r.status_code
        refused = f"message to {who} refused: {detail}"
        raise ERRORS.status(r, {401: f"API key refused ({s})", 403: f"API key refused ({s})", 400: refused,
                                422: refused, 429: "too many requests"}.get(s, f"gateway answered {s}: {detail}"))


def _detail(r: httpx.Response) -> str:
    try:
        data = r.json()
        return str(data.get("error") or data.get("detail") or data)[:200]
    except ValueError:
        return r.text[:200]
