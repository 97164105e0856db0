"""PyHSS REST API (nickvsnetworking/pyhss ``services/apiService.py``); see PROTOCOLS.md §B.

bar: ``PATCH /subscriber/{id}`` with ``{"enabled": false}``; deregister: ``GET /oam/deregister/{imsi}``;
delete: ``DELETE /ims_subscriber/{id}``, ``/subscriber/{id}``, ``/auc/{id}`` in that order (the subscriber
points at its AuC row). PyHSS answers an unknown id with ``200 null``: a ``null`` body is a failure, never
a success. The idempotency key travels as ``operation_id`` (PyHSS's change log, ≤ 36 characters).
"""

from __future__ import annotations

from typing import Any

import httpx

from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import json_body, raise_for_status, request
from simexit.integrations.network.base import Subscriber

SYSTEM = "pyhss"


class PyHssProvisioner:
    name = "pyhss"

    def __init__(self, base_url: str, provisioning_key: str | None = None, *, timeout: float = 10,
                 client: httpx.Client | None = None) -> None:
        headers = {"Provisioning-Key": provisioning_key} if provisioning_key else {}
        self.client = client or httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    # -- lookups ---------------------------------------------------------------------------------------------
    def _get(self, path: str) -> Any:
        resp = request(self.client, SYSTEM, "GET", path)
        if resp.status_code in (200, 400) and resp.content.strip() in (b"null", b""):
            return None
        raise_for_status(SYSTEM, resp)
        return json_body(SYSTEM, resp)

    def _subscriber(self, sub: Subscriber) -> dict[str, Any] | None:
        if sub.imsi:
            return self._get(f"/subscriber/imsi/{sub.imsi}")
        return self._get(f"/subscriber/msisdn/{sub.msisdn.lstrip('+')}")

    def _ims(self, sub: Subscriber, imsi: str | None) -> dict[str, Any] | None:
        if imsi:
            return self._get(f"/ims_subscriber/ims_subscriber_imsi/{imsi}")
        return self._get(f"/ims_subscriber/ims_subscriber_msisdn/{sub.msisdn.lstrip('+')}")

    def _auc(self, sub: Subscriber, imsi: str | None) -> dict[str, Any] | None:
        return self._get(f"/auc/imsi/{imsi}") if imsi else self._get(f"/auc/iccid/{sub.iccid}")

    def _write(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        resp = request(self.client, SYSTEM, method, path, params={"operation_id": key[:36]}, **kwargs)
        raise_for_status(SYSTEM, resp)
        body = json_body(SYSTEM, resp)
        if body is None:
            raise IntegrationError(SYSTEM, "NULL_RESULT", f"{method} {path} answered null (unknown id or bad value)",
                                   retryable=False)
        return body

    # -- NetworkProvisioner ----------------------------------------------------------------------------------
    def bar(self, sub: Subscriber, idempotency_key: str) -> None:
        row = self._subscriber(sub)
        if row is None:
            raise IntegrationError(SYSTEM, "SUBSCRIBER_UNKNOWN", "the HSS has no subscriber for this line",
                                   retryable=False)
        if row.get("enabled") is False:
            return  # already barred: nothing to repeat
        body = self._write("PATCH", f"/subscriber/{row['subscriber_id']}", idempotency_key, json={"enabled": False})
        if body.get("enabled") is not False:
            raise IntegrationError(SYSTEM, "BAR_NOT_APPLIED", "the subscriber is still enabled", retryable=True)

    def deregister(self, sub: Subscriber, idempotency_key: str) -> None:
        row = self._subscriber(sub)
        imsi = sub.imsi or (row or {}).get("imsi")
        if row is None or not imsi:
            raise IntegrationError(SYSTEM, "SUBSCRIBER_UNKNOWN", "the HSS has no subscriber for this line",
                                   retryable=False)
        ims = self._ims(sub, imsi)
        if ims is None:
            # PyHSS deregisters through the IMS record; a data-only line has none and its bar already sent
            # the Cancel-Location to the MME.
            return
        if not row.get("serving_mme") and not ims.get("scscf"):
            return  # already detached everywhere (a repeated step): nothing to send again
        if self._get(f"/oam/deregister/{imsi}") is None:
            raise IntegrationError(SYSTEM, "NULL_RESULT", "deregister answered null", retryable=True)

    def delete(self, sub: Subscriber, idempotency_key: str) -> None:
        row = self._subscriber(sub)
        imsi = sub.imsi or (row or {}).get("imsi")
        ims = self._ims(sub, imsi)
        if ims is not None:
            self._write("DELETE", f"/ims_subscriber/{ims['ims_subscriber_id']}", idempotency_key)
        auc_id = row.get("auc_id") if row else None
        if row is not None:
            self._write("DELETE", f"/subscriber/{row['subscriber_id']}", idempotency_key)
        auc = self._get(f"/auc/{auc_id}") if auc_id is not None else self._auc(sub, imsi)
        if auc is not None:
            self._write("DELETE", f"/auc/{auc['auc_id']}", idempotency_key)
