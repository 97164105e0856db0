"""simexit's views as TMF JSON (TMF622 ProductOrder, CancelProductOrder, Hub, the events; TMF637 Product; the
Error), conforming to the published schemas (every entity carries its ``@type``; dates are date-times).

A draft's pre-check and quote travel on each item's product as characteristics (figures in minor units, with
the currency) and as notes (each finding, in English, with its fix); the termination reason as the
``terminationReason`` characteristic (TMF622 has no field for it); the application's number as
``applicationNo``; the product terminated as ``productId`` (and the item product's ``href``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from simexit.api.tmf.spec import INVENTORY_BASE, ORDERING_BASE
from simexit.services.ordering.views import CancelView, HubView, OrderItemView, OrderView, ProductView

ITEM_STATES = {"acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "completed", "failed",
               "partial", "assessingCancellation", "pendingCancellation"}
QUOTE_FIGURES = ("balance_minor", "outstanding_minor", "early_termination_fee_minor", "cancellation_fee_minor",
                 "refund_fee_minor", "refund_minor", "refund_below_minimum_minor", "amount_due_minor")
QUOTE_DATES = ("effective_date", "review_due_at", "refund_by", "refund_request_deadline", "number_release_date")


def dt(value: date | datetime | str | None) -> str | None:
    """A date-time text: a date reads as its midnight UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00Z"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _char(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"@type": "StringCharacteristic", "name": name, "valueType": "boolean", "value": str(value).lower()}
    if isinstance(value, int):
        return {"@type": "IntegerCharacteristic", "name": name, "valueType": "integer", "value": value}
    if isinstance(value, list):
        return {"@type": "StringArrayCharacteristic", "name": name, "valueType": "array",
                "value": [str(v) for v in value]}
    if isinstance(value, dict):
        return {"@type": "ObjectCharacteristic", "name": name, "valueType": "object", "value": value}
    return {"@type": "StringCharacteristic", "name": name, "valueType": "string", "value": str(value)}


def _precheck_chars(pc: dict[str, Any]) -> list[dict[str, Any]]:
    q = pc["quote"]
    chars = [_char("eligible", bool(pc["eligible"])), _char("findings", [f["code"] for f in pc["findings"]]),
             _char("currency", q["currency"])]
    chars += [_char(_camel(k), int(q[k])) for k in QUOTE_FIGURES if k in q]
    chars += [_char(_camel(k), dt(q[k])) for k in QUOTE_DATES if q.get(k)]
    chars.append(_char("consequences", sorted(pc["consequences"])))
    chars.append(_char("refundMethods", list(pc["refund_methods"])))
    return chars


def _precheck_notes(item_id: str, pc: dict[str, Any]) -> list[dict[str, Any]]:
    notes = []
    for f in pc["findings"]:
        text = f"{item_id}: {f['severity']} {f['code']}: {(f.get('message') or {}).get('en', '')}"
        if f.get("fix"):
            text += f" Fix: {f['fix'].get('en', '')}"
        notes.append({"@type": "Note", "id": f"{item_id}-{f['code']}", "author": "simexit", "text": text})
    return notes


def _item(item: OrderItemView, order: OrderView) -> dict[str, Any]:
    chars: list[dict[str, Any]] = [_char("productId", item.product_id)]
    if order.reason:
        chars.append(_char("terminationReason", order.reason))
    if item.application_no:
        chars.append(_char("applicationNo", item.application_no))
    if item.effective_date:
        chars.append(_char("terminationDate", dt(item.effective_date)))
    if item.precheck and order.state == "draft":
        chars += _precheck_chars(item.precheck)
    out: dict[str, Any] = {
        "@type": "ProductOrderItem", "id": item.item_id, "action": "delete", "quantity": 1,
        # The value form of ProductRefOrValue, named by its href (and the productId characteristic) but without
        # ``id``: the published oneOf's branches overlap, and a Product with an id is also a valid ProductRef.
        "product": {"@type": "Product", "href": f"{INVENTORY_BASE}/product/{item.product_id}",
                    "productCharacteristic": chars}}
    if item.state in ITEM_STATES:
        out["state"] = item.state
    return out


