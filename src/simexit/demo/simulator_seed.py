"""The demo network: what the HSS and SM-DP+ simulators must hold for simexit's open lines to be closable
(subscribers with their IMSI/MSISDN/ICCID, eSIM profiles with their state). ``simexit sim seed`` posts it to
the simulators' ``/_sim/seed``; a real network already holds these records."""

from __future__ import annotations

from typing import Any

from simexit.services.context import Simexit
from simexit.store import network_records


def simulator_records(app: Simexit) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(HSS subscribers, SM-DP+ profiles) of the lines not closed yet, for the simulators' seed API."""
    with app.db.read() as conn:
        rows = network_records.open_subscribers(conn)
        profiles = network_records.esim_profile_rows(conn)
    by_line: dict[int, list[dict[str, Any]]] = {}
    for p in profiles:
        by_line.setdefault(p.line_id, []).append({"iccid": p.iccid, "state": p.state, "eid": p.eid})
    hss = [{"imsi": r.imsi, "msisdn": r.msisdn, "iccid": r.iccid, "ims": r.kind != "data", "esim": r.kind == "esim"}
           for r in rows]
    smdp = [p for r in rows for p in by_line.get(r.id, [])]
    smdp += [{"iccid": r.iccid, "state": "Released"} for r in rows if r.kind == "esim" and r.id not in by_line]
    return hss, smdp
