"""An ES2+ SM-DP+ server (PROTOCOLS.md §A): profiles by ICCID with their SM-DP+ state.

``cancelOrder`` moves a profile that is not on a device to ``finalProfileStatusIndicator``
(Available/Unavailable); a downloaded or installed one answers 8.2.1/3.3. ``releaseProfile`` moves a
Confirmed/Allocated/Linked profile to Released, otherwise 8.2.1/3.5. Unknown ICCIDs answer 8.2.1/3.9 (or are
taken as Released with ``lenient``). A repeated ``functionCallIdentifier`` gets the first answer again and
changes nothing. Business failures are HTTP 200 with ``status: "Failed"``, as in ES2+.
``POST /_sim/seed`` with ``[{"iccid", "state", "eid"}]`` creates profiles. Effects: ``cancel_order``,
``release_profile``.
"""

from __future__ import annotations

from typing import Any

from simexit.simulators.http_server import Reply, Simulator, register

PROTOCOL = {"X-Admin-Protocol": "gsma/rsp/v2.5.0"}
ON_DEVICE = frozenset({"Downloaded", "Installed", "Enabled", "Disabled"})


def _success() -> dict[str, Any]:
    return {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}


def _failed(subject: str, reason: str, iccid: str | None, message: str) -> dict[str, Any]:
    data = {"subjectCode": subject, "reasonCode": reason, "message": message}
    if iccid:
        data["subjectIdentifier"] = iccid
    return {"header": {"functionExecutionStatus": {"status": "Failed", "statusCodeData": data}}}


class SmdpSimulator(Simulator):
    name = "smdp"

    def __init__(self, lenient: bool = False) -> None:
        self.lenient = lenient
        super().__init__()

    def reset_state(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}  # functionCallIdentifier → first answer

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        if method == "POST" and path == "/_sim/seed":
            with self.lock:
                for p in body or []:
                    self.profiles[str(p["iccid"])] = {"iccid": str(p["iccid"]), "state": p.get("state", "Released"),
                                                      "eid": p.get("eid")}
                return 200, {"profiles": len(self.profiles)}, {}
        if method == "GET" and path == "/_sim/state":
            with self.lock:
                return 200, list(self.profiles.values()), {}
        return super().admin(method, path, body)

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]) -> Reply:
        prefix = "/gsma/rsp2/es2plus/"
        if method != "POST" or not path.startswith(prefix):
            return 404, {"error": "not found"}, PROTOCOL
        if not headers.get("x-admin-protocol", "").startswith("gsma/rsp/"):
            return 400, {"error": "X-Admin-Protocol missing"}, PROTOCOL
        function = path[len(prefix):]
        header = (body or {}).get("header") if isinstance(body, dict) else None
        if not isinstance(header, dict) or not header.get("functionRequesterIdentifier") \
                or not header.get("functionCallIdentifier"):
            return 200, _failed("1.6", "2.2", None, "header fields missing"), PROTOCOL
        call_id = f"{header['functionRequesterIdentifier']}/{header['functionCallIdentifier']}"
        with self.lock:
            if call_id in self.answers:
                return 200, self.answers[call_id], PROTOCOL
            answer = self._run(function, body)
            self.answers[call_id] = answer
            return 200, answer, PROTOCOL

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
            if profile["state"] == final:
                return _success()
            profile["state"] = final
            self.effect(kind="cancel_order", iccid=profile["iccid"], final=final)
            return _success()
        if profile["state"] not in ("Allocated", "Linked", "Confirmed"):
            return _failed("8.2.1", "3.5", iccid, "profile cannot be released")
        profile["state"] = "Released"
        self.effect(kind="release_profile", iccid=profile["iccid"])
        return _success()


register("smdp", SmdpSimulator)
