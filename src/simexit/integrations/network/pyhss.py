"""PyHSS REST API (nickvsnetworking/pyhss ``services/apiService.py``); see PROTOCOLS.md §B.

What PyHSS really does, and what this client does about it (issue 13, items 5–7):
- bar: ``PATCH /subscriber/{id}`` ``{"enabled": false}``. PyHSS then answers AIR/ULR with "user unknown";
  its CLR (type 1) is fire-and-forget and the serving-MME fields stay set.
- deregister: the MME is detached with ``PUT /push/clr/{imsi}`` (cancellation type 2, subscription
  withdrawal), the one call that reports a peer that is not connected (400), after checking the serving
  peer in ``/oam/diameter_peers``. ``GET /oam/deregister`` answers 200 and clears the serving fields even
  when nothing was sent, so it is used only for the IMS side, never trusted for the MME.
- IMS rows are looked up by MSISDN (unique): one IMSI may have several IMS rows, and the lookup by IMSI
  then answers ``400 null`` as if there were none.
- delete: IMS, then the subscriber's attributes and static-IP routing rows (SQLite orphans them, and the
  next subscriber that gets the freed id inherits them), then the subscriber, then its AuC row.
- ``200 null`` means "not found" *or* a swallowed failure: a line is taken as already gone only when every
  lookup (IMSI, MSISDN, ICCID) agrees. A 400 whose reason names a database error is an outage: retried.
The idempotency key travels as ``operation_id`` (PyHSS's change log, ≤ 36 characters; not deduplicated).
"""

from __future__ import annotations

from typing import Any

import httpx

from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import json_body, raise_for_status, request
from simexit.integrations.http_transport import PerThreadTransport
from simexit.integrations.network.base import Subscriber

SYSTEM = "pyhss"
SUBSCRIPTION_WITHDRAWAL = 2  # TS 29.272 Cancellation-Type; PyHSS's bar sends 1 (SGSN update procedure)


