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


# -- the BSS simulator (issue 17): TMF637 products, TMF666 accounts, TMF678 bills -----------------------------
def _money(minor: int, currency: str) -> dict[str, str]:
    from decimal import Decimal

    from simexit.domain.money import MINOR_UNITS

    return {"unit": currency, "value": str(Decimal(minor).scaleb(-MINOR_UNITS[currency]))}


def bss_records(app: Simexit) -> dict[str, list[dict[str, Any]]]:
    """What the BSS simulator must hold so that ``SIMEXIT_FACTS_SOURCE=bss`` tells the same facts as simexit's
    tables for every open line; the first line of a CNY brand also gets a family (a bundle with broadband and TV
    and their equipment, a secondary line and another main line of the customer) to show the family rules."""
    from simexit.store.facts_source import SqlFactsSource

    with app.db.read() as conn:
        numbers = [r.msisdn for r in network_records.open_subscribers(conn)]
        facts = SqlFactsSource(conn).many_line_facts(numbers)
    products: list[dict[str, Any]] = []
    accounts: dict[str, dict[str, Any]] = {}
    bills: list[dict[str, Any]] = []
    family_done = False
    for f in facts.values():
        party = [{"role": "customer", "partyOrPartyRole": {"id": f"C-{f.customer_id}"}}]
        acct = {"id": f"BA-{f.account_id}"}
        pid = f"P-{f.line_id}"
        chars: list[dict[str, Any]] = [
            {"name": "earlyTerminationFee", "value": _money(f.early_termination_fee_minor, f.currency)},
            {"name": "portOutPending", "value": f.port_out_pending},
            {"name": "boundServices", "value": [{"service": s.service, "since": s.since.isoformat() if s.since
                                                 else None} for s in f.services]},
            {"name": "boundDevices", "value": [{"id": str(d.device_id), "name": d.name, "imeiLast4": d.imei_last4,
                                                "eid": d.eid} for d in f.devices]}]
        product: dict[str, Any] = {"id": pid, "name": f"{f.brand} {f.kind}", "publicIdentifier": f.msisdn,
                                   "status": "active", "productSpecification": {"id": "mobile"},
                                   "relatedParty": party, "billingAccount": acct, "productCharacteristic": chars}
        if f.contract_end:
            product["productTerm"] = [{"name": "contract", "validFor": {
                "startDateTime": f.contract_start.isoformat() if f.contract_start else None,
                "endDateTime": f.contract_end.isoformat()}}]
        products.append(product)
        accounts[acct["id"]] = {"id": acct["id"], "accountBalance": [
            {"balanceType": "availableBalance", "amount": _money(f.balance_minor, f.currency)}]}
        bills += [{"id": str(b.bill_id), "billingAccount": acct, "state": "new",
                   "remainingAmount": _money(b.amount_minor, f.currency), "paymentDueDate": b.due_date.isoformat()}
                  for b in f.unpaid_bills]
        if not family_done and f.currency == "CNY" and f.status == "active":
            family_done = True
            products += _demo_family(f.msisdn, pid, party, acct, f.currency)
    return {"products": products, "accounts": list(accounts.values()), "bills": bills}


def _demo_family(msisdn: str, pid: str, party: list[dict[str, Any]], acct: dict[str, str],
                 currency: str) -> list[dict[str, Any]]:
    mobile = {"id": "mobile"}
    head = msisdn[:-4]
    return [
        {"id": f"{pid}-SEC", "name": "副卡", "publicIdentifier": f"{head}9001", "status": "active",
         "productSpecification": mobile, "relatedParty": party, "billingAccount": acct,
         "productRelationship": [{"relationshipType": "isSecondaryOf", "product": {"id": pid}}]},
        {"id": f"{pid}-MAIN2", "name": "5G 59", "publicIdentifier": f"{head}9002", "status": "active",
         "productSpecification": mobile, "relatedParty": party, "billingAccount": acct},
        {"id": f"{pid}-BB", "name": "宽带 300M", "status": "active", "productSpecification": {"id": "broadband"},
         "relatedParty": party, "productCharacteristic": [
             {"name": "earlyTerminationFee", "value": _money(10000, currency)},
             {"name": "lentEquipment", "value": [{"id": "EQ-1", "name": "光猫", "serial": "ZTE-F650", "returnTo":
                                                  "any store", "returnWithinDays": 15,
                                                  "nonReturnFee": _money(30000, currency)}]}]},
        {"id": f"{pid}-TV", "name": "IPTV", "status": "active", "productSpecification": {"id": "tv"},
         "relatedParty": party, "productCharacteristic": [
             {"name": "lentEquipment", "value": [{"id": "EQ-2", "name": "机顶盒", "serial": "HW-EC6108",
                                                  "returnTo": "courier pickup", "returnWithinDays": 10}]}]},
        {"id": f"{pid}-BUNDLE", "name": "融合套餐 199", "isBundle": True, "status": "active", "relatedParty": party,
         "product": [{"id": pid}, {"id": f"{pid}-BB"}, {"id": f"{pid}-TV"}]},
        {"id": f"{pid}-SHARE", "name": "家庭流量共享", "status": "active",
         "productSpecification": {"id": "sharedDataGroup"}, "relatedParty": party,
         "productCharacteristic": [{"name": "owner", "value": pid}],
         "product": [{"id": pid}, {"id": f"{pid}-SEC"}]},
    ]
