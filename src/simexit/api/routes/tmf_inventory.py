"""TMF637 Product Inventory v5 at /tmf-api/productInventory/v5, read-only, for an operator's BSS (the ``tmf``
scope): each line as a product with its status (active → pendingTerminate → terminated), terminationDate and
productRelationship (bundles, secondary lines, when the facts source knows them). Served as published
(``api.tmf.spec``): product (list, retrieve); the document is at ``…/v5/openapi.json``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from simexit.api import auth
from simexit.api.auth import Credentials
from simexit.api.tmf import door, render, spec
from simexit.domain.errors import DomainError
from simexit.services.ordering import queries

router = APIRouter(prefix=spec.INVENTORY_BASE, tags=["tmf637"], include_in_schema=False)
PARTNER = Depends(auth.partner_credentials)


@router.get("/openapi.json")
async def openapi_document() -> JSONResponse:
    return JSONResponse(spec.served("inventory"))


@router.get("/product")
async def list_products(request: Request, creds: Credentials = PARTNER) -> Response:
    try:
        limit, offset = door.page(request)
    except DomainError as e:
        return door.error_response(e)
    f = door.fields(request)

    def work(app):
        products, total = queries.list_products(app, door.bss(app, creds), limit=limit, offset=offset)
        items = [render.selected(render.product(p), f) for p in products]
        return items, {"X-Total-Count": str(total), "X-Result-Count": str(len(items))}

    return await door.respond(request, work)


@router.get("/product/{id}")
async def retrieve_product(request: Request, id: str, creds: Credentials = PARTNER) -> Response:
    f = door.fields(request)
    return await door.respond(request, lambda app: render.selected(render.product(
        queries.show_product(app, door.bss(app, creds), id)), f))
