"""TMF622 Product Ordering v5 at /tmf-api/productOrderingManagement/v5, for an operator's BSS (a partner key
with the ``tmf`` scope in X-Api-Key): a productOrder whose items have ``action: "delete"`` terminates the
products (lines) they point at. Served as published (``api.tmf.spec``): productOrder (list, create, retrieve,
patch), cancelProductOrder (list, create, retrieve), hub (create, delete); the document is at
``…/v5/openapi.json``. These routes are left out of simexit's own /openapi.json."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from simexit.api import auth
from simexit.api.auth import Credentials
from simexit.api.tmf import door, render, spec
from simexit.api.tmf.models import CancelProductOrderIn, HubIn, ProductOrderIn, ProductOrderPatch
from simexit.domain.errors import Conflict, DomainError, InvalidInput
from simexit.domain.policy import CHANNELS
from simexit.services.ordering import commands as ordering
from simexit.services.ordering import queries

router = APIRouter(prefix=spec.ORDERING_BASE, tags=["tmf622"], include_in_schema=False)
PARTNER = Depends(auth.partner_credentials)
# Characteristics of an item's product that simexit reads (the first item naming one wins).
READ_CHARACTERISTICS = ("terminationReason", "channel", "identityMethod", "staffRef", "refundMethod",
                        "refundDestination")


@router.get("/openapi.json")
async def openapi_document() -> JSONResponse:
    return JSONResponse(spec.served("ordering"))


def order_request(body: ProductOrderIn) -> ordering.OrderRequest:
    items, chars = [], {}
    for item in body.productOrderItem:
        if item.action != "delete":
            raise InvalidInput("ORDER_ACTION_NOT_SUPPORTED", "simexit terminates lines: every item has action delete")
        if item.product is None or not item.product.id:
            raise InvalidInput("PRODUCT_REQUIRED", "each item points at the product to terminate (product.id)")
        items.append(ordering.ItemRequest(item.id, item.product.id))
        for c in item.product.productCharacteristic:
            if c.name in READ_CHARACTERISTICS and c.value is not None:
                chars.setdefault(c.name, c.value)
    channel = next((c.channel.name for c in body.channel if c.channel and c.channel.name in CHANNELS), None)
    channel = channel or (str(chars["channel"]) if "channel" in chars else None)
    destination = chars.get("refundDestination")
    if destination is not None and not isinstance(destination, dict):
        raise InvalidInput("REFUND_DESTINATION_INVALID", "refundDestination is an object characteristic")
    when: date | None = body.requestedCompletionDate.date() if body.requestedCompletionDate else None
    echo = body.model_dump(mode="json", include={"description", "category", "priority", "notificationContact",
                                                 "requestedCompletionDate", "requestedStartDate"}, exclude_none=True)
    echo["externalId"] = [e.model_dump(include={"id", "owner", "externalIdentifierType"}) for e in body.externalId]
    echo["note"] = [n.model_dump(include={"author", "text"}) for n in body.note]
    echo["channel"] = [{"role": c.role, "id": c.channel.id if c.channel else None,
                        "name": c.channel.name if c.channel else None} for c in body.channel]
    reason = chars.get("terminationReason")
    return ordering.OrderRequest(
        items=tuple(items), initial_state=body.requestedInitialState,
        reason=str(reason)[:1000] if reason is not None else None, channel=channel,
        identity_method=str(chars["identityMethod"]) if "identityMethod" in chars else None,
        staff_ref=str(chars["staffRef"])[:64] if "staffRef" in chars else None,
        refund_method=str(chars["refundMethod"]) if "refundMethod" in chars else None,
        refund_destination={str(k): str(v) for k, v in destination.items()} if destination else None,
        requested_date=when, echo=echo)


def _listed(items: list, total: int) -> tuple[list, dict[str, str]]:
    return items, {"X-Total-Count": str(total), "X-Result-Count": str(len(items))}


@router.get("/productOrder")
async def list_product_orders(request: Request, creds: Credentials = PARTNER) -> Response:
    try:
        limit, offset = door.page(request)
    except DomainError as e:
        return door.error_response(e)
    f = door.fields(request)

    def work(app):
        orders, total = queries.list_orders(app, door.bss(app, creds), limit=limit, offset=offset)
        return _listed([render.selected(render.product_order(o), f) for o in orders], total)

    return await door.respond(request, work)


@router.post("/productOrder")
async def create_product_order(request: Request, creds: Credentials = PARTNER) -> Response:
    try:
        req = order_request(await door.body(request, ProductOrderIn))
    except DomainError as e:
        return door.error_response(e)
    f = door.fields(request)

    def work(app):
        order = ordering.place_order(app, door.bss(app, creds), req, render=render.event)
        return render.selected(render.product_order(order), f)

    return await door.respond(request, work, 201)


@router.get("/productOrder/{id}")
async def retrieve_product_order(request: Request, id: str, creds: Credentials = PARTNER) -> Response:
    f = door.fields(request)
    return await door.respond(request, lambda app: render.selected(render.product_order(
        queries.show_order(app, door.bss(app, creds), id)), f))


@router.patch("/productOrder/{id}")
async def patch_product_order(request: Request, id: str, creds: Credentials = PARTNER) -> Response:
    """Only a draft's ``state`` changes: to ``acknowledged`` (its lines are applied)."""
    try:
        patch = await door.body(request, ProductOrderPatch, door.JSON_TYPES)
    except DomainError as e:
        return door.error_response(e)
    f = door.fields(request)

    def work(app):
        who = door.bss(app, creds)
        if patch.state is None:
            order = queries.show_order(app, who, id)
        elif patch.state == "acknowledged":
            order = ordering.acknowledge(app, who, id, render=render.event)
        else:
            queries.show_order(app, who, id)  # another partner's order is "not found" first
            raise Conflict("ORDER_STATE_NOT_PATCHABLE", "a draft is patched to acknowledged; cancel with "
                           "cancelProductOrder")
        return render.selected(render.product_order(order), f)

    return await door.respond(request, work)


