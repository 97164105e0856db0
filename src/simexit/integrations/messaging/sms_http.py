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
from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.rendering import render

SYSTEM = "sms"


class HttpSmsSender:
    """``MessageSender`` for ``kind == "sms"``."""

    kind = "sms"

    def __init__(self, base_url: str, api_key: str, *, sender: str = "simexit", timeout_s: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.sender = sender
        self._client = httpx.Client(timeout=timeout_s, transport=transport,
                                    headers={"Authorization": f"Bearer {api_key}"})

    def close(self) -> None:
        self._client.close()

    def send(self, message: OutgoingMessage) -> str:
        text = render(message.template, message.locale, message.payload).sms
        body = {"to": message.recipient, "from": self.sender, "text": text,
                "client_reference": message.idempotency_key}
        who = mask_msisdn(message.recipient)
        try:
            r = self._client.post(f"{self.base_url}/v1/messages", json=body)
        except httpx.TimeoutException:
            raise IntegrationError(SYSTEM, "SMS_TIMEOUT", f"the gateway did not answer in time (to {who})",
                                   retryable=True) from None
        except httpx.TransportError as e:
            raise IntegrationError(SYSTEM, "SMS_UNREACHABLE", f"{self.base_url}: {type(e).__name__}",
                                   retryable=True) from None
        if r.status_code in (200, 201):
            try:
                return str(r.json()["id"])
            except (ValueError, KeyError, TypeError):
                raise IntegrationError(SYSTEM, "SMS_BAD_RESPONSE", "the gateway's answer has no message id",
                                       retryable=True) from None
        detail = _detail(r)
        if r.status_code in (401, 403):
            raise IntegrationError(SYSTEM, "SMS_AUTH_FAILED", f"API key refused ({r.status_code})", retryable=False)
        if r.status_code in (400, 422):
            raise IntegrationError(SYSTEM, "SMS_REJECTED", f"message to {who} refused: {detail}", retryable=False)
        if r.status_code == 429:
            raise IntegrationError(SYSTEM, "SMS_RATE_LIMITED", "too many requests", retryable=True)
        if r.status_code >= 500:
            raise IntegrationError(SYSTEM, "SMS_GATEWAY_ERROR", f"gateway error {r.status_code}: {detail}",
                                   retryable=True)
        raise IntegrationError(SYSTEM, "SMS_CLIENT_ERROR", f"gateway answered {r.status_code}: {detail}",
                               retryable=False)


def _detail(r: httpx.Response) -> str:
    try:
        data = r.json()
        return str(data.get("error") or data.get("detail") or data)[:200]
    except ValueError:
        return r.text[:200]
