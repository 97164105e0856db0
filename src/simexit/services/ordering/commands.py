"""Ordering's state-changing use cases: ``fn(app, caller, …)``; the caller is an operator's BSS (a Partner with
the ``tmf`` scope), checked first. Each order item becomes an application through
``services.closure.commands.apply`` (the one intake path, with its pre-check, intake decision and review);
cancelling withdraws through ``services.closure.commands.withdraw``.

A draft stores each line's pre-check and quote and applies nothing. Acknowledging (at creation or by patching
a draft) applies each line in its own transaction, as a customer's or a clerk's application would be, then
records the order: an application already open for a line is taken over, not doubled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from simexit.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from simexit.domain.identity import STAFF_CHANNELS
from simexit.domain.intake import DESTINATION_FIELDS, REASON_CODES
from simexit.services.access.caller import Caller, Partner, require_partner
from simexit.services.closure import commands as closure
from simexit.services.closure import queries as closure_queries
from simexit.services.closure.applications import ApplyRequest
from simexit.services.context import Simexit
from simexit.services.execution import outbox
from simexit.services.ordering import records, states
from simexit.services.ordering.views import CancelView, HubView, OrderView
from simexit.store import tmf_repo
from simexit.store.database import Connection

SCOPE = closure.BSS_SCOPE
API = "productOrdering"
MAX_ITEMS = 50
# (order as told, event type, event id, time) -> the body POSTed to the hub; rendered by the door (api.tmf).
Render = Callable[[OrderView, str, str, datetime], dict[str, Any]]
# The channel an order is taken on when it names none: the first of these the brand offers.
CHANNEL_PREFERENCE = ("store", "hotline", "chat", "mail", "app", "online")
DEFAULT_IDENTITY = {"store": "id_document_inspected", "hotline": "service_password", "chat": "service_password",
                    "mail": "id_copy_mailed", "app": "esim_app_session", "online": "esim_app_session"}


@dataclass(frozen=True)
class ItemRequest:
    item_id: str
    product_id: str


@dataclass(frozen=True)
class OrderRequest:
    items: tuple[ItemRequest, ...]
    initial_state: str = "acknowledged"  # or draft
    reason: str | None = None  # a simexit reason code, or free text
    channel: str | None = None
    identity_method: str | None = None
    staff_ref: str | None = None
    refund_method: str | None = None
    refund_destination: dict[str, str] | None = None
    requested_date: date | None = None
    echo: dict[str, Any] = field(default_factory=dict)


def _bss(caller: Caller) -> Partner:
    return require_partner(caller, SCOPE)


def _lines(app: Simexit, req: OrderRequest) -> dict[str, dict[str, Any]]:
    if not req.items or len(req.items) > MAX_ITEMS:
        raise InvalidInput("ORDER_ITEMS_INVALID", f"an order terminates 1 to {MAX_ITEMS} products")
    if len({i.item_id for i in req.items}) != len(req.items):
        raise InvalidInput("ORDER_ITEMS_INVALID", "order item ids repeat")
    out = {}
    with app.db.read() as conn:
        for item in req.items:
            line = tmf_repo.line(conn, int(item.product_id)) if item.product_id.isdigit() and \
                len(item.product_id) < 19 else None
            if line is None:
                raise NotFound("PRODUCT_NOT_FOUND", f"no product {item.product_id[:40]}")
            out[item.item_id] = line
    return out


def _precheck(app: Simexit, who: Partner, msisdn: str, req: OrderRequest) -> dict[str, Any]:
    return closure_queries.precheck(app, who, msisdn, req.requested_date).to_dict()


def _apply_request(req: OrderRequest, msisdn: str, pc: dict[str, Any]) -> ApplyRequest:
    channels = pc["channels"]
    channel = req.channel or next((c for c in CHANNEL_PREFERENCE if c in channels), channels[0])
    refund = None
    if pc["quote"]["refund_minor"] > 0:
        refund = req.refund_method or next((m for m in pc["refund_methods"] if m not in DESTINATION_FIELDS),
                                           pc["refund_methods"][0])
    code, text = (req.reason, None) if req.reason in REASON_CODES else (("other", req.reason) if req.reason
                                                                         else (None, None))
    return ApplyRequest(
        msisdn=msisdn, channel=channel, identity_method=req.identity_method or DEFAULT_IDENTITY.get(channel, "otp"),
        identity_evidence={"via": "tmf622"}, staff_ref=req.staff_ref if channel in STAFF_CHANNELS else None,
        reason_code=code, reason_text=text, consequences_confirmed=list(pc["consequences"]),
        refund_method=refund, refund_destination=req.refund_destination, requested_effective_date=req.requested_date)


def _apply_all(app: Simexit, who: Partner, req: OrderRequest, lines: dict[str, dict[str, Any]]
               ) -> dict[str, tuple[str | None, str | None]]:
    """item id → (application number, None) or (None, why it failed); raises when every item failed."""
    out: dict[str, tuple[str | None, str | None]] = {}
    first: DomainError | None = None
    for item_id, line in lines.items():
        try:
            pc = _precheck(app, who, line["msisdn"], req)
            out[item_id] = (closure.apply(app, who, _apply_request(req, line["msisdn"], pc)).application_no, None)
        except DomainError as e:
            first = first or e
            out[item_id] = (None, f"{e.code}: {e.message}"[:1000])
    if first is not None and all(no is None for no, _ in out.values()):
        raise first
    return out


def place_order(app: Simexit, caller: Caller, req: OrderRequest, *, render: Render) -> OrderView:
    """A product order that terminates the lines of its items: a draft (pre-check and quote, nothing applied) or
    acknowledged (each line applied now)."""
    who = _bss(caller)
    if req.initial_state not in ("draft", "acknowledged"):
        raise InvalidInput("ORDER_STATE_INVALID", "requestedInitialState is draft or acknowledged")
    lines = _lines(app, req)
    draft = req.initial_state == "draft"
    prechecks = {i: _precheck(app, who, line["msisdn"], req) for i, line in lines.items()} if draft else {}
    applied = {} if draft else _apply_all(app, who, req, lines)
    order_id = str(uuid.uuid4())
    with app.db.write() as conn:
        now = app.clock.now()
        items = []
        for item_id, line in lines.items():
            number, failure = applied.get(item_id, (None, None))
            items.append({"item_id": item_id, "line_id": line["id"], "msisdn": line["msisdn"],
                          "precheck": prechecks.get(item_id), "failure": failure, "application_no": number,
                          "application_id": tmf_repo.application_id(conn, number) if number else None})
        tmf_repo.insert_order(conn, {
            "id": order_id, "partner_id": who.id, "partner_name": who.name, "state": req.initial_state,
            "requested_initial_state": req.initial_state, "request": _stored_request(req), "reason": req.reason,
            "created_at": now, "updated_at": now}, items)
        view = records.load_order(conn, order_id, who.id)
        tell(conn, who.id, view, "ProductOrderCreateEvent", f"{order_id}:created", now, render)
        return view


def _stored_request(req: OrderRequest) -> dict[str, Any]:
    return {**req.echo, "simexit": {"channel": req.channel, "identity_method": req.identity_method,
                                    "staff_ref": req.staff_ref, "refund_method": req.refund_method,
                                    "requested_date": req.requested_date.isoformat() if req.requested_date else None}}


def _request_of(row_request: dict[str, Any], reason: str | None, items: tuple[Any, ...]) -> OrderRequest:
    s = row_request.get("simexit") or {}
    when = s.get("requested_date")
    return OrderRequest(items=tuple(ItemRequest(i.item_id, i.product_id) for i in items), reason=reason,
                        channel=s.get("channel"), identity_method=s.get("identity_method"),
                        staff_ref=s.get("staff_ref"), refund_method=s.get("refund_method"),
                        requested_date=date.fromisoformat(when) if when else None)


def acknowledge(app: Simexit, caller: Caller, order_id: str, *, render: Render) -> OrderView:
    """Patch a draft to acknowledged: its lines are applied now (with a fresh pre-check)."""
    who = _bss(caller)
    with app.db.read() as conn:
        row = tmf_repo.order(conn, order_id, who.id)
        if row is None:
            raise NotFound("ORDER_NOT_FOUND", "no product order with this id")
        view = records.load_order(conn, order_id, who.id)
    if row["state"] != "draft":
        if row["requested_initial_state"] == "draft" and row["state"] != "cancelled":
            return view  # acknowledged already: the same answer again
        raise Conflict("ORDER_NOT_DRAFT", f"the order is {view.state}; only a draft can be acknowledged")
    req = _request_of(row["request"], row["reason"], view.items)
    lines = {i.item_id: {"msisdn": None, "id": int(i.product_id)} for i in view.items}
    with app.db.read() as conn:
        for item in view.items:
            line = tmf_repo.line(conn, int(item.product_id))
            if line is None:
                raise NotFound("PRODUCT_NOT_FOUND", f"no product {item.product_id}")
            lines[item.item_id]["msisdn"] = line["msisdn"]
    applied = _apply_all(app, who, req, lines)
    with app.db.write() as conn:
        now = app.clock.now()
        current = tmf_repo.order(conn, order_id, who.id, for_update=True)
        if current is None or current["state"] != "draft":
            return records.load_order(conn, order_id, who.id)
        for item in tmf_repo.items(conn, [order_id])[order_id]:
            number, failure = applied[item["item_id"]]
            tmf_repo.set_item(conn, item["id"], application_no=number, failure=failure,
                              application_id=tmf_repo.application_id(conn, number) if number else None)
        tmf_repo.update_order(conn, order_id, state="acknowledged", updated_at=now)
        view = records.load_order(conn, order_id, who.id)
        told = records.order_view({**current, "state": "acknowledged"}, tmf_repo.items(conn, [order_id])[order_id],
                                  state="acknowledged")
        tell(conn, who.id, told, "ProductOrderStateChangeEvent", f"{order_id}:acknowledged", now, render)
        return view


def cancel_order(app: Simexit, caller: Caller, order_id: str, reason: str | None,
                 requested: datetime | None = None, *, render: Render) -> CancelView:
    """cancelProductOrder: a draft is cancelled; an acknowledged order's applications are withdrawn while they
    can be. Refused (ORDER_NOT_CANCELLABLE, with the reason) once an application is past withdrawal; the
    refused request is kept (state terminatedWithError)."""
    who = _bss(caller)
    with app.db.read() as conn:
        view = records.load_order(conn, order_id, who.id)
    refusals: list[str] = []
    if view.state in states.SETTLED:
        refusals.append(f"the order is {view.state}")
    elif view.state != "draft":
        for item in view.items:
            if item.application_no is None:
                continue
            try:
                closure.withdraw(app, who, item.application_no, (reason or "cancelled by the BSS")[:500])
            except DomainError as e:
                refusals.append(f"{item.item_id}: {e.message}")
    cancel_id = str(uuid.uuid4())
    with app.db.write() as conn:
        now = app.clock.now()
        done = not refusals
        row = {"id": cancel_id, "partner_id": who.id, "order_id": order_id,
               "state": "done" if done else "terminatedWithError", "cancellation_reason": reason,
               "refusal": "; ".join(refusals)[:2000] or None, "requested_cancellation_date": requested,
               "effective_cancellation_date": now if done else None, "created_at": now}
        tmf_repo.insert_cancel(conn, row)
        if done:
            changes: dict[str, Any] = {"cancellation_reason": reason, "cancellation_date": now, "updated_at": now}
            if view.state == "draft":
                changes["state"] = "cancelled"
            tmf_repo.update_order(conn, order_id, **changes)
            if view.state == "draft":
                told = records.load_order(conn, order_id, who.id)
                tell(conn, who.id, told, "ProductOrderStateChangeEvent", f"{order_id}:cancelled", now, render)
    if not done:
        raise Conflict("ORDER_NOT_CANCELLABLE", "the order can no longer be cancelled: " + "; ".join(refusals),
                       cancel_id=cancel_id)
    return records.cancel_view(row)


def subscribe(app: Simexit, caller: Caller, callback: str, query: str | None) -> HubView:
    """A hub: the BSS's listener that receives the order events (signed, through the outbox)."""
    who = _bss(caller)
    parts = urlsplit(callback or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or len(callback) > 500:
        raise InvalidInput("CALLBACK_INVALID", "callback is an http(s) URL of at most 500 characters")
    if query is not None and len(query) > 500:
        raise InvalidInput("QUERY_INVALID", "query has at most 500 characters")
    hub_id = str(uuid.uuid4())
    with app.db.write() as conn:
        tmf_repo.insert_hub(conn, {"id": hub_id, "partner_id": who.id, "api": API, "callback": callback,
                                   "query": query, "created_at": app.clock.now()})
    return HubView(hub_id, callback, query)


def unsubscribe(app: Simexit, caller: Caller, hub_id: str) -> None:
    who = _bss(caller)
    with app.db.write() as conn:
        if not tmf_repo.remove_hub(conn, hub_id, who.id, app.clock.now()):
            raise NotFound("HUB_NOT_FOUND", "no hub with this id")


def wanted(query: str | None, event_type: str) -> bool:
    """A hub's query may name the event types it wants (``eventType=A,B``); otherwise it gets every event."""
    if not query:
        return True
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name.strip() == "eventType":
            return event_type in {v.strip() for v in value.split(",")}
    return True


def tell(conn: Connection, partner_id: int, view: OrderView, event_type: str, key: str, now: datetime,
         render: Render) -> int:
    """Queue the event for each of the partner's hubs that wants it, in the caller's transaction."""
    n = 0
    for hub in tmf_repo.active_hubs(conn, partner_id, API):
        if not wanted(hub["query"], event_type):
            continue
        event_id = f"{key}:{event_type}"
        outbox.enqueue(conn, kind="webhook", recipient=hub["callback"], template=event_type,
                       payload={"body": render(view, event_type, event_id, now), "hub_id": hub["id"],
                                "event_id": event_id},
                       idempotency_key=f"tmf:{hub['id']}:{event_id}", now=now)
        n += 1
    return n