def product_order(order: OrderView) -> dict[str, Any]:
    req = order.request
    notes = [{"@type": "Note", "author": n.get("author"), "text": n.get("text")} for n in req.get("note") or []]
    notes = [{k: v for k, v in n.items() if v is not None} for n in notes]
    for item in order.items:
        if item.precheck and order.state == "draft":
            notes += _precheck_notes(item.item_id, item.precheck)
        if item.failure:
            notes.append({"@type": "Note", "id": f"{item.item_id}-failure", "author": "simexit",
                          "text": f"{item.item_id}: {item.failure}"})
    dates = [i.effective_date for i in order.items if i.effective_date]
    out: dict[str, Any] = {
        "@type": "ProductOrder", "id": order.id, "href": f"{ORDERING_BASE}/productOrder/{order.id}",
        "state": order.state, "requestedInitialState": order.requested_initial_state,
        "creationDate": dt(order.created_at), "completionDate": dt(order.completed_at),
        "expectedCompletionDate": dt(max(dates)) if dates else None,
        "cancellationDate": dt(order.cancellation_date), "cancellationReason": order.cancellation_reason,
        "productOrderItem": [_item(i, order) for i in order.items], "note": notes,
    }
    for k in ("description", "category", "priority", "notificationContact", "requestedCompletionDate",
              "requestedStartDate"):
        if req.get(k) is not None:
            out[k] = req[k]
    if req.get("externalId"):
        out["externalId"] = [{"@type": "ExternalIdentifier", **{k: v for k, v in e.items() if v is not None}}
                             for e in req["externalId"]]
    if req.get("channel"):
        out["channel"] = [{"@type": "RelatedChannel", **({"role": c["role"]} if c.get("role") else {}),
                           **({"channel": {"@type": "ChannelRef", "id": c["id"], **({"name": c["name"]}
                                           if c.get("name") else {})}} if c.get("id") else {})}
                          for c in req["channel"]]
    if order.milestones:
        out["productOrderMilestone"] = [{"@type": "ProductOrderMilestone", **m} for m in order.milestones]
    if order.jeopardy:
        out["productOrderJeopardyAlert"] = [{"@type": "ProductOrderJeopardyAlert", **a} for a in order.jeopardy]
    return {k: v for k, v in out.items() if v is not None}


def event(order: OrderView, event_type: str, event_id: str, at: datetime) -> dict[str, Any]:
    """The body POSTed to a hub (TMF622 ``<event type>``: the order as it stood)."""
    return {"@type": event_type, "eventId": event_id, "eventType": event_type, "eventTime": dt(at),
            "domain": "productOrderingManagement", "title": event_type,
            "event": {"productOrder": product_order(order)}}


def cancel_product_order(c: CancelView) -> dict[str, Any]:
    out = {"@type": "CancelProductOrder", "id": c.id, "href": f"{ORDERING_BASE}/cancelProductOrder/{c.id}",
           "productOrder": {"@type": "ProductOrderRef", "id": c.order_id,
                            "href": f"{ORDERING_BASE}/productOrder/{c.order_id}"},
           "state": c.state, "cancellationReason": c.cancellation_reason, "creationDate": dt(c.created_at),
           "requestedCancellationDate": dt(c.requested_cancellation_date),
           "effectiveCancellationDate": dt(c.effective_cancellation_date)}
    return {k: v for k, v in out.items() if v is not None}


def hub(h: HubView, base: str = ORDERING_BASE) -> dict[str, Any]:
    out = {"@type": "Hub", "id": h.id, "href": f"{base}/hub/{h.id}", "callback": h.callback, "query": h.query}
    return {k: v for k, v in out.items() if v is not None}


def product(p: ProductView) -> dict[str, Any]:
    chars = [_char("msisdn", p.msisdn), _char("iccid", p.iccid), _char("brand", p.brand), _char("lineKind", p.kind)]
    out: dict[str, Any] = {
        "@type": "Product", "id": p.id, "href": f"{INVENTORY_BASE}/product/{p.id}", "name": p.plan,
        "status": p.status, "isBundle": any(t == "bundles" for _, t in p.relationships),
        "productSerialNumber": p.iccid, "startDate": dt(p.start_date), "terminationDate": dt(p.termination_date),
        "productCharacteristic": chars,
        "productRelationship": [{"@type": "ProductRelationship", "id": pid, "href": f"{INVENTORY_BASE}/product/{pid}",
                                 "relationshipType": kind} for pid, kind in p.relationships],
    }
    return {k: v for k, v in out.items() if v is not None}


def error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"@type": "Error", "code": code, "reason": message[:500], "message": message, "status": str(status)}


def selected(obj: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Attribute selection (``fields=state,creationDate``): the first-level attributes named, with id, href and
    @type."""
    if not fields:
        return obj
    keep = {f.strip() for f in fields.split(",")} | {"id", "href", "@type"}
    return {k: v for k, v in obj.items() if k in keep}
