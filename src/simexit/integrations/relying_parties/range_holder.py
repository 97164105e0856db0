"""The notice that returns a ported-in number to its range holder (the operator whose number range it is),
through a configurable hook (``SIMEXIT_NUMBER_RETURN_URL`` and ``SIMEXIT_NUMBER_RETURN_SECRET``;
``simulators/range_holder.py`` plays the range holder). Signed like the disconnect webhooks::

    POST <hook url>
    X-Simexit-Event-Id: <idempotency key>   X-Simexit-Timestamp: …   X-Simexit-Signature: v1=…

    {"event": "number.returned", "event_id": "...", "msisdn": "+4915112345678", "range_holder": "Telekom",
     "disconnected_on": "2026-11-23"}
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date

import httpx

from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.relying_parties.webhooks import post_signed

SYSTEM = "range_holder"
EVENT = "number.returned"


def return_body(range_holder: str, msisdn: str, disconnected_on: date, event_id: str) -> bytes:
    return json.dumps({"event": EVENT, "event_id": event_id, "msisdn": msisdn, "range_holder": range_holder,
                       "disconnected_on": disconnected_on.isoformat()}, separators=(",", ":")).encode()


class HttpNumberReturnHook:
    """``NumberReturnHook`` over one HTTP endpoint for every range holder (the body names which)."""

    def __init__(self, url: str, secret: str, *, timeout_s: float = 5.0, now: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._url, self._secret, self._now = url, secret, now
        self._client = httpx.Client(timeout=timeout_s, transport=transport or PerThreadTransport())

    def close(self) -> None:
        self._client.close()

    def returned(self, range_holder: str, msisdn: str, disconnected_on: date, idempotency_key: str) -> None:
        body = return_body(range_holder, msisdn, disconnected_on, idempotency_key)
        post_signed(self._client, SYSTEM, range_holder, self._url, self._secret, body, idempotency_key, self._now)