@router.get("/cancelProductOrder")
async def list_cancel_product_orders(request: Request, creds: Credentials = PARTNER) -> Response:
    try:
        limit, offset = door.page(request)
    except DomainError as e:
        return door.error_response(e)
    f = door.fields(request)

    def work(app):
        cancels, total = queries.list_cancels(app, door.bss(app, creds), limit=limit, offset=offset)
        return _listed([render.selected(render.cancel_product_order(c), f) for c in cancels], total)

    return await door.respond(request, work)


@router.post("/cancelProductOrder")
async def create_cancel_product_order(request: Request, creds: Credentials = PARTNER) -> Response:
    """Withdraws the order's applications while they can be withdrawn; refused (409, with the reason) after."""
    try:
        body = await door.body(request, CancelProductOrderIn)
    except DomainError as e:
        return door.error_response(e)
    f = door.fields(request)

    def work(app):
        c = ordering.cancel_order(app, door.bss(app, creds), body.productOrder.id, body.cancellationReason,
                                  body.requestedCancellationDate, render=render.event)
        return render.selected(render.cancel_product_order(c), f)

    return await door.respond(request, work, 201)


@router.get("/cancelProductOrder/{id}")
async def retrieve_cancel_product_order(request: Request, id: str, creds: Credentials = PARTNER) -> Response:
    f = door.fields(request)
    return await door.respond(request, lambda app: render.selected(render.cancel_product_order(
        queries.show_cancel(app, door.bss(app, creds), id)), f))


@router.post("/hub")
async def create_hub(request: Request, creds: Credentials = PARTNER) -> Response:
    """Subscribe a listener: it receives the order events, signed (X-Simexit-Signature), with retries."""
    try:
        body = await door.body(request, HubIn)
    except DomainError as e:
        return door.error_response(e)
    return await door.respond(request, lambda app: render.hub(ordering.subscribe(
        app, door.bss(app, creds), body.callback, body.query)), 201)


@router.delete("/hub/{id}")
async def delete_hub(request: Request, id: str, creds: Credentials = PARTNER) -> Response:
    return await door.respond(request, lambda app: ordering.unsubscribe(app, door.bss(app, creds), id), 204)
