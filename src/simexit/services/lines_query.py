"""Use case: list lines (for staff and scripts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from simexit.domain.errors import InvalidInput
from simexit.services.context import Simexit
from simexit.store.tables import brands, lines


def list_lines(app: Simexit, *, brand: str | None = None, status: str | None = None, kind: str | None = None,
               limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    if not 1 <= limit <= 10000 or offset < 0:
        raise InvalidInput("PAGINATION_INVALID", "limit is 1..10000 and offset ≥ 0")
    q = (select(lines.c.msisdn, lines.c.iccid, lines.c.kind, lines.c.payment, lines.c.plan, lines.c.status,
                lines.c.number_keeping, brands.c.code.label("brand"), brands.c.card_kind)
         .join(brands, brands.c.id == lines.c.brand_id).order_by(lines.c.id).limit(limit).offset(offset))
    if brand is not None:
        q = q.where(lines.c.brand_id == app.brand_id(brand))
    if status is not None:
        q = q.where(lines.c.status == status)
    if kind is not None:
        q = q.where(lines.c.kind == kind)
    with app.db.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
