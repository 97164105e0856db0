"""Use case: list lines (for staff and scripts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from simexit.domain.access import Scope
from simexit.domain.errors import Forbidden, InvalidInput
from simexit.services.context import Simexit
from simexit.store.tables import accounts, brands, lines


def list_lines(app: Simexit, *, brand: str | None = None, status: str | None = None, kind: str | None = None,
               limit: int = 1000, offset: int = 0, scope: Scope | None = None) -> list[dict[str, Any]]:
    """Lines by filter; ``scope`` limits them to a customer's own lines or a staff member's brands."""
    if not 1 <= limit <= 10000 or offset < 0:
        raise InvalidInput("PAGINATION_INVALID", "limit is 1..10000 and offset ≥ 0")
    q = (select(lines.c.msisdn, lines.c.iccid, lines.c.kind, lines.c.payment, lines.c.plan, lines.c.status,
                lines.c.number_keeping, brands.c.code.label("brand"), brands.c.card_kind)
         .join(brands, brands.c.id == lines.c.brand_id).order_by(lines.c.id).limit(limit).offset(offset))
    if brand is not None:
        q = q.where(lines.c.brand_id == app.brand_id(brand))
        if scope is not None and scope.brands is not None and not scope.all_brands and brand not in scope.brands:
            raise Forbidden("BRAND_NOT_PERMITTED", f"your account does not cover {brand}")
    if scope is not None and scope.customer_id is not None:
        q = q.join(accounts, accounts.c.id == lines.c.account_id).where(accounts.c.customer_id == scope.customer_id)
    if scope is not None and scope.brands is not None and not scope.all_brands:
        q = q.where(lines.c.brand_id.in_([app.brand_id(b) for b in scope.brands if b in app.policies]))
    if status is not None:
        q = q.where(lines.c.status == status)
    if kind is not None:
        q = q.where(lines.c.kind == kind)
    with app.db.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
