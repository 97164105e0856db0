"""Reads of many applications at once: the API's scoped pages, the console's review queue and dashboard, and
the one row the public status look-up answers from. Brand scoping comes in as brand ids (None: every brand)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from simexit.domain.queue_search import QueueSearch
from simexit.store.tables import applications, brands, customers, lines


def page(conn: Connection, *, customer_id: int | None = None, brand_ids: Sequence[int] | None = None,
         status: str | None = None, channel: str | None = None, due_before: datetime | None = None,
         limit: int = 50, offset: int = 0) -> tuple[int, list[RowMapping]]:
    """The total of the filter and one page of it, newest first."""
    conds: list[Any] = []
    if customer_id is not None:
        conds.append(applications.c.customer_id == customer_id)
    if brand_ids is not None:
        conds.append(applications.c.brand_id.in_(list(brand_ids)))
    if status is not None:
        conds.append(applications.c.status == status)
    if channel is not None:
        conds.append(applications.c.channel == channel)
    if due_before is not None:
        conds.append(applications.c.review_due_at <= due_before)
    q = (select(applications.c.application_no, applications.c.status, applications.c.channel,
                applications.c.submitted_at, applications.c.review_due_at, applications.c.effective_date,
                applications.c.needs_person, applications.c.staff_ref, brands.c.code.label("brand"),
                lines.c.msisdn, lines.c.kind)
         .join(brands, brands.c.id == applications.c.brand_id).join(lines, lines.c.id == applications.c.line_id)
         .where(*conds).order_by(applications.c.id.desc()).limit(limit).offset(offset))
    total = conn.execute(select(func.count()).select_from(applications).where(*conds)).scalar_one()
    return total, list(conn.execute(q).mappings().all())


def review_queue(conn: Connection, *, brand_ids: Sequence[int] | None, channel: str | None,
                 states: Sequence[str], reason: str | None, limit: int,
                 search: QueueSearch | None = None) -> list[RowMapping]:
    """Applications in ``states``, the soonest SLA due first, with the customer's name (the caller masks it);
    ``search``: one application number, a line number's head and tail, or a part of the customer's name."""
    q = (select(applications.c.application_no, applications.c.status, applications.c.channel,
                applications.c.reason_code, applications.c.needs_person, applications.c.submitted_at,
                applications.c.review_due_at, brands.c.code.label("brand"), lines.c.msisdn, lines.c.kind,
                customers.c.name.label("customer_name"))
         .join(brands, brands.c.id == applications.c.brand_id).join(lines, lines.c.id == applications.c.line_id)
         .join(customers, customers.c.id == applications.c.customer_id)
         .order_by(applications.c.review_due_at, applications.c.id).limit(limit))
    if brand_ids is not None:
        q = q.where(applications.c.brand_id.in_(list(brand_ids)))
    if channel:
        q = q.where(applications.c.channel == channel)
    if states:
        q = q.where(applications.c.status.in_(list(states)))
    if reason:
        q = q.where(applications.c.reason_code == reason)
    if search is not None:
        if search.application_no:
            q = q.where(applications.c.application_no == search.application_no)
        elif search.msisdn_tail is not None:
            if search.msisdn_head:
                q = q.where(lines.c.msisdn.startswith(search.msisdn_head, autoescape=True))
            if search.msisdn_tail:
                q = q.where(lines.c.msisdn.endswith(search.msisdn_tail, autoescape=True))
        elif search.name:
            q = q.where(customers.c.name.icontains(search.name, autoescape=True))
    return list(conn.execute(q).mappings().all())


def decisions(conn: Connection, *, brand_ids: Sequence[int] | None) -> list[RowMapping]:
    """Every application's state and decision times (the dashboard's input)."""
    q = (select(applications.c.status, applications.c.submitted_at, applications.c.decided_at,
                applications.c.review_due_at, brands.c.code.label("brand"))
         .join(brands, brands.c.id == applications.c.brand_id))
    if brand_ids is not None:
        q = q.where(applications.c.brand_id.in_(list(brand_ids)))
    return list(conn.execute(q).mappings().all())


def status_row(conn: Connection, application_no: str) -> RowMapping | None:
    """What the public status look-up needs: the seven fields it answers and the line's number to check."""
    return conn.execute(
        select(applications.c.application_no, applications.c.status, applications.c.submitted_at,
               applications.c.updated_at, applications.c.effective_date, applications.c.review_due_at,
               brands.c.code.label("brand"), lines.c.msisdn)
        .join(brands, brands.c.id == applications.c.brand_id).join(lines, lines.c.id == applications.c.line_id)
        .where(applications.c.application_no == application_no)).mappings().first()
