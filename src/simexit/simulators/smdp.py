"""An ES2+ SM-DP+ (PROTOCOLS.md §A, "Behaviour a faithful simulator must reproduce"): profiles by ICCID.

As the real ones (pySim's ES2+ server framework, ostelco):
- served over TLS with ``tls=ServerTls(cert, key, client_ca)`` it **requires a client certificate** in the
  handshake (there is no API key);
- a repeated ``functionCallIdentifier`` is **executed again**, never answered from a cache: a cancelOrder
  retried after a lost answer meets the profile's new state and fails (8.2.1/3.5);
- business failures are HTTP 200 with ``status: "Failed"`` and subject/reason codes;
- ``cancelOrder`` moves a profile that is not on a device to ``finalProfileStatusIndicator``; a downloaded or
  installed one answers 8.2.1/3.3; a profile already Available/Unavailable answers 8.2.1/3.5.
  ``releaseProfile`` moves Confirmed/Allocated/Linked to Released, otherwise 8.2.1/3.5.
- notifications (``POST /_sim/notify``) go to the operator's handleDownloadProgressInfo with the SM-DP+'s
  own client certificate and no header credential, with the published ``notificationPointId`` values
  (5 = deleted; a string with ``point_as_string``), a ``resultData`` naming the operation, and an FCI that is
  ``FCI-<unixtime>-<n>`` (pySim) or, with ``constant_fci``, always ``"handleDownloadProgressInfo"``.

Admin: ``POST /_sim/seed`` ``[{"iccid", "state", "eid"}]``; ``GET /_sim/state``; ``POST /_sim/lose_answers``
``{"count": n}`` (execute the next n calls, then answer 503 as if the answer was lost on the way);
``POST /_sim/notify`` ``{"iccid", "operation": "install"|"enable"|"disable"|"delete"|"download"|
"eligibility_check", "status": "Executed-Success", "point": 5, "result_data": true, "naive_timestamp": false}``
(answers what the operator answered). Effects: ``cancel_order``, ``release_profile``, ``notification_sent``.
"""

from __future__ import annotations

import base64
import itertools
import ssl
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from simexit.simulators.http_server import Reply, Request, ServerTls, Simulator, register

PROTOCOL = {"X-Admin-Protocol": "gsma/rsp/v2.5.0"}
ON_DEVICE = frozenset({"Downloaded", "Installed", "Enabled", "Disabled"})
CANCELLABLE = frozenset({"Released", "Allocated", "Linked", "Confirmed"})
POINTS = {"eligibility_check": 1, "confirmation_failure": 2, "download": 3, "install": 4, "delete": 5}
EVENT_BITS = {"install": 0, "enable": 1, "disable": 2, "delete": 3}
CONSTANT_FCI = "handleDownloadProgressInfo"  # one vendor's notifications carry this FCI every time


def _success() -> dict[str, Any]:
    return {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}


def _failed(subject: str, reason: str, iccid: str | None, message: str) -> dict[str, Any]:
    data = {"subjectCode": subject, "reasonCode": reason, "message": message}
    if iccid:
        data["subjectIdentifier"] = iccid
    return {"header": {"functionExecutionStatus": {"status": "Failed", "statusCodeData": data}}}


# -- a PendingNotification as the eUICC signs it (SGP.22, pySim rsp.asn), without real signatures --------------
def _der(tag: bytes, value: bytes) -> bytes:
    n = len(value)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return tag + length + value


def _bcd_iccid(iccid: str) -> bytes:
    digits = (iccid + "F" * 20)[:20]
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, 20, 2))


def pending_notification(operation: str, iccid: str, seq: int = 1) -> bytes:
    """DER of ``PendingNotification``: ``profileInstallationResult`` [55] for an installation, otherwise
    ``otherSignedNotification`` with the one NotificationEvent bit of the operation set."""
    metadata = (_der(b"\x80", seq.to_bytes(2, "big"))                          # seqNumber [0]
                + _der(b"\x81", bytes([4, 0x80 >> EVENT_BITS[operation]]))    # [1] NotificationEvent, 4 bits
                + _der(b"\x0c", b"smdp.sim.example")                          # notificationAddress UTF8String
                + _der(b"\x5a", _bcd_iccid(iccid)))                            # iccid [APPLICATION 26]
    if operation == "install":
        data = _der(b"\xbf\x27", _der(b"\x80", b"\x01") + _der(b"\xbf\x2f", metadata)
                    + _der(b"\xa2", _der(b"\xa0", b"")))
        return _der(b"\xbf\x37", data + _der(b"\x5f\x37", b"\x00" * 64))
    cert = _der(b"\x30", _der(b"\x30", b"") + _der(b"\x30", b"") + _der(b"\x03", b"\x00"))  # a stand-in
    return _der(b"\x30", _der(b"\xbf\x2f", metadata) + _der(b"\x5f\x37", b"\x00" * 64) + cert + cert)


