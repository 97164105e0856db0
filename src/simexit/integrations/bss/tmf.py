"""The BSS facts contract: what simexit asks the operator's BSS at pre-check time, over the TMF Open APIs the
operator already runs, and the product orders that execute a family closure part by part.

Facts (all GET, JSON, ``Authorization: Bearer <SIMEXIT_BSS_TOKEN>`` when set; amounts are TMF ``Money``
``{"unit": "CNY", "value": "12.30"}``):

1. TMF637 ``/tmf-api/productInventory/v5/product?publicIdentifier=<E.164>`` → ``[Product]``: the line's product:
   ``id``, ``relatedParty[role=customer].partyOrPartyRole.id``, ``billingAccount.id``,
   ``productTerm[name=contract].validFor.{startDateTime,endDateTime}``, and the characteristics
   ``earlyTerminationFee`` (Money), ``portOutPending`` (bool), ``boundServices`` ([{service, since}]),
   ``boundDevices`` ([{id, name, imeiLast4}]), ``lentEquipment`` ([{id, name, serial, returnTo,
   returnWithinDays, nonReturnFee: Money}]).
2. TMF637 ``/tmf-api/productInventory/v5/product?relatedParty.id=<customer id>`` → every product of the
   customer. Relationships are read from it: a product with ``isBundle: true`` whose ``product[].id`` holds the
   line is its bundle (the others are its other products, each with ``productSpecification.id`` = broadband |
   tv | fixed_voice | mobile, ``earlyTerminationFee`` and ``lentEquipment``); a mobile product with
   ``productRelationship[relationshipType=isSecondaryOf].product.id`` = the line is a secondary line (副卡) of
   it; a product with ``productSpecification.id = sharedDataGroup`` whose ``product[].id`` holds the line is a
   shared data group (its ``owner`` characteristic names the owning product); the other active mobile products
   that are no one's secondary line are the customer's other main lines.
3. TMF666 ``/tmf-api/accountManagement/v5/billingAccount/<id>`` → ``accountBalance[balanceType=
   availableBalance].amount`` (negative: a debt).
4. TMF678 ``/tmf-api/customerBillManagement/v5/customerBill?billingAccount.id=<id>`` → bills; those not
   ``settled`` with a ``remainingAmount`` above zero are arrears (``id``, ``paymentDueDate``).

Any timeout, refused connection, non-2xx answer or malformed body is ``FACTS_UNAVAILABLE``: nothing is guessed.

Orders (the family's other parts): TMF622 ``POST /tmf-api/productOrderingManagement/v5/productOrder`` with
``externalId`` = the part's idempotency key (the same on every try) and one ``productOrderItem``: ``action:
delete`` of ``product.id`` (close the part), or ``action: modify`` with ``productRelationship:
[{relationshipType: isSecondaryOf, product: {publicIdentifier: <new main line>}}]`` (move a secondary line).
``201`` with ``state`` ``completed`` (done) or ``failed`` (refused, with ``stateReason``); 4xx: refused; 5xx or
timeout: tried again with the same ``externalId``.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from time import monotonic
from typing import Any

import httpx

from simexit.domain.facts import (
    BoundDevice,
    BoundService,
    Equipment,
    LineFamily,
    RelatedProduct,
    SecondaryLine,
    SharedDataGroup,
    UnpaidBill,
)
from simexit.domain.money import MINOR_UNITS
from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import HttpErrors, json_body, raise_for_status, request
from simexit.integrations.http_transport import PerThreadTransport

PRODUCTS = "/tmf-api/productInventory/v5/product"
ACCOUNTS = "/tmf-api/accountManagement/v5/billingAccount"
BILLS = "/tmf-api/customerBillManagement/v5/customerBill"
ORDERS = "/tmf-api/productOrderingManagement/v5/productOrder"
ERRORS = HttpErrors("bss")


class Malformed(ValueError):
    pass


@dataclass(frozen=True)
class LiveFacts:
    """What the BSS says about a line now (the rest — identity, the line's own record — is simexit's)."""

    currency: str
    balance_minor: int
    unpaid_bills: tuple[UnpaidBill, ...]
    contract_start: date | None
    contract_end: date | None
    early_termination_fee_minor: int
    port_out_pending: bool
    services: tuple[BoundService, ...]
    devices: tuple[BoundDevice, ...]
    family: LineFamily


def minor(money: Any, currency: str) -> int:
    if not isinstance(money, dict) or money.get("unit") != currency:
        raise Malformed(f"expected an amount in {currency}, got {money!r}")
    try:
        v = Decimal(str(money["value"])) * (10 ** MINOR_UNITS[currency])
    except (InvalidOperation, KeyError) as exc:
        raise Malformed(f"bad amount {money!r}") from exc
    if v != v.to_integral_value():
        raise Malformed(f"{money!r} has more decimals than {currency}")
    return int(v)


def _char(product: dict[str, Any], name: str, default: Any = None) -> Any:
    for c in product.get("productCharacteristic") or ():
        if c.get("name") == name:
            return c.get("value")
    return default


def _day(text: Any) -> date | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).date()


def _equipment(product: dict[str, Any], currency: str) -> tuple[Equipment, ...]:
    return tuple(Equipment(str(e["id"]), str(e["name"]), e.get("serial"), str(e["returnTo"]),
                           int(e["returnWithinDays"]),
                           minor(e["nonReturnFee"], currency) if e.get("nonReturnFee") else 0)
                 for e in _char(product, "lentEquipment", []) or [])


def _kind(product: dict[str, Any]) -> str:
    return str((product.get("productSpecification") or {}).get("id") or "")


def _secondary_of(product: dict[str, Any]) -> str | None:
    for r in product.get("productRelationship") or ():
        if r.get("relationshipType") == "isSecondaryOf":
            return str((r.get("product") or {}).get("id"))
    return None


def _bill_id(text: str) -> int:
    return int(text) if text.isdigit() else zlib.crc32(text.encode())


def family_of(line: dict[str, Any], products: list[dict[str, Any]], currency: str) -> LineFamily:
    pid = str(line["id"])
    by_id = {str(p["id"]): p for p in products}
    members = {str(p["id"]): [str(c["id"]) for c in p.get("product") or ()] for p in products}
    bundle = next((p for p in products if p.get("isBundle") and pid in members[str(p["id"])]), None)
    others: list[RelatedProduct] = []
    if bundle is not None:
        for cid in members[str(bundle["id"])]:
            c = by_id.get(cid)
            if cid == pid or c is None or c.get("status") == "terminated":
                continue
            fee = _char(c, "earlyTerminationFee")
            others.append(RelatedProduct(cid, _kind(c), str(c.get("name") or cid), c.get("publicIdentifier"),
                                         minor(fee, currency) if fee else 0, _equipment(c, currency)))
    mobiles = [p for p in products if _kind(p) == "mobile" and p.get("status") == "active"]
    secondaries = tuple(SecondaryLine(str(p["publicIdentifier"]), str(p["id"])) for p in mobiles
                        if _secondary_of(p) == pid)
    main = _secondary_of(line)
    groups = tuple(SharedDataGroup(str(g["id"]), str(g.get("name") or g["id"]),
                                   tuple(str(by_id[m]["publicIdentifier"]) for m in members[str(g["id"])]
                                         if m != pid and m in by_id and by_id[m].get("publicIdentifier")),
                                   _char(g, "owner") == pid)
                   for g in products if _kind(g) == "sharedDataGroup" and pid in members[str(g["id"])])
    return LineFamily(
        product_id=pid,
        main_msisdn=str(by_id[main]["publicIdentifier"]) if main and main in by_id else None,
        secondary_lines=secondaries,
        bundle_id=str(bundle["id"]) if bundle else None, bundle_name=bundle.get("name") if bundle else None,
        bundle_products=tuple(others), equipment=_equipment(line, currency), shared_data_groups=groups,
        other_main_lines=tuple(str(p["publicIdentifier"]) for p in mobiles
                               if str(p["id"]) != pid and _secondary_of(p) is None),
    )


class BssClient:
    """The TMF calls above, bounded by ``timeout_s`` in all, and a cache of each line's answer for
    ``cache_s`` (the pages of one application — pre-check, quote, confirm, submit — read one snapshot)."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = 3.0, cache_s: float = 300.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url, self.timeout_s, self.cache_s = base_url.rstrip("/"), timeout_s, cache_s
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s,
                                  transport=transport or PerThreadTransport())
        self._cache: dict[str, tuple[float, LiveFacts]] = {}
        self._lock = threading.Lock()

    # -- facts ---------------------------------------------------------------------------------------------------
    def live_facts(self, msisdn: str, currency: str) -> LiveFacts | None:
        """The line's live facts (None: the BSS does not know the line). Raises IntegrationError (retryable)
        when the BSS cannot answer within the timeout or answers nonsense."""
        with self._lock:
            hit = self._cache.get(msisdn)
        if hit is not None and hit[0] > monotonic():
            return hit[1]
        deadline = monotonic() + self.timeout_s
        try:
            found = self._get(PRODUCTS, deadline, publicIdentifier=msisdn)
            line = next((p for p in found if p.get("publicIdentifier") == msisdn), None)
            if line is None:
                return None
            customer = next(str(r["partyOrPartyRole"]["id"]) for r in line.get("relatedParty") or ()
                            if r.get("role") == "customer")
            account = str(line["billingAccount"]["id"])
            products = self._get(PRODUCTS, deadline, **{"relatedParty.id": customer})
            acct = self._get(f"{ACCOUNTS}/{account}", deadline)
            bills = self._get(BILLS, deadline, **{"billingAccount.id": account})
            live = self._parse(line, products, acct, bills, currency)
        except (KeyError, TypeError, ValueError, StopIteration, AttributeError) as exc:
            raise ERRORS.bad(f"the BSS answered something simexit cannot read: {exc}") from exc
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[msisdn] = (monotonic() + self.cache_s, live)
        return live

    def forget(self, msisdn: str) -> None:
        with self._lock:
            self._cache.pop(msisdn, None)

    def _get(self, path: str, deadline: float, **params: str) -> Any:
        left = deadline - monotonic()
        if left <= 0:
            raise IntegrationError("bss", "TIMEOUT", f"GET {path}: the facts took longer than {self.timeout_s}s",
                                   retryable=True)
        resp = request(self._http, ERRORS, "GET", path, params=params, timeout=left)
        raise_for_status(ERRORS, resp)
        return json_body(ERRORS, resp)

    @staticmethod
    def _parse(line: dict[str, Any], products: list[dict[str, Any]], acct: dict[str, Any],
               bills: list[dict[str, Any]], currency: str) -> LiveFacts:
        balance = sum(minor(b["amount"], currency) for b in acct.get("accountBalance") or ()
                      if b.get("balanceType") == "availableBalance")
        unpaid = []
        for b in bills:
            left = minor(b["remainingAmount"], currency) if b.get("remainingAmount") else 0
            if b.get("state") != "settled" and left > 0:
                unpaid.append(UnpaidBill(_bill_id(str(b["id"])), left, _day(b["paymentDueDate"]) or date.min))
        term = next((t for t in line.get("productTerm") or () if t.get("name") == "contract"), None)
        valid = (term or {}).get("validFor") or {}
        fee = _char(line, "earlyTerminationFee")
        return LiveFacts(
            currency=currency, balance_minor=balance,
            unpaid_bills=tuple(sorted(unpaid, key=lambda u: (u.due_date, u.bill_id))),
            contract_start=_day(valid.get("startDateTime")), contract_end=_day(valid.get("endDateTime")),
            early_termination_fee_minor=minor(fee, currency) if fee else 0,
            port_out_pending=bool(_char(line, "portOutPending", False)),
            services=tuple(BoundService(str(s["service"]), _day(s.get("since")))
                           for s in _char(line, "boundServices", []) or []),
            devices=tuple(BoundDevice(_bill_id(str(d["id"])), str(d["name"]), d.get("imeiLast4"), d.get("eid"))
                          for d in _char(line, "boundDevices", []) or []),
            family=family_of(line, products, currency),
        )

    # -- orders: a family's other parts ----------------------------------------------------------------------------
    def order(self, key: str, action: str, product_id: str, move_to: str | None = None) -> dict[str, Any]:
        """Close (``delete``) or move (``modify``, to the main line ``move_to``) one product. Returns the order;
        raises IntegrationError (retryable on 5xx/timeouts, not on a refusal)."""
        item: dict[str, Any] = {"id": "1", "action": action, "product": {"id": product_id}}
        if move_to:
            item["product"]["productRelationship"] = [
                {"relationshipType": "isSecondaryOf", "product": {"publicIdentifier": move_to}}]
        resp = request(self._http, ERRORS, "POST", ORDERS, json={"externalId": key, "productOrderItem": [item]})
        raise_for_status(ERRORS, resp, ok=(200, 201))
        body = json_body(ERRORS, resp)
        if body.get("state") != "completed":
            raise IntegrationError("bss", "ORDER_FAILED", str(body.get("stateReason") or body.get("state")),
                                   retryable=False)
        return {"order_id": body.get("id"), "state": body.get("state")}
