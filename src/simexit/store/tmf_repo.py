"""TMF622/TMF637 records: product orders and their items, cancellations, hub subscriptions, and the lines and
applications they are read from. Every lookup of an order, a cancellation or a hub is scoped by the partner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from simexit.store import locking
from simexit.store.tables import application_events, applications, brands, lines
from simexit.store.tables_tmf import tmf_cancel_orders, tmf_hubs, tmf_order_items, tmf_product_orders

# Order states after which nothing more happens (drafts are followed once acknowledged).
SETTLED = ("completed", "rejected", "cancelled", "failed", "partial", "draft")


def insert_order(conn: Connection, values: dict[str, Any], items: Sequence[dict[str, Any]]) -> None:
    conn.execute(insert(tmf_product_orders), values)
    conn.execute(insert(tmf_order_items), [{**i, "order_id": values["id"]} for i in items])


def order(conn: Connection, order_id: str, partner_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    q = select(tmf_product_orders).where(tmf_product_orders.c.id == order_id,
                                         tmf_product_orders.c.partner_id == partner_id)
    if for_update:
        q = locking.for_update(conn, q)
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def orders(conn: Connection, partner_id: int, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    where = tmf_product_orders.c.partner_id == partner_id
    total = conn.execute(select(func.count()).select_from(tmf_product_orders).where(where)).scalar_one()
    rows = conn.execute(select(tmf_product_orders).where(where).order_by(tmf_product_orders.c.created_at.desc(),
                                                                          tmf_product_orders.c.id)
                        .limit(limit).offset(offset)).mappings().all()
    return [dict(r) for r in rows], total


def items(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The orders' items with their application's status and dates (None before acknowledgement)."""
    q = (select(tmf_order_items, applications.c.status.label("application_status"),
                applications.c.effective_date, applications.c.review_due_at, applications.c.reason_code,
                applications.c.reason_text)
         .outerjoin(applications, applications.c.id == tmf_order_items.c.application_id)
         .where(tmf_order_items.c.order_id.in_(list(order_ids))).order_by(tmf_order_items.c.id))
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in order_ids}
    for r in conn.execute(q).mappings():
        out[r["order_id"]].append(dict(r))
    return out


def update_order(conn: Connection, order_id: str, **values: Any) -> None:
    conn.execute(update(tmf_product_orders).where(tmf_product_orders.c.id == order_id).values(**values))


def application_id(conn: Connection, application_no: str) -> int:
    return conn.execute(select(applications.c.id).where(applications.c.application_no == application_no)
                        ).scalar_one()


def set_item(conn: Connection, item_row_id: int, **values: Any) -> None:
    conn.execute(update(tmf_order_items).where(tmf_order_items.c.id == item_row_id).values(**values))


def orders_to_follow(conn: Connection, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(tmf_product_orders).where(tmf_product_orders.c.state.not_in(SETTLED))
                        .order_by(tmf_product_orders.c.created_at).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def events_after(conn: Connection, application_ids: Sequence[int], after_id: int) -> list[dict[str, Any]]:
    """The applications' timeline events newer than ``after_id``, oldest first."""
    q = (select(application_events.c.id, application_events.c.application_id, application_events.c.event,
                application_events.c.to_status, application_events.c.at, application_events.c.note)
         .where(application_events.c.application_id.in_(list(application_ids)), application_events.c.id > after_id)
         .order_by(application_events.c.id))
    return [dict(r) for r in conn.execute(q).mappings()]


def insert_cancel(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(tmf_cancel_orders), values)


def cancel(conn: Connection, cancel_id: str, partner_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(tmf_cancel_orders).where(tmf_cancel_orders.c.id == cancel_id,
                                                       tmf_cancel_orders.c.partner_id == partner_id)).mappings().first()
    return dict(row) if row else None


def cancels(conn: Connection, partner_id: int, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    where = tmf_cancel_orders.c.partner_id == partner_id
    total = conn.execute(select(func.count()).select_from(tmf_cancel_orders).where(where)).scalar_one()
    rows = conn.execute(select(tmf_cancel_orders).where(where).order_by(tmf_cancel_orders.c.created_at.desc(),
                                                                        tmf_cancel_orders.c.id)
                        .limit(limit).offset(offset)).mappings().all()
    return [dict(r) for r in rows], total


def insert_hub(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(tmf_hubs), values)


def remove_hub(conn: Connection, hub_id: str, partner_id: int, now: datetime) -> bool:
    r = conn.execute(update(tmf_hubs).where(tmf_hubs.c.id == hub_id, tmf_hubs.c.partner_id == partner_id,
                                            tmf_hubs.c.removed_at.is_(None)).values(removed_at=now))
    return r.rowcount == 1


def active_hubs(conn: Connection, partner_id: int, api: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(tmf_hubs).where(tmf_hubs.c.partner_id == partner_id, tmf_hubs.c.api == api,
                                               tmf_hubs.c.removed_at.is_(None)).order_by(tmf_hubs.c.created_at,
                                                                                         tmf_hubs.c.id))
    return [dict(r) for r in rows.mappings()]


_LINE = (lines.c.id, lines.c.msisdn, lines.c.iccid, lines.c.kind, lines.c.payment, lines.c.plan, lines.c.status,
         lines.c.activated_at, lines.c.closed_at, brands.c.code.label("brand"))


def _with_application(q: Any) -> Any:
    """Each line with its newest application (status and effective date), if any."""
    newest = (select(applications.c.line_id, func.max(applications.c.id).label("app_id"))
              .group_by(applications.c.line_id).subquery())
    return (q.add_columns(applications.c.status.label("application_status"), applications.c.effective_date)
            .outerjoin(newest, newest.c.line_id == lines.c.id)
            .outerjoin(applications, and_(applications.c.id == newest.c.app_id)))


def line(conn: Connection, line_id: int) -> dict[str, Any] | None:
    q = _with_application(select(*_LINE).join(brands, brands.c.id == lines.c.brand_id)).where(lines.c.id == line_id)
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def line_pages(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(select(func.count()).select_from(lines)).scalar_one()
    q = _with_application(select(*_LINE).join(brands, brands.c.id == lines.c.brand_id)).order_by(lines.c.id)
    return [dict(r) for r in conn.execute(q.limit(limit).offset(offset)).mappings()], total
