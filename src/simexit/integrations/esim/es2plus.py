"""ES2+ client (GSMA SGP.22, operator → SM-DP+); see PROTOCOLS.md §A.

``POST <base>/gsma/rsp2/es2plus/<function>`` with JSON, ``X-Admin-Protocol: gsma/rsp/v2.5.0`` and the header
``{"functionRequesterIdentifier", "functionCallIdentifier"}``; the idempotency key is the call identifier.
The SM-DP+ answers business failures with HTTP 200 and ``status: "Failed"`` plus subject/reason codes;
these become IntegrationError codes below. Authentication is mutual TLS: the client certificate travels in
an ``ssl.SSLContext`` (``integrations/tls.py``; httpx 0.28+ drops ``cert=`` next to a ``verify`` path).
A repeated ``functionCallIdentifier`` is executed again by every known SM-DP+ (no replay): a retry of a call
whose answer was lost is judged against the profile's new state (see ``closing_steps``: ESIM_STATE_UNCERTAIN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import httpx

from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import json_body, raise_for_status, request
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.tls import client_context

SYSTEM = "smdp"
ADMIN_PROTOCOL = "gsma/rsp/v2.5.0"

# (subject, reason) or (None, reason) → (code, retryable). Subject/reason codes from SGP.22 §5.2.6.
STATUS_CODES: dict[tuple[str | None, str], tuple[str, bool]] = {
    ("8.2.1", "3.9"): ("ICCID_UNKNOWN", False),
    ("8.2.1", "1.2"): ("PROFILE_NOT_ALLOWED", False),
    ("8.2.1", "3.3"): ("PROFILE_ALREADY_DOWNLOADED", False),
    ("8.2.1", "3.5"): ("PROFILE_CANNOT_BE_RELEASED", False),
    ("8.2.1", "3.10"): ("PROFILE_OTHER_EID", False),
    ("8.1.1", "3.9"): ("EID_UNKNOWN", False),
    ("8.1.1", "3.10"): ("EID_OTHER", False),
    ("8.1.1", "2.2"): ("EID_MISSING", False),
    ("8.2.6", "2.1"): ("MATCHING_ID_INVALID", False),
    ("8.2.6", "3.3"): ("MATCHING_ID_CONFLICT", False),
    ("8.2.6", "3.10"): ("MATCHING_ID_OTHER", False),
    ("1.1", "1.1"): ("REQUESTER_UNKNOWN", False),
    ("1.1", "1.2"): ("REQUESTER_NOT_ALLOWED", False),
    (None, "1.2"): ("NOT_ALLOWED", False),
    (None, "2.1"): ("INVALID", False),
    (None, "2.2"): ("MANDATORY_ELEMENT_MISSING", False),
    (None, "4.2"): ("EXECUTION_ERROR", True),
    (None, "4.4"): ("BUSY", True),
    (None, "4.10"): ("TTL_EXPIRED", True),
    (None, "5.1"): ("INACCESSIBLE", True),
    (None, "6.4"): ("MAX_ATTEMPTS_EXCEEDED", False),
}


def map_failure(status: str, data: dict[str, Any] | None) -> IntegrationError:
    data = data or {}
    subject, reason = str(data.get("subjectCode", "")), str(data.get("reasonCode", ""))
    detail = f"{status} {subject}/{reason}" + (f": {data['message']}" if data.get("message") else "")
    if status == "Expired":
        return IntegrationError(SYSTEM, "EXPIRED", detail, retryable=True)
    code, retryable = STATUS_CODES.get((subject, reason)) or STATUS_CODES.get((None, reason)) or (
        f"FAILED_{subject or 'x'}_{reason or 'x'}".replace(".", "_"), False)
    return IntegrationError(SYSTEM, code, detail, retryable=retryable)


class Es2PlusClient:
    def __init__(self, base_url: str, requester_id: str, *, timeout: float = 10, client_cert: Path | None = None,
                 ca_file: Path | None = None, client_key: Path | None = None,
                 client: httpx.Client | None = None) -> None:
        self.requester_id = requester_id
        self.client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                             transport=PerThreadTransport(
                                                 verify=client_context(ca_file, client_cert, client_key)))

    def _call(self, function: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {"header": {"functionRequesterIdentifier": self.requester_id, "functionCallIdentifier": key},
                   **{k: v for k, v in body.items() if v is not None}}
        resp = request(self.client, SYSTEM, "POST", f"/gsma/rsp2/es2plus/{function}", json=payload,
                       headers={"X-Admin-Protocol": ADMIN_PROTOCOL})
        raise_for_status(SYSTEM, resp)
        if not resp.headers.get("X-Admin-Protocol", "").startswith("gsma/rsp/v2."):
            raise IntegrationError(SYSTEM, "BAD_RESPONSE", f"{function}: no gsma/rsp/v2 X-Admin-Protocol header",
                                   retryable=True)
        out = json_body(SYSTEM, resp)
        status = (((out or {}).get("header") or {}).get("functionExecutionStatus") or {})
        if status.get("status") in ("Executed-Success", "Executed-WithWarning"):
            return out
        raise map_failure(str(status.get("status", "missing")), status.get("statusCodeData"))

    def cancel_order(self, iccid: str, final_status: Literal["Available", "Unavailable"], idempotency_key: str,
                     *, eid: str | None = None, matching_id: str | None = None) -> None:
        self._call("cancelOrder", idempotency_key, {"iccid": iccid, "eid": eid, "matchingId": matching_id,
                                                     "finalProfileStatusIndicator": final_status})

    def release_profile(self, iccid: str, idempotency_key: str) -> None:
        self._call("releaseProfile", idempotency_key, {"iccid": iccid})