class SmdpSimulator(Simulator):
    name = "smdp"

    def __init__(self, lenient: bool = False, *, tls: ServerTls | None = None, requester_id: str = "smdp.sim",
                 callback_url: str | None = None, client_tls: ssl.SSLContext | None = None,
                 constant_fci: bool = False, point_as_string: bool = False) -> None:
        self.lenient, self.requester_id = lenient, requester_id
        self.callback_url, self.client_tls = callback_url, client_tls
        self.constant_fci, self.point_as_string = constant_fci, point_as_string
        self._fci = itertools.count(1)
        super().__init__(tls=tls)

    def reset_state(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        self.lose_answers = 0

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        if method == "POST" and path == "/_sim/seed":
            with self.lock:
                for p in body or []:
                    self.profiles[str(p["iccid"])] = {"iccid": str(p["iccid"]), "state": p.get("state", "Released"),
                                                      "eid": p.get("eid")}
                return Reply(200, {"profiles": len(self.profiles)})
        if method == "GET" and path == "/_sim/state":
            with self.lock:
                return Reply(200, list(self.profiles.values()))
        if method == "POST" and path == "/_sim/lose_answers":
            with self.lock:
                self.lose_answers = int((body or {}).get("count", 1))
                return Reply(200, {"lose_answers": self.lose_answers})
        if method == "POST" and path == "/_sim/notify":
            return Reply(200, self.notify(**(body or {})))
        return super().admin(method, path, body)

    # -- operator → SM-DP+ ---------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        prefix = "/gsma/rsp2/es2plus/"
        if req.method != "POST" or not req.path.startswith(prefix):
            return Reply(404, {"error": "not found"}, PROTOCOL)
        if not req.headers.get("x-admin-protocol", "").startswith("gsma/rsp/"):
            return Reply(400, {"error": "X-Admin-Protocol missing"}, PROTOCOL)
        body = req.body
        header = body.get("header") if isinstance(body, dict) else None
        if not isinstance(header, dict) or not header.get("functionRequesterIdentifier") \
                or not header.get("functionCallIdentifier"):
            return Reply(200, _failed("1.6", "2.2", None, "header fields missing"), PROTOCOL)
        answer = self._run(req.path[len(prefix):], body)  # executed every time, repeated FCI or not
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return Reply(503, {"error": "the answer was lost on the way"})
        return Reply(200, answer, PROTOCOL)

    def _profile(self, iccid: str) -> dict[str, Any] | None:
        iccid = iccid.rstrip("Ff")
        if iccid not in self.profiles and self.lenient:
            self.profiles[iccid] = {"iccid": iccid, "state": "Released", "eid": None}
        return self.profiles.get(iccid)

    def _run(self, function: str, body: dict[str, Any]) -> dict[str, Any]:
        iccid = body.get("iccid")
        if function not in ("cancelOrder", "releaseProfile", "downloadOrder", "confirmOrder"):
            return _failed("1.6", "3.1", None, f"function {function} unsupported")
        if function in ("downloadOrder", "confirmOrder"):
            return _failed("1.6", "3.1", None, f"{function} is not simulated")
        if not isinstance(iccid, str) or not iccid:
            return _failed("8.2.1", "2.2", None, "iccid missing")
        profile = self._profile(iccid)
        if profile is None:
            return _failed("8.2.1", "3.9", iccid, "ICCID unknown")
        if function == "cancelOrder":
            final = body.get("finalProfileStatusIndicator")
            if final not in ("Available", "Unavailable"):
                return _failed("1.6", "2.2", iccid, "finalProfileStatusIndicator missing or invalid")
            if body.get("eid") and profile.get("eid") and body["eid"] != profile["eid"]:
                return _failed("8.2.1", "3.10", iccid, "a different EID is associated")
            if profile["state"] in ON_DEVICE:
                return _failed("8.2.1", "3.3", iccid, "profile already downloaded")
            if profile["state"] not in CANCELLABLE:
                return _failed("8.2.1", "3.5", iccid, f"no order to cancel: the profile is {profile['state']}")
            profile["state"] = final
            self.effect(kind="cancel_order", iccid=profile["iccid"], final=final)
            return _success()
        if profile["state"] not in ("Allocated", "Linked", "Confirmed"):
            return _failed("8.2.1", "3.5", iccid, "profile cannot be released")
        profile["state"] = "Released"
        self.effect(kind="release_profile", iccid=profile["iccid"])
        return _success()

    # -- SM-DP+ → operator ---------------------------------------------------------------------------------------
    def notification(self, iccid: str, operation: str = "delete", status: str = "Executed-Success",
                     point: int | None = None, result_data: bool = True, naive_timestamp: bool = False,
                     eid: str | None = None) -> dict[str, Any]:
        """The body of one handleDownloadProgressInfo, as a real SM-DP+ sends it."""
        point = point if point is not None else POINTS.get(operation, 5)
        fci = CONSTANT_FCI if self.constant_fci else f"FCI-{int(time.time())}-{next(self._fci)}"
        when = datetime.now(UTC).replace(microsecond=0)
        body: dict[str, Any] = {
            "header": {"functionRequesterIdentifier": self.requester_id, "functionCallIdentifier": fci},
            "iccid": iccid, "profileType": "simexit-test",
            "timestamp": when.replace(tzinfo=None).isoformat() if naive_timestamp else
            when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notificationPointId": str(point) if self.point_as_string else point,
            "notificationPointStatus": {"status": status}}
        if eid:
            body["eid"] = eid
        if result_data and operation in EVENT_BITS:
            body["resultData"] = base64.b64encode(pending_notification(operation, iccid)).decode()
        return body

    def notify(self, iccid: str, callback_url: str | None = None, **kw: Any) -> dict[str, Any]:
        """Send a notification to the operator (with this SM-DP+'s client certificate); returns its answer."""
        body = self.notification(iccid, **kw)
        url = callback_url or self.callback_url
        if not url:
            return {"error": "no callback_url configured"}
        with httpx.Client(verify=self.client_tls or True, timeout=10) as client:
            try:
                resp = client.post(f"{url.rstrip('/')}/gsma/rsp2/es2plus/handleDownloadProgressInfo", json=body,
                                   headers={"X-Admin-Protocol": "gsma/rsp/v2.5.0"})
            except httpx.TransportError as exc:
                return {"error": f"{type(exc).__name__}: {exc}", "sent": body}
        self.effect(kind="notification_sent", iccid=iccid, status=resp.status_code,
                    fci=body["header"]["functionCallIdentifier"])
        return {"status": resp.status_code, "body": resp.text, "sent": body}


register("smdp", SmdpSimulator)
