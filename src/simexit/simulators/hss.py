"""A PyHSS REST server (PROTOCOLS.md §B, "Behaviour a faithful simulator must reproduce"), in memory, with
PyHSS's quirks as observed on PyHSS @47a3a16:

- ``200 null`` for an unknown id/IMSI/MSISDN, a wrongly typed PATCH value, a duplicate MSISDN and any
  swallowed failure; ``400 null`` for an IMS lookup by IMSI with zero **or several** IMS rows;
- a database outage is a **400** ``"A database operational error occurred"`` (the IMS routes wrap it twice);
- bar answers 200 and leaves ``serving_mme*`` set; its CLR (type 1) goes out only to a connected peer and
  its failure is invisible;
- ``/oam/deregister`` answers 200 and clears the serving fields whether or not a peer is connected
  (``200 null`` without exactly one IMS row); ``/push/clr`` answers 400 when the peer is not connected;
- on the default SQLite backend a subscriber delete orphans its attribute and routing rows, and ids are
  "highest + 1", so the next subscriber inherits them (``backend: "mariadb"`` cascades);
- the operation log keeps every DELETE's pre-image (Ki/OPc included), served without a key;
- ``Provisioning-Key`` on PUT/PATCH/DELETE/POST when a key is set (the GETs stay open).

Seen against the real PyHSS @47a3a16 on 127.0.0.1 (SQLite and MariaDB, 2026-12-06) and reproduced here:
- a create answers, and every read returns, **every column** of PyHSS's table with its default (``COLUMNS``);
  a body naming an unknown column is a **500** (``'x' is an invalid keyword argument for SUBSCRIBER``), one
  without a NOT NULL column (a subscriber's ``auc_id``) a **400** integrity error; on MariaDB a reference to a
  row that does not exist (``auc_id``) is a 400 too (SQLite does not check foreign keys);
- a look-up by MSISDN is by the string as given: ``+316…`` finds nothing (``200 null``), although a create
  stores the number without its ``+``; a non-numeric id (``/subscriber/abc``) is ``200 null``, not a 404;
- the operation log's ``changes`` is a text (``"ki: [str] 465B… ----> [NoneType] None\r\n\r\n…"``);
- on MariaDB an ``operation_id`` longer than its column (36) makes the write answer ``200 null`` although the
  change was made (the log row is what fails);
- ``/oam/deregister``'s ``pcrf`` part names the subscriber's APNs (``{"apns": {"internet": {}}}``).

Create is ``PUT /<resource>/`` as in PyHSS. Admin: ``POST /_sim/seed`` ``[{"imsi", "msisdn", "iccid",
"ims": true, "esim", "serving_mme": "mme.sim", "extra_ims_msisdns": [], "attributes": {}, "static_ip": null}]``;
``POST /_sim/peers`` ``{"<hostname>": {"PeerType": "MME", "Connected": true}}`` (a seeded serving MME is
connected unless told otherwise); ``POST /_sim/database`` ``{"state": "up"|"down"|"swallow"}``;
``GET /_sim/state``. Effects: ``bar``, ``cancel_location`` (``type``, ``sent``), ``deregister``,
``delete_ims``, ``delete_subscriber``, ``delete_auc``, ``delete_attribute``, ``delete_routing``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from simexit.simulators.http_server import Reply, Request, Simulator, register

HEADERS = {"HSS": "hss01"}
OPERATIONAL = "A database operational error occurred: (sqlite3.OperationalError) unable to open database file"
SECRETS = ("ki", "opc", "des", "kid", "psk", "adm1")
TABLES = ("subscriber", "auc", "ims_subscriber", "subscriber_attributes", "subscriber_routing", "apn")
KEYS = {"subscriber": "subscriber_id", "auc": "auc_id", "ims_subscriber": "ims_subscriber_id",
        "subscriber_attributes": "subscriber_attributes_id", "subscriber_routing": "subscriber_routing_id",
        "apn": "apn_id"}
MODELS = {"subscriber": "SUBSCRIBER", "auc": "AUC", "ims_subscriber": "IMS_SUBSCRIBER",
          "subscriber_attributes": "SUBSCRIBER_ATTRIBUTES", "subscriber_routing": "SUBSCRIBER_ROUTING", "apn": "APN"}
# The columns of PyHSS's tables (its lib/database.py @47a3a16) and their defaults, the key and last_modified aside.
_NONE = dict.fromkeys
COLUMNS: dict[str, dict[str, Any]] = {
    "subscriber": {"imsi": None, "enabled": True, "auc_id": None, "default_apn": None, "apn_list": None,
                   "msisdn": None, "ue_ambr_dl": 999999, "ue_ambr_ul": 999999, "nam": 0, "roaming_enabled": True,
                   "roaming_rule_list": None, "subscribed_rau_tau_timer": 300,
                   **_NONE(("serving_mme", "serving_mme_timestamp", "serving_mme_realm", "serving_mme_peer",
                            "serving_msc", "serving_msc_timestamp", "serving_vlr", "serving_vlr_timestamp",
                            "serving_sgsn", "serving_sgsn_timestamp", "last_seen_eci", "last_seen_enodeb_id",
                            "last_seen_cell_id", "last_seen_tac", "last_seen_mcc", "last_seen_mnc",
                            "last_location_update_timestamp"))},
    "auc": {**_NONE(("ki", "opc", "amf", "sqn", "iccid", "imsi", "batch_name", "sim_vendor")), "esim": False,
            **_NONE(("lpa", "pin1", "pin2", "puk1", "puk2", "kid", "psk", "des", "adm1")), "algo": "3",
            **_NONE(("misc1", "misc2", "misc3", "misc4"))},
    "ims_subscriber": _NONE(("msisdn", "msisdn_list", "imsi", "ifc_path", "pcscf", "pcscf_realm",
                             "pcscf_active_session", "pcscf_timestamp", "pcscf_peer", "xcap_profile", "sh_profile",
                             "scscf", "scscf_timestamp", "scscf_realm", "scscf_peer", "sh_template_path")),
    "subscriber_attributes": _NONE(("subscriber_id", "key", "value")),
    "subscriber_routing": {"subscriber_id": None, "apn_id": None, "ip_version": 0, "ip_address": None},
    "apn": {"apn": None, "ip_version": 0, "pgw_address": None, "sgw_address": None,
            "charging_characteristics": "0800", "apn_ambr_dl": None, "apn_ambr_ul": None, "qci": 9,
            "arp_priority": 4, "arp_preemption_capability": False, "arp_preemption_vulnerability": True,
            "charging_rule_list": None, "nbiot": False,
            **_NONE(("nidd_scef_id", "nidd_scef_realm", "nidd_mechanism", "nidd_rds", "nidd_preferred_data_mode"))},
}
NOT_NULL = {"subscriber": ("auc_id", "default_apn", "apn_list"), "auc": ("ki", "opc", "amf"),
            "subscriber_attributes": ("subscriber_id",), "apn": ("apn", "apn_ambr_dl", "apn_ambr_ul")}
# The columns the simulator finds rows by. PyHSS's tables have unique keys on most (subscriber and AuC IMSI, ICCID,
# IMS MSISDN), InnoDB indexes the foreign keys; the simulator indexes the rest too, for speed only.
INDEXED = {"subscriber": ("imsi", "msisdn", "auc_id"), "auc": ("imsi", "iccid"), "ims_subscriber": ("imsi", "msisdn"),
           "subscriber_attributes": ("subscriber_id",), "subscriber_routing": ("subscriber_id",)}
# Foreign keys (checked by MariaDB's InnoDB; PyHSS's SQLite leaves them unchecked).
REFERENCES = {"subscriber": {"auc_id": "auc", "default_apn": "apn"},
              "subscriber_attributes": {"subscriber_id": "subscriber"},
              "subscriber_routing": {"subscriber_id": "subscriber", "apn_id": "apn"}}
OPERATION_ID_LENGTH = 36  # operation_log.operation_id is a String(36)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HssSimulator(Simulator):
    name = "hss"

    def __init__(self, provisioning_key: str | None = None, backend: str = "sqlite") -> None:
        self.provisioning_key, self.backend = provisioning_key, backend
        super().__init__()

    def reset_state(self) -> None:
        self.tables: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in TABLES}
        self.tables["apn"][1] = {**COLUMNS["apn"], "apn": "internet", "apn_ambr_dl": 0, "apn_ambr_ul": 0,
                                 "apn_id": 1, "last_modified": _now()}
        self.peers: dict[str, dict[str, Any]] = {}
        self.database = "up"
        self.operation_log: list[dict[str, Any]] = []
        # The highest id in each table, kept up to date (``max(rows)`` on every insert made seeding 100,000
        # subscribers quadratic: minutes).
        self._top: dict[str, int] = {t: max(rows, default=0) for t, rows in self.tables.items()}
        self._high: dict[str, int] = dict(self._top)  # MariaDB's AUTO_INCREMENT: the last id handed out
        # The columns looked up by value (``INDEXED``), each with its index (value as text → ids in insertion
        # order): without, every lookup scanned every row (a 100,000-subscriber run spent its time in the
        # simulator, not in the client).
        self._index: dict[str, dict[str, dict[str, dict[int, None]]]] = {
            t: {f: {} for f in fields} for t, fields in INDEXED.items()}
        for table, rows in self.tables.items():
            for row in rows.values():
                self._indexed(table, row, add=True)

    # -- rows ------------------------------------------------------------------------------------------------
    def _new_id(self, table: str) -> int:
        if self.backend == "sqlite":  # INTEGER PRIMARY KEY without AUTOINCREMENT: highest + 1, freed ids return
            return self._top[table] + 1
        self._high[table] = max(self._high[table], self._top[table]) + 1  # never handed out twice
        return self._high[table]

    def _indexed(self, table: str, row: dict[str, Any], *, add: bool) -> None:
        rid = row[KEYS[table]]
        for field, index in self._index.get(table, {}).items():
            key = str(row.get(field))
            if add:
                index.setdefault(key, {})[rid] = None
            else:
                ids = index.get(key)
                if ids is not None:
                    ids.pop(rid, None)
                    if not ids:
                        del index[key]

    def _where(self, table: str, field: str, value: Any) -> list[dict[str, Any]]:
        """The rows whose ``field`` equals ``value`` (compared as the caller compares: ``str(row[field]) ==
        value`` for a text value, ``==`` otherwise), in the order they were written."""
        rows = self.tables[table]
        index = self._index.get(table, {}).get(field)
        candidates = (rows[i] for i in index.get(str(value), ())) if index is not None else rows.values()
        if isinstance(value, str):
            return [r for r in candidates if str(r.get(field)) == value]
        return [r for r in candidates if r.get(field) == value]

    def _forget_id(self, table: str, rid: int) -> None:
        """After a delete: when the highest row went, the highest is the next one still there."""
        rows, top = self.tables[table], self._top[table]
        if rid == top:
            while top > 0 and top not in rows:
                top -= 1
            self._top[table] = top

    def _log(self, table: str, rid: int, operation: str, before: dict[str, Any] | None,
             after: dict[str, Any] | None, op: str | None) -> None:
        self.operation_log.append({"id": len(self.operation_log) + 1, "item_id": rid,
                                   "operation_id": op or str(uuid.uuid4()), "operation": operation,
                                   "changes": _changes(before or {}, after or {}), "table_name": table,
                                   "timestamp": _now(), "last_modified": _now()})
        del self.operation_log[:-1000]  # PyHSS keeps a ring of 1000 entries

    def _create(self, table: str, values: dict[str, Any], op: str | None = None) -> dict[str, Any]:
        rid = self._new_id(table)
        row = {KEYS[table]: rid, **COLUMNS[table], **values, "last_modified": _now()}
        self.tables[table][rid] = row
        self._top[table] = max(self._top[table], rid)
        self._indexed(table, row, add=True)
        self._log(table, rid, "INSERT", None, row, op)
        return row

    def _delete_row(self, table: str, rid: int, op: str | None, effect: str) -> Reply:
        row = self.tables[table].pop(rid, None)
        if row is None:
            return Reply(200, None, HEADERS)  # "The specified row does not exist" → handle_exception → null
        self._forget_id(table, rid)
        self._indexed(table, row, add=False)
        self._log(table, rid, "DELETE", row, None, op)  # the pre-image, secrets included
        if table == "subscriber" and self.backend != "sqlite":
            for child in ("subscriber_attributes", "subscriber_routing"):
                for r in self._where(child, "subscriber_id", rid):
                    cid = r[KEYS[child]]
                    self.tables[child].pop(cid)
                    self._forget_id(child, cid)
                    self._indexed(child, r, add=False)
        self.effect(kind=effect, imsi=row.get("imsi"), msisdn=row.get("msisdn"), operation_id=op)
        return Reply(200, {"Result": "OK"}, HEADERS)

    # -- seeding ---------------------------------------------------------------------------------------------
    def seed(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        with self.lock:
            for e in entries:
                imsi, msisdn = str(e["imsi"]), str(e["msisdn"]).lstrip("+")
                auc = self._create("auc", {"iccid": e.get("iccid"), "imsi": imsi, "ki": "0" * 32, "opc": "0" * 32,
                                           "amf": "8000", "sqn": 1, "esim": bool(e.get("esim"))})
                mme = e.get("serving_mme", "mme.sim")
                sub = self._create("subscriber", {
                    "imsi": imsi, "msisdn": msisdn, "enabled": True, "auc_id": auc["auc_id"], "default_apn": 1,
                    "apn_list": "1", "nam": 0, "serving_mme": mme, "serving_mme_realm": "epc.sim" if mme else None,
                    "serving_mme_peer": f"{mme};hss01" if mme else None})
                if mme and mme not in self.peers:
                    self.peers[mme] = {"Hostname": mme, "PeerType": "MME", "Connected": True}
                sid = sub["subscriber_id"]
                for k, v in (e.get("attributes") or {}).items():
                    self._create("subscriber_attributes", {"subscriber_id": sid, "key": k, "value": v})
                if e.get("static_ip"):
                    self._create("subscriber_routing", {"subscriber_id": sid, "apn_id": 1, "ip_version": 0,
                                                        "ip_address": e["static_ip"]})
                ims_ids = []
                if e.get("ims", True):
                    for n in [msisdn, *[str(m).lstrip("+") for m in e.get("extra_ims_msisdns") or []]]:
                        ims_ids.append(self._create("ims_subscriber", {
                            "imsi": imsi, "msisdn": n, "msisdn_list": n, "scscf": "sip:scscf.sim:6060",
                            "scscf_realm": "ims.sim", "scscf_peer": "scscf.sim"})["ims_subscriber_id"])
                out.append({"imsi": imsi, "subscriber_id": sid, "auc_id": auc["auc_id"],
                            "ims_subscriber_id": ims_ids[0] if ims_ids else None, "ims_subscriber_ids": ims_ids})
        return out

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        with self.lock:
            if method == "POST" and path == "/_sim/seed":
                return Reply(200, self.seed(body or []), HEADERS)
            if method == "POST" and path == "/_sim/peers":
                for host, peer in (body or {}).items():
                    self.peers[host] = {"Hostname": host, "PeerType": "MME", "Connected": True, **(peer or {})}
                return Reply(200, self.peers, HEADERS)
            if method == "POST" and path == "/_sim/database":
                self.database = (body or {}).get("state", "up")
                return Reply(200, {"state": self.database}, HEADERS)
            if method == "GET" and path == "/_sim/state":
                return Reply(200, {"subscribers": list(self.tables["subscriber"].values()),
                                   "auc": list(self.tables["auc"].values()),
                                   "ims_subscribers": list(self.tables["ims_subscriber"].values()),
                                   "subscriber_attributes": list(self.tables["subscriber_attributes"].values()),
                                   "subscriber_routing": list(self.tables["subscriber_routing"].values()),
                                   "peers": self.peers}, HEADERS)
        return super().admin(method, path, body)

    # -- the PyHSS API ---------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        method, path = req.method, req.path
        if self.provisioning_key and method in ("PUT", "PATCH", "DELETE", "POST") \
                and req.headers.get("provisioning-key") != self.provisioning_key:
            return Reply(401, {"Result": "Unauthorized - Provisioning-Key Invalid"}, HEADERS)
        op = req.query.get("operation_id")
        for pattern, fn in self._routes():
            m = re.fullmatch(pattern, f"{method} {path}")
            if m:
                if path.startswith("/operation_logs") or path == "/oam/diameter_peers":
                    return fn(*m.groups(), body=req.body, op=op)
                if self.database == "down":
                    failed = {"result": "Failed", "reason": OPERATIONAL}
                    return Reply(400, [failed, 400] if path.startswith("/ims_subscriber/ims_subscriber_")
                                 else failed, HEADERS)
                if self.database == "swallow" and method == "GET":
                    return Reply(200, None, HEADERS)  # e.g. a connection-pool timeout: reads as "not found"
                reply = fn(*m.groups(), body=req.body, op=op)
                if self.backend != "sqlite" and op and len(op) > OPERATION_ID_LENGTH and reply.status == 200 \
                        and method in ("PUT", "PATCH", "DELETE"):
                    return Reply(200, None, HEADERS)  # the change is made; writing its log row fails: null
                return reply
        return Reply(404, {"Result": "Not Found"}, HEADERS)

    def _routes(self) -> list[tuple[str, Any]]:
        t = self.tables
        return [
            (r"PUT /(subscriber|auc|ims_subscriber|subscriber_attributes|apn)/", self._put),
            (r"PUT /subscriber/routing/", lambda body, op, **_: self._put("subscriber_routing", body=body, op=op)),
            (r"GET /subscriber/imsi/(\d+)", lambda v, **_: self._subscriber_by("imsi", v)),
            (r"GET /subscriber/msisdn/(\+?\d+)", lambda v, **_: self._subscriber_by("msisdn", v)),
            (r"GET /subscriber/routing/(\d+)/(\d+)", self._routing_get),
            (r"DELETE /subscriber/routing/(\d+)/(\d+)", self._routing_delete),
            (r"GET /subscriber/(\d+)", lambda i, **_: Reply(200, t["subscriber"].get(int(i)), HEADERS)),
            (r"PATCH /subscriber/(\d+)", self._patch_subscriber),
            (r"DELETE /subscriber/(\d+)", lambda i, op, **_: self._delete_row("subscriber", int(i), op,
                                                                             "delete_subscriber")),
            (r"GET /subscriber_attributes/(\d+)", lambda i, **_: Reply(
                200, self._where("subscriber_attributes", "subscriber_id", int(i)), HEADERS)),
            (r"DELETE /subscriber_attributes/(\d+)", lambda i, op, **_: self._delete_row(
                "subscriber_attributes", int(i), op, "delete_attribute")),
            (r"GET /ims_subscriber/ims_subscriber_imsi/(\d+)", lambda v, **_: self._ims_lookup("imsi", v)),
            (r"GET /ims_subscriber/ims_subscriber_msisdn/(\+?\d+)", lambda v, **_: self._ims_lookup("msisdn", v)),
            (r"GET /ims_subscriber/(\d+)", lambda i, **_: Reply(200, t["ims_subscriber"].get(int(i)), HEADERS)),
            (r"DELETE /ims_subscriber/(\d+)", lambda i, op, **_: self._delete_row("ims_subscriber", int(i), op,
                                                                                 "delete_ims")),
            (r"GET /auc/imsi/(\d+)", lambda v, **_: self._auc_by("imsi", v)),
            (r"GET /auc/iccid/(\w+)", lambda v, **_: self._auc_by("iccid", v)),
            (r"GET /auc/(\d+)", lambda i, **_: Reply(200, _stripped(t["auc"].get(int(i))), HEADERS)),
            (r"DELETE /auc/(\d+)", self._delete_auc),
            (r"GET /oam/deregister/(\d+)", self._deregister),
            (r"GET /oam/diameter_peers", lambda **_: Reply(200, {f"diameter:{h}": p for h, p in self.peers.items()},
                                                           HEADERS)),
            (r"PUT /push/clr/(\d+)", self._push_clr),
            # an id that is not a number finds no row, as any unknown id: 200 null
            (r"(?:GET|PATCH|DELETE) /(?:subscriber|auc|ims_subscriber|subscriber_attributes)/[^/\d][^/]*",
             lambda **_: Reply(200, None, HEADERS)),
            (r"GET /operation_logs/last", lambda **_: Reply(200, self.operation_log[-1] if self.operation_log
                                                            else None, HEADERS)),
            (r"GET /operation_logs/list", lambda **_: Reply(200, list(reversed(self.operation_log)), HEADERS)),
        ]

    def _put(self, table: str, body: Any, op: str | None, **_: Any) -> Reply:
        if not isinstance(body, dict):
            return Reply(500, {"result": "Failed", "reason": "An internal server error occurred: no JSON"}, HEADERS)
        values = {k: v for k, v in body.items() if k != KEYS[table]}
        unknown = next((k for k in values if k not in COLUMNS[table] and k != "last_modified"), None)
        if unknown is not None:  # the model refuses the keyword before any SQL
            return Reply(500, {"result": "Failed", "reason": "An internal server error occurred: "
                               f"'{unknown}' is an invalid keyword argument for {MODELS[table]}"}, HEADERS)
        if "msisdn" in values and isinstance(values["msisdn"], str):
            values["msisdn"] = values["msisdn"].replace("+", "")
        missing = next((c for c in NOT_NULL.get(table, ()) if values.get(c) is None), None)
        if missing is not None:
            reason = f"(sqlite3.IntegrityError) NOT NULL constraint failed: {table}.{missing}" \
                if self.backend == "sqlite" else f"(1048, \"Column '{missing}' cannot be null\")"
            return Reply(400, {"result": "Failed", "reason": f"A database integrity error occurred: {reason}"},
                         HEADERS)
        if self.backend != "sqlite":
            for col, target in REFERENCES.get(table, {}).items():
                ref = values.get(col)
                if ref is not None and (not isinstance(ref, int) or ref not in self.tables[target]):
                    return Reply(400, {"result": "Failed", "reason": "A database integrity error occurred: (1452, "
                                       "'Cannot add or update a child row: a foreign key constraint fails "
                                       f"(`{table}`, FOREIGN KEY (`{col}`) REFERENCES `{target}`)')"}, HEADERS)
        unique = {"subscriber": ("imsi",), "auc": ("imsi", "iccid"), "ims_subscriber": ("msisdn",)}.get(table, ())
        for col in unique:
            if values.get(col) is not None and self._where(table, col, values[col]):
                return Reply(400, {"result": "Failed", "reason": "A database integrity error occurred: UNIQUE "
                                   f"constraint failed: {table}.{col}"}, HEADERS)
        row = self._create(table, values, op)
        return Reply(200, row, HEADERS)  # like PyHSS, the PUT answer echoes the AuC secrets

    def _subscriber_by(self, field: str, value: str) -> Reply:
        rows = self._where("subscriber", field, value)
        if len(rows) != 1:  # none, or MultipleResultsFound (msisdn is not unique): both swallowed into null
            return Reply(200, None, HEADERS)
        sid = rows[0]["subscriber_id"]
        attributes = self._where("subscriber_attributes", "subscriber_id", sid)
        return Reply(200, {**rows[0], "attributes": attributes}, HEADERS)

    def _auc_by(self, field: str, value: str) -> Reply:
        rows = self._where("auc", field, value)
        return Reply(200, _stripped(rows[0]) if len(rows) == 1 else None, HEADERS)

    def _ims_lookup(self, field: str, value: str) -> Reply:
        rows = self._where("ims_subscriber", field, value)
        return Reply(200, rows[0], HEADERS) if len(rows) == 1 else Reply(400, None, HEADERS)

    def _routing(self, sid: str, apn: str) -> dict[str, Any] | None:
        return next((r for r in self._where("subscriber_routing", "subscriber_id", int(sid))
                     if str(r["apn_id"]) == apn), None)

    def _routing_get(self, sid: str, apn: str, **_: Any) -> Reply:
        return Reply(200, self._routing(sid, apn), HEADERS)

    def _routing_delete(self, sid: str, apn: str, op: str | None, **_: Any) -> Reply:
        row = self._routing(sid, apn)
        if row is None:
            return Reply(200, None, HEADERS)
        return self._delete_row("subscriber_routing", row["subscriber_routing_id"], op, "delete_routing")

    def _patch_subscriber(self, sid: str, body: Any, op: str | None) -> Reply:
        row = self.tables["subscriber"].get(int(sid))
        if row is None or not isinstance(body, dict):
            return Reply(200, None, HEADERS)
        if "enabled" in body and not isinstance(body["enabled"], bool):
            return Reply(200, None, HEADERS)
        was, before = row["enabled"], dict(row)
        self._indexed("subscriber", row, add=False)
        for k, v in body.items():
            if k in row and k != "subscriber_id":
                row[k] = v.replace("+", "") if k == "msisdn" and isinstance(v, str) else v
        self._indexed("subscriber", row, add=True)
        self._log("subscriber", row["subscriber_id"], "UPDATE", before, row, op)
        if was and row["enabled"] is False:
            self.effect(kind="bar", imsi=row["imsi"], msisdn=row["msisdn"], operation_id=op)
            if row.get("serving_mme"):  # a CLR of type 1, fire-and-forget; serving_mme* stay set
                self._send_clr(row, 1)
        return Reply(200, row, HEADERS)

    def _connected(self, host: str | None) -> bool:
        peer = self.peers.get(str(host or "").split(";")[0])
        return bool(peer and peer.get("Connected"))

    def _send_clr(self, row: dict[str, Any], cancellation_type: int) -> bool:
        sent = self._connected(row.get("serving_mme_peer") or row.get("serving_mme"))
        self.effect(kind="cancel_location", imsi=row["imsi"], msisdn=row["msisdn"], type=cancellation_type,
                    peer=row.get("serving_mme"), sent=sent)
        return sent

    def _delete_auc(self, aid: str, op: str | None, **_: Any) -> Reply:
        if self.backend != "sqlite" and self._where("subscriber", "auc_id", int(aid)):
            return Reply(400, {"result": "Failed", "reason": "A database integrity error occurred: "
                                                             "FOREIGN KEY constraint failed"}, HEADERS)
        return self._delete_row("auc", int(aid), op, "delete_auc")

    def _deregister(self, imsi: str, **_: Any) -> Reply:
        subs = self._where("subscriber", "imsi", imsi)
        ims = self._where("ims_subscriber", "imsi", imsi)
        if len(subs) != 1 or len(ims) != 1:
            return Reply(200, None, HEADERS)  # Get_IMS_Subscriber(imsi=…).one() raised: swallowed
        sub, row = subs[0], ims[0]
        if sub.get("serving_mme"):
            self._send_clr(sub, 2)
        if sub.get("serving_mme") or row.get("scscf"):
            self.effect(kind="deregister", imsi=imsi, msisdn=sub["msisdn"])
        # Cleared whether or not anything could be sent (no peer connected): the answer says nothing.
        sub.update(serving_mme=None, serving_mme_realm=None, serving_mme_peer=None)
        row.update(scscf=None, scscf_realm=None, scscf_peer=None)
        return Reply(200, {"subscriber": sub, "ims_subscriber": row, "pcrf": {"apns": {
            name: {} for name in self._apn_names(sub)}}}, HEADERS)

    def _apn_names(self, sub: dict[str, Any]) -> list[str]:
        ids = [a.strip() for a in str(sub.get("apn_list") or "").split(",") if a.strip().isdigit()]
        return [self.tables["apn"][int(i)]["apn"] for i in ids if int(i) in self.tables["apn"]]

    def _push_clr(self, imsi: str, body: Any, **_: Any) -> Reply:
        try:
            peer, host = body["diameterPeer"], body.get("DestinationHost")
            kind = int(body["cancellationType"])
            body["DestinationRealm"], body["immediateReattach"]
        except (KeyError, TypeError, ValueError) as exc:
            return Reply(200, {"result": "Failed", "Reason": f"Unable to send CLR: {exc}"}, HEADERS)
        if not self._connected(peer):
            return Reply(400, {"result": f"Failed queueing CLR to {peer}"}, HEADERS)
        sub = next(iter(self._where("subscriber", "imsi", imsi)), None)
        self.effect(kind="cancel_location", imsi=imsi, msisdn=sub["msisdn"] if sub else None, type=kind,
                    peer=peer, sent=True)
        if sub is not None and sub.get("serving_mme") == host:
            sub.update(serving_mme=None)
        return Reply(200, {"result": f"Successfully queued CLR to {peer}"}, HEADERS)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The operation log's text: one ``column: [type] old ----> [type] new`` per changed column."""
    lines = []
    for col in dict.fromkeys([*before, *after]):
        old, new = before.get(col), after.get(col)
        if old != new:
            lines.append(f"{col}: [{type(old).__name__}] {old} ----> [{type(new).__name__}] {new}")
    return "\r\n\r\n".join(lines)


def _stripped(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: v for k, v in row.items() if k not in SECRETS}


register("hss", HssSimulator)