class PyHssProvisioner:
    name = "pyhss"

    def __init__(self, base_url: str, provisioning_key: str | None = None, *, timeout: float = 10,
                 client: httpx.Client | None = None) -> None:
        headers = {"Provisioning-Key": provisioning_key} if provisioning_key else {}
        self.client = client or httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                             transport=PerThreadTransport())

    # -- answers -----------------------------------------------------------------------------------------------
    def _answer(self, method: str, path: str, resp: httpx.Response) -> Any:
        """The JSON body; None for PyHSS's ``null`` (200 or 400). A database error is retryable."""
        if resp.status_code in (200, 400) and resp.content.strip() in (b"null", b""):
            return None
        if resp.status_code == 400:
            reason = _reason(resp)
            if "database operational error" in reason.lower():
                raise IntegrationError(SYSTEM, "DATABASE_UNAVAILABLE", f"{method} {path}: {reason[:160]}",
                                       retryable=True)
        raise_for_status(SYSTEM, resp)
        return json_body(SYSTEM, resp)

    def _get(self, path: str) -> Any:
        return self._answer("GET", path, request(self.client, SYSTEM, "GET", path))

    def _write(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        resp = request(self.client, SYSTEM, method, path, params={"operation_id": key[:36]}, **kwargs)
        body = self._answer(method, path, resp)
        if body is None:
            raise IntegrationError(SYSTEM, "NULL_RESULT", f"{method} {path} answered null (unknown id, bad value "
                                   "or a swallowed failure)", retryable=True)
        return body

    # -- lookups -----------------------------------------------------------------------------------------------
    def _msisdn(self, sub: Subscriber) -> str:
        return sub.msisdn.lstrip("+")

    def _subscriber(self, sub: Subscriber) -> dict[str, Any] | None:
        imsi = sub.imsi
        if imsi is None:  # the card's AuC row knows the IMSI when simexit does not
            auc = self._get(f"/auc/iccid/{sub.iccid}")
            imsi = auc.get("imsi") if isinstance(auc, dict) else None
        row = self._get(f"/subscriber/imsi/{imsi}") if imsi else None
        if row is None:
            # A duplicate MSISDN also answers null here (MultipleResultsFound is swallowed), so a null from this
            # lookup alone never proves the subscriber gone.
            row = self._get(f"/subscriber/msisdn/{self._msisdn(sub)}")
        return row

    def _ims(self, sub: Subscriber) -> dict[str, Any] | None:
        # By MSISDN (unique) first: with several IMS rows on one IMSI the lookup by IMSI answers 400 null.
        row = self._get(f"/ims_subscriber/ims_subscriber_msisdn/{self._msisdn(sub)}")
        if row is None and sub.imsi:
            row = self._get(f"/ims_subscriber/ims_subscriber_imsi/{sub.imsi}")
            if row is not None and str(row.get("msisdn")) != self._msisdn(sub) \
                    and self._msisdn(sub) not in str(row.get("msisdn_list") or "").split(","):
                row = None  # another number's IMS identity on the same SIM: not ours to touch
        return row

    def _auc(self, sub: Subscriber, auc_id: int | None) -> dict[str, Any] | None:
        if auc_id is not None:
            found = self._get(f"/auc/{auc_id}")
            if found is not None:
                return found
        found = self._get(f"/auc/imsi/{sub.imsi}") if sub.imsi else None
        return found if found is not None else self._get(f"/auc/iccid/{sub.iccid}")

    def _required(self, sub: Subscriber) -> dict[str, Any]:
        row = self._subscriber(sub)
        if row is None:
            raise IntegrationError(SYSTEM, "SUBSCRIBER_UNKNOWN", "the HSS has no subscriber for this line",
                                   retryable=False)
        return row

    # -- NetworkProvisioner --------------------------------------------------------------------------------
    def bar(self, sub: Subscriber, idempotency_key: str) -> None:
        row = self._required(sub)
        if row.get("enabled") is False:
            return  # already barred: nothing to repeat
        body = self._write("PATCH", f"/subscriber/{row['subscriber_id']}", idempotency_key, json={"enabled": False})
        if body.get("enabled") is not False:
            raise IntegrationError(SYSTEM, "BAR_NOT_APPLIED", "the subscriber is still enabled", retryable=True)

    def deregister(self, sub: Subscriber, idempotency_key: str) -> dict[str, Any]:
        row = self._required(sub)
        imsi = sub.imsi or row.get("imsi")
        done: dict[str, Any] = {}
        if row.get("serving_mme"):
            done["mme"] = self._cancel_location(str(imsi), row)
        ims = self._ims(sub)
        if ims is not None and (ims.get("scscf") or ims.get("scscf_peer")):
            # /oam/deregister needs the IMSI's one IMS row; with several it answers null and does nothing. The
            # row of this number is deleted by network_delete; its IMS registration then ends at its refresh.
            answer = self._get(f"/oam/deregister/{imsi}")
            done["ims"] = "deregistered" if answer is not None else "not_deregistered_several_ims_rows"
        return done

    def _cancel_location(self, imsi: str, row: dict[str, Any]) -> str:
        peer = str(row.get("serving_mme_peer") or row["serving_mme"]).split(";")[0]
        peers = self._get("/oam/diameter_peers") or {}
        connected = [p for p in (peers.values() if isinstance(peers, dict) else []) if isinstance(p, dict)
                     and p.get("Connected") and peer in (p.get("Hostname"), p.get("DiameterHostname"))]
        if not connected:
            raise IntegrationError(SYSTEM, "MME_PEER_NOT_CONNECTED", f"the serving MME's Diameter peer {peer} is "
                                   "not connected to PyHSS: no Cancel-Location can be sent", retryable=True)
        resp = request(self.client, SYSTEM, "PUT", f"/push/clr/{imsi}", json={
            "diameterPeer": peer, "DestinationHost": row["serving_mme"],
            "DestinationRealm": row.get("serving_mme_realm"), "cancellationType": SUBSCRIPTION_WITHDRAWAL,
            "immediateReattach": False})
        body = self._answer("PUT", "/push/clr", resp) if resp.status_code != 400 else None
        result = str((body or {}).get("result", "")) if isinstance(body, dict) else ""
        if resp.status_code != 200 or not result.startswith("Successfully"):
            raise IntegrationError(SYSTEM, "CANCEL_LOCATION_FAILED", f"PUT /push/clr → {resp.status_code} "
                                   f"{_reason(resp)[:120]}", retryable=True)
        return f"cancel_location_queued:{peer}"

    def delete(self, sub: Subscriber, idempotency_key: str) -> None:
        row = self._subscriber(sub)
        if row is not None and not sub.imsi:
            sub = Subscriber(sub.msisdn, row.get("imsi"), sub.iccid)  # confirm by the IMSI, not the number
        ims = self._ims(sub)
        if ims is not None:
            self._write("DELETE", f"/ims_subscriber/{ims['ims_subscriber_id']}", idempotency_key)
        auc_id = row.get("auc_id") if row else None
        if row is not None:
            sid = row["subscriber_id"]
            for attribute in self._get(f"/subscriber_attributes/{sid}") or []:
                self._write("DELETE", f"/subscriber_attributes/{attribute['subscriber_attributes_id']}",
                            idempotency_key)
            for apn in _apns(row):
                if self._get(f"/subscriber/routing/{sid}/{apn}") is not None:
                    self._write("DELETE", f"/subscriber/routing/{sid}/{apn}", idempotency_key)
            self._write("DELETE", f"/subscriber/{sid}", idempotency_key)
        auc = self._auc(sub, auc_id)
        if auc is not None:
            self._write("DELETE", f"/auc/{auc['auc_id']}", idempotency_key)
        if row is None and ims is None and auc is None:
            return  # every lookup agrees: already gone
        # Confirm: a swallowed failure also reads as null, so "gone" is what every lookup says afterwards.
        again = self._get(f"/subscriber/imsi/{sub.imsi}") if sub.imsi else self._subscriber(sub)
        left = [what for what, found in (("subscriber", again), ("ims", self._ims(sub)),
                                         ("auc", self._auc(sub, None))) if found is not None]
        if left:
            raise IntegrationError(SYSTEM, "DELETE_INCOMPLETE", f"still in the HSS after delete: {', '.join(left)}",
                                   retryable=True)


def _apns(row: dict[str, Any]) -> list[str]:
    ids = [a.strip() for a in str(row.get("apn_list") or "").split(",") if a.strip()]
    if row.get("default_apn") is not None and str(row["default_apn"]) not in ids:
        ids.append(str(row["default_apn"]))
    return ids


def _reason(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, list) and body and isinstance(body[0], dict):  # the IMS routes wrap the error twice
        body = body[0]
    if isinstance(body, dict):
        return str(body.get("reason") or body.get("Reason") or body.get("result") or body.get("Result") or "")
    return str(body)
