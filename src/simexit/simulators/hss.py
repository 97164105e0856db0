"""A PyHSS-compatible REST server (PROTOCOLS.md §B): subscribers, AuC and IMS subscribers in memory.

Like PyHSS it answers an unknown id with ``200 null`` (``400 null`` for IMS lookups), needs
``Provisioning-Key`` on writes when a key is set, logs ``operation_id``, and refuses to delete an AuC row a
subscriber still points to. ``POST /_sim/seed`` with ``[{"imsi", "msisdn", "iccid", "ims": true}]`` creates
the three records per line. Effects: ``bar``, ``deregister``, ``delete_ims``, ``delete_subscriber``,
``delete_auc`` (only real state changes: a second deregister of a detached line is no effect).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from simexit.simulators.http_server import Reply, Simulator, register

HEADERS = {"HSS": "hss.simexit.sim"}


class HssSimulator(Simulator):
    name = "hss"

    def __init__(self, provisioning_key: str | None = None) -> None:
        self.provisioning_key = provisioning_key
        super().__init__()

    def reset_state(self) -> None:
        self.subscribers: dict[int, dict[str, Any]] = {}
        self.aucs: dict[int, dict[str, Any]] = {}
        self.ims: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)

    # -- seeding ---------------------------------------------------------------------------------------------
    def seed(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        with self.lock:
            for e in entries:
                imsi, msisdn = str(e["imsi"]), str(e["msisdn"]).lstrip("+")
                auc_id = next(self.ids)
                self.aucs[auc_id] = {"auc_id": auc_id, "iccid": e.get("iccid"), "imsi": imsi, "ki": "0" * 32,
                                     "opc": "0" * 32, "amf": "8000", "sqn": 1, "esim": bool(e.get("esim"))}
                sid = next(self.ids)
                self.subscribers[sid] = {"subscriber_id": sid, "imsi": imsi, "msisdn": msisdn, "enabled": True,
                                         "auc_id": auc_id, "default_apn": 1, "apn_list": "1", "nam": 0,
                                         "serving_mme": "mme.sim", "attributes": []}
                ims_id = None
                if e.get("ims", True):
                    ims_id = next(self.ids)
                    self.ims[ims_id] = {"ims_subscriber_id": ims_id, "imsi": imsi, "msisdn": msisdn,
                                        "msisdn_list": msisdn, "scscf": "scscf.sim"}
                out.append({"imsi": imsi, "subscriber_id": sid, "auc_id": auc_id, "ims_subscriber_id": ims_id})
        return out

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        if method == "POST" and path == "/_sim/seed":
            return 200, self.seed(body or []), HEADERS
        if method == "GET" and path == "/_sim/state":
            with self.lock:
                return 200, {"subscribers": list(self.subscribers.values()), "auc": list(self.aucs.values()),
                             "ims_subscribers": list(self.ims.values())}, HEADERS
        return super().admin(method, path, body)

    # -- the PyHSS API ---------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]) -> Reply:
        if self.provisioning_key and method in ("PUT", "PATCH", "DELETE", "POST") \
                and headers.get("provisioning-key") != self.provisioning_key:
            return 401, {"Result": "Unauthorized - Provisioning-Key Invalid"}, HEADERS
        op = query.get("operation_id", "")
        with self.lock:
            for pattern, fn in self._routes():
                m = re.fullmatch(pattern, f"{method} {path}")
                if m:
                    return fn(*m.groups(), body=body, op=op)
        return 404, {"Result": "Not Found"}, HEADERS

    def _routes(self) -> list[tuple[str, Any]]:
        return [
            (r"GET /subscriber/imsi/(\d+)", lambda imsi, **_: self._one(self.subscribers, "imsi", imsi)),
            (r"GET /subscriber/msisdn/\+?(\d+)", lambda m, **_: self._one(self.subscribers, "msisdn", m)),
            (r"GET /subscriber/(\d+)", lambda i, **_: (200, self.subscribers.get(int(i)), HEADERS)),
            (r"PATCH /subscriber/(\d+)", self._patch_subscriber),
            (r"DELETE /subscriber/(\d+)", lambda i, op, **_: self._delete(self.subscribers, int(i), op,
                                                                         "delete_subscriber")),
            (r"GET /ims_subscriber/ims_subscriber_imsi/(\d+)", lambda imsi, **_: self._ims_lookup("imsi", imsi)),
            (r"GET /ims_subscriber/ims_subscriber_msisdn/\+?(\d+)", lambda m, **_: self._ims_lookup("msisdn", m)),
            (r"DELETE /ims_subscriber/(\d+)", lambda i, op, **_: self._delete(self.ims, int(i), op, "delete_ims")),
            (r"GET /auc/imsi/(\d+)", lambda imsi, **_: self._one(self.aucs, "imsi", imsi)),
            (r"GET /auc/iccid/(\w+)", lambda iccid, **_: self._one(self.aucs, "iccid", iccid)),
            (r"GET /auc/(\d+)", lambda i, **_: (200, self.aucs.get(int(i)), HEADERS)),
            (r"DELETE /auc/(\d+)", self._delete_auc),
            (r"GET /oam/deregister/(\d+)", self._deregister),
        ]

    def _one(self, table: dict[int, dict[str, Any]], field: str, value: str) -> Reply:
        row = next((r for r in table.values() if str(r.get(field)) == value), None)
        return 200, row, HEADERS

    def _ims_lookup(self, field: str, value: str) -> Reply:
        row = next((r for r in self.ims.values() if str(r.get(field)) == value), None)
        return (200, row, HEADERS) if row else (400, None, HEADERS)

    def _patch_subscriber(self, sid: str, body: Any, op: str) -> Reply:
        row = self.subscribers.get(int(sid))
        if row is None or not isinstance(body, dict):
            return 200, None, HEADERS
        if "enabled" in body and not isinstance(body["enabled"], bool):
            return 200, None, HEADERS
        was = row["enabled"]
        for k, v in body.items():
            if k in row and k != "subscriber_id":
                row[k] = v.lstrip("+") if k == "msisdn" and isinstance(v, str) else v
        if was and row["enabled"] is False:
            row["serving_mme"] = None
            self.effect(kind="bar", imsi=row["imsi"], msisdn=row["msisdn"], operation_id=op)
        return 200, row, HEADERS

    def _delete(self, table: dict[int, dict[str, Any]], rid: int, op: str, kind: str) -> Reply:
        row = table.pop(rid, None)
        if row is None:
            return 200, None, HEADERS
        self.effect(kind=kind, imsi=row.get("imsi"), msisdn=row.get("msisdn"), operation_id=op)
        return 200, {"Result": "OK"}, HEADERS

    def _delete_auc(self, aid: str, op: str, **_: Any) -> Reply:
        if any(s["auc_id"] == int(aid) for s in self.subscribers.values()):
            return 400, {"result": "Failed", "reason": "A database integrity error occurred: "
                                                       "FOREIGN KEY constraint failed"}, HEADERS
        return self._delete(self.aucs, int(aid), op, "delete_auc")

    def _deregister(self, imsi: str, **_: Any) -> Reply:
        sub = next((r for r in self.subscribers.values() if r["imsi"] == imsi), None)
        ims = next((r for r in self.ims.values() if r["imsi"] == imsi), None)
        if sub is None or ims is None:
            return 200, None, HEADERS
        if sub.get("serving_mme") or ims.get("scscf"):
            self.effect(kind="deregister", imsi=imsi, msisdn=sub["msisdn"])
        sub["serving_mme"] = None
        ims["scscf"] = None
        return 200, {"subscriber": sub, "ims_subscriber": ims, "pcrf": {"apns": {}}}, HEADERS


register("hss", HssSimulator)
