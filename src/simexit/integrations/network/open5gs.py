"""Open5GS WebUI REST (``webui/server/``); see PROTOCOLS.md §C.

Log-in takes three calls: ``GET /api/auth/csrf`` (a session cookie and a CSRF token), ``POST /api/auth/login``
(the session is regenerated: new cookie), ``GET /api/auth/session`` (a new CSRF token and the JWT). Then
``/api/db/Subscriber/{imsi}`` needs ``Authorization: Bearer <JWT>``, and writes also the cookie and
``X-CSRF-Token``. bar: PATCH ``subscriber_status: 1`` (operator-determined barring); delete: DELETE (204).
Open5GS has no deregister call: ``deregister`` checks that the bar is stored.

**Open5GS does not enforce the bar** (issue 13, item 8; PROTOCOLS.md §C): its MME and AMF never read
``subscriber_status`` or the ODB, and deleting a subscriber sends no Cancel-Location. A closed line keeps
service until the UE authenticates or attaches again, when the HSS no longer knows it. ``deregister`` says so
in its result (``service_stops: at_next_authentication``), which the closure's timeline shows. The one
supported way to detach at once is outside the WebUI: with ``hss.use_mongodb_change_stream: true`` (MongoDB
as a replica set) set ``request_cancel_location: true`` on the subscriber document in MongoDB before the
delete; the WebUI drops that key from a PATCH.
"""

from __future__ import annotations

from typing import Any

import httpx

from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import json_body, raise_for_status, request
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.network.base import Subscriber

SYSTEM = "open5gs"
SERVICE_STOPS = "at_next_authentication"  # nothing in Open5GS detaches a barred or deleted subscriber


class Open5gsProvisioner:
    name = "open5gs"

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 10,
                 client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                             transport=PerThreadTransport())
        self.username, self.password = username, password
        self._csrf: str | None = None
        self._jwt: str | None = None

    def _login(self) -> None:
        self.client.cookies.clear()
        resp = request(self.client, SYSTEM, "GET", "/api/auth/csrf")
        raise_for_status(SYSTEM, resp)
        csrf = json_body(SYSTEM, resp)["csrfToken"]
        resp = request(self.client, SYSTEM, "POST", "/api/auth/login", headers={"X-CSRF-Token": csrf},
                       json={"username": self.username, "password": self.password})
        if resp.status_code == 401:
            raise IntegrationError(SYSTEM, "LOGIN_REFUSED", "the WebUI refused the credentials", retryable=False)
        raise_for_status(SYSTEM, resp, ok=(200, 302))
        resp = request(self.client, SYSTEM, "GET", "/api/auth/session")
        raise_for_status(SYSTEM, resp)
        session = json_body(SYSTEM, resp)
        if not session or not session.get("authToken"):
            raise IntegrationError(SYSTEM, "LOGIN_REFUSED", "no session after log-in", retryable=False)
        self._csrf, self._jwt = session["csrfToken"], session["authToken"]

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            if self._jwt is None:
                self._login()
            headers = {"Authorization": f"Bearer {self._jwt}"}
            if method != "GET":
                headers["X-CSRF-Token"] = self._csrf or ""
            resp = request(self.client, SYSTEM, method, path, headers=headers, **kwargs)
            if resp.status_code in (401, 403) and attempt == 1:
                self._jwt = None  # the session ended: log in again once
                continue
            return resp
        return resp

    def _imsi(self, sub: Subscriber) -> str:
        if sub.imsi:
            return sub.imsi
        resp = self._call("GET", "/api/db/Subscriber", params={"query": f'{{"msisdn":"{sub.msisdn.lstrip("+")}"}}'})
        raise_for_status(SYSTEM, resp)
        found = json_body(SYSTEM, resp)
        if not found:
            raise IntegrationError(SYSTEM, "SUBSCRIBER_UNKNOWN", "no subscriber with this number", retryable=False)
        return found[0]["imsi"]

    def bar(self, sub: Subscriber, idempotency_key: str) -> None:
        resp = self._call("PATCH", f"/api/db/Subscriber/{self._imsi(sub)}",
                          json={"subscriber_status": 1, "operator_determined_barring": 1})
        if resp.status_code == 404:
            raise IntegrationError(SYSTEM, "SUBSCRIBER_UNKNOWN", "no subscriber with this IMSI", retryable=False)
        raise_for_status(SYSTEM, resp)

    def deregister(self, sub: Subscriber, idempotency_key: str) -> dict[str, Any]:
        resp = self._call("GET", f"/api/db/Subscriber/{self._imsi(sub)}")
        if resp.status_code == 404:
            return {"service_stops": SERVICE_STOPS}  # already deleted
        raise_for_status(SYSTEM, resp)
        if json_body(SYSTEM, resp).get("subscriber_status") != 1:
            raise IntegrationError(SYSTEM, "BAR_NOT_APPLIED", "the subscriber is not barred", retryable=True)
        return {"service_stops": SERVICE_STOPS}

    def delete(self, sub: Subscriber, idempotency_key: str) -> None:
        try:
            imsi = self._imsi(sub)
        except IntegrationError as exc:
            if exc.code == "SUBSCRIBER_UNKNOWN":
                return  # no subscriber has this number any more: a repeated delete is done
            raise
        resp = self._call("DELETE", f"/api/db/Subscriber/{imsi}")
        if resp.status_code == 404:
            return  # already gone: the delete is done
        raise_for_status(SYSTEM, resp, ok=(200, 204))
