"""``simexit sim bss``: an operator BSS speaking the facts contract of ``integrations/bss/tmf.py`` — TMF637
product inventory, TMF666 billing accounts, TMF678 customer bills — and TMF622 product orders for a family
closure's other parts.

State is seeded with ``POST /_sim/seed`` ``{"products": [...], "accounts": [...], "bills": [...]}`` (TMF
resources as the contract describes them; seeding adds or replaces by ``id``) or ``seed(...)`` from Python.
``POST /_sim/refuse-orders`` ``{"product_ids": [...]}`` makes orders for those products end ``failed``
(a part that cannot be closed). ``GET /_sim/orders`` lists the orders. The base's ``/_sim/behaviour`` makes
the whole BSS fail or slow (an outage)."""

from __future__ import annotations

from typing import Any

from simexit.simulators.http_server import Reply, Request, Simulator, register

PRODUCTS = "/tmf-api/productInventory/v5/product"
ACCOUNTS = "/tmf-api/accountManagement/v5/billingAccount/"
BILLS = "/tmf-api/customerBillManagement/v5/customerBill"
ORDERS = "/tmf-api/productOrderingManagement/v5/productOrder"


class BssSimulator(Simulator):
    name = "bss"

    def reset_state(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.bills: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}  # by externalId
        self.refused: set[str] = set()

    def seed(self, products: list[dict[str, Any]] = (), accounts: list[dict[str, Any]] = (),  # type: ignore[assignment]
             bills: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
        with self.lock:
            for into, items in ((self.products, products), (self.accounts, accounts), (self.bills, bills)):
                into.update({str(i["id"]): dict(i) for i in items})

    def refuse_orders(self, product_ids: list[str]) -> None:
        with self.lock:
            self.refused = set(product_ids)

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        if method == "POST" and path == "/_sim/seed":
            b = body or {}
            self.seed(b.get("products", []), b.get("accounts", []), b.get("bills", []))
            return Reply(200, {"ok": True})
        if method == "POST" and path == "/_sim/refuse-orders":
            self.refuse_orders(list((body or {}).get("product_ids", [])))
            return Reply(200, {"ok": True})
        if method == "GET" and path == "/_sim/orders":
            with self.lock:
                return Reply(200, list(self.orders.values()))
        return super().admin(method, path, body)

    def handle(self, req: Request) -> Reply:
        with self.lock:
            if req.method == "GET" and req.path == PRODUCTS:
                q = req.query
                found = list(self.products.values())
                if "publicIdentifier" in q:
                    found = [p for p in found if p.get("publicIdentifier") == q["publicIdentifier"]]
                if "relatedParty.id" in q:
                    found = [p for p in found if any((r.get("partyOrPartyRole") or {}).get("id") == q["relatedParty.id"]
                                                     for r in p.get("relatedParty") or ())]
                return Reply(200, found)
            if req.method == "GET" and req.path.startswith(ACCOUNTS):
                acct = self.accounts.get(req.path[len(ACCOUNTS):])
                return Reply(200, acct) if acct else Reply(404, {"code": "404", "reason": "no such billing account"})
            if req.method == "GET" and req.path == BILLS:
                acct = req.query.get("billingAccount.id")
                return Reply(200, [b for b in self.bills.values() if (b.get("billingAccount") or {}).get("id") == acct])
            if req.method == "POST" and req.path == ORDERS:
                return self._order(req.body)
        return Reply(404, {"code": "404", "reason": "not found"})

    def _order(self, body: Any) -> Reply:
        try:
            key = str(body["externalId"])
            item = body["productOrderItem"][0]
            pid, action = str(item["product"]["id"]), item["action"]
        except (KeyError, IndexError, TypeError):
            return Reply(400, {"code": "400", "reason": "externalId and one productOrderItem are required"})
        if key in self.orders:
            return Reply(201, self.orders[key])  # the same order again: the first answer
        product = self.products.get(pid)
        if product is None:
            return Reply(422, {"code": "422", "reason": f"no product {pid}"})
        order: dict[str, Any] = {"id": f"PO-{len(self.orders) + 1:05d}", "externalId": key, "state": "completed",
                                 "productOrderItem": [item]}
        if pid in self.refused:
            order.update(state="failed", stateReason=f"product {pid} cannot be changed now")
        elif action == "delete":
            product["status"] = "terminated"
            self.effect(kind="terminate", product_id=pid, order=order["id"])
        elif action == "modify":
            to = item["product"]["productRelationship"][0]["product"]["publicIdentifier"]
            main = next((p for p in self.products.values() if p.get("publicIdentifier") == to), None)
            if main is None:
                order.update(state="failed", stateReason=f"no main line {to}")
            else:
                product["productRelationship"] = [{"relationshipType": "isSecondaryOf",
                                                   "product": {"id": main["id"]}}]
                self.effect(kind="move", product_id=pid, to=main["id"], order=order["id"])
        else:
            return Reply(400, {"code": "400", "reason": f"action {action!r} is not supported"})
        self.orders[key] = order
        return Reply(201, order)


register("bss", BssSimulator)
