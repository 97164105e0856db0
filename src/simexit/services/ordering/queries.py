"""Ordering's read-only use cases for an operator's BSS (a Partner with the ``tmf`` scope): its own orders,
cancellations and hubs (another partner's are "not found"), and the lines as TMF637 products."""

from __future__ import annotations

from simexit.domain.errors import NotFound, Unavailable
from simexit.services.access.caller import Caller, require_partner
from simexit.services.context import Simexit
from simexit.services.ordering import records
from simexit.services.ordering.commands import SCOPE
from simexit.services.ordering.views import CancelView, OrderView, ProductView
from simexit.store import lines_repo, tmf_repo

MAX_PAGE = 500


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, min(offset, 10**9))


def show_order(app: Simexit, caller: Caller, order_id: str) -> OrderView:
    who = require_partner(caller, SCOPE)
    with app.db.read() as conn:
        return records.load_order(conn, order_id, who.id)


def list_orders(app: Simexit, caller: Caller, *, limit: int = 100, offset: int = 0) -> tuple[list[OrderView], int]:
    who = require_partner(caller, SCOPE)
    limit, offset = _page(limit, offset)
    with app.db.read() as conn:
        rows, total = tmf_repo.orders(conn, who.id, limit, offset)
        items = tmf_repo.items(conn, [r["id"] for r in rows]) if rows else {}
        return [records.order_view(r, items[r["id"]]) for r in rows], total


def show_cancel(app: Simexit, caller: Caller, cancel_id: str) -> CancelView:
    who = require_partner(caller, SCOPE)
    with app.db.read() as conn:
        row = tmf_repo.cancel(conn, cancel_id, who.id)
    if row is None:
        raise NotFound("CANCEL_NOT_FOUND", "no cancelProductOrder with this id")
    return records.cancel_view(row)


def list_cancels(app: Simexit, caller: Caller, *, limit: int = 100, offset: int = 0
                 ) -> tuple[list[CancelView], int]:
    who = require_partner(caller, SCOPE)
    limit, offset = _page(limit, offset)
    with app.db.read() as conn:
        rows, total = tmf_repo.cancels(conn, who.id, limit, offset)
    return [records.cancel_view(r) for r in rows], total


def show_product(app: Simexit, caller: Caller, product_id: str) -> ProductView:
    require_partner(caller, SCOPE)
    if not product_id.isdigit() or len(product_id) > 18:
        raise NotFound("PRODUCT_NOT_FOUND", "no product with this id")
    with app.db.read() as conn:
        line = tmf_repo.line(conn, int(product_id))
        if line is None:
            raise NotFound("PRODUCT_NOT_FOUND", "no product with this id")
        return records.product_view(line, _facts(app, conn, line["msisdn"]), _line_id_of(conn))


def list_products(app: Simexit, caller: Caller, *, limit: int = 100, offset: int = 0
                  ) -> tuple[list[ProductView], int]:
    require_partner(caller, SCOPE)
    limit, offset = _page(limit, offset)
    with app.db.read() as conn:
        rows, total = tmf_repo.line_pages(conn, limit, offset)
        return [records.product_view(r, _facts(app, conn, r["msisdn"]), _line_id_of(conn)) for r in rows], total


def _line_id_of(conn: object):  # type: ignore[no-untyped-def]
    def line_id_of(msisdn: str) -> str | None:
        try:
            return str(lines_repo.line_ids(conn, msisdn)[0])  # type: ignore[arg-type]
        except NotFound:
            return None
    return line_id_of


def _facts(app: Simexit, conn: object, msisdn: str) -> object | None:
    """The line's facts (for its family: bundles and secondary lines), or None when the facts source does not
    know it or cannot answer now (the product is then shown without relationships)."""
    try:
        return app.facts_source(conn).line_facts(msisdn)  # type: ignore[arg-type]
    except (NotFound, Unavailable):
        return None
