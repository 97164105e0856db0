"""Use cases of the staff console: the review queue sorted by SLA due time, one application as a
member of staff sees it (personal data masked), and the dashboard's aggregates. Every query is
limited to the brands the member of staff works for."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select

from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import NotFound
from simexit.domain.identifiers import mask_email, mask_msisdn, mask_name
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure.applications import _view
from simexit.services.context import Simexit
from simexit.store import applications_repo as repo
from simexit.store.tables import applications, brands, customers, lines

DEFAULT_STATES = ("submitted", "pending_review")


def _brand_scope(app: Simexit, q: Select, who: StaffIdentity) -> Select:
    if "*" in who.brands:
        return q
    return q.where(applications.c.brand_id.in_([app.brand_id(b) for b in who.brands if b in app.policies]))


def review_queue(app: Simexit, who: StaffIdentity, *, brand: str | None = None, channel: str | None = None,
                 states: tuple[str, ...] | list[str] = DEFAULT_STATES, reason: str | None = None,
                 limit: int = 200) -> list[dict[str, Any]]:
    """Applications in ``states`` (default: awaiting review), the soonest SLA due first, overdue marked."""
    q = (select(applications.c.application_no, applications.c.status, applications.c.channel,
                applications.c.reason_code, applications.c.needs_person, applications.c.submitted_at,
                applications.c.review_due_at, brands.c.code.label("brand"), lines.c.msisdn, lines.c.kind)
         .join(brands, brands.c.id == applications.c.brand_id).join(lines, lines.c.id == applications.c.line_id)
         .order_by(applications.c.review_due_at, applications.c.id).limit(limit))
    q = _brand_scope(app, q, who)
    if brand:
        if not who.sees_brand(brand):
            return []
        q = q.where(applications.c.brand_id == app.brand_id(brand))
    if channel:
        q = q.where(applications.c.channel == channel)
    if states:
        q = q.where(applications.c.status.in_(list(states)))
    if reason:
        q = q.where(applications.c.reason_code == reason)
    with app.db.read() as conn:
        now = app.clock.now()
        rows = conn.execute(q).mappings().all()
    return [{**dict(r), "msisdn": mask_msisdn(r["msisdn"]),
             "overdue": r["status"] in DEFAULT_STATES and r["review_due_at"] < now} for r in rows]


def application_for_staff(app: Simexit, who: StaffIdentity, application_no: str) -> dict[str, Any]:
    """The application's view plus the customer's masked facts and the identity evidence."""
    number = normalize_application_number(application_no or "")
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        row = repo.get_by_number(conn, number)
        if not who.sees_brand(row["brand"]):
            raise NotFound("APPLICATION_NOT_FOUND", "no such application")
        view = _view(conn, row)
        cust = conn.execute(select(customers).where(customers.c.id == row["customer_id"])).mappings().one()
        line = conn.execute(select(lines.c.iccid, lines.c.plan, lines.c.payment, lines.c.status)
                            .where(lines.c.id == row["line_id"])).mappings().one()
    view["msisdn"] = mask_msisdn(view["msisdn"])
    view["overdue"] = view["status"] in DEFAULT_STATES and row["review_due_at"] < app.clock.now()
    view["identity_evidence"] = row["identity_evidence"]
    view["consequences_confirmed"] = (row["consequences"] or {}).get("confirmed", [])
    view["customer"] = {
        "name": mask_name(cust["name"] or ""), "id_type": cust["id_type"],
        "id_last4": cust["id_last4"], "email": mask_email(cust["email"]) if cust["email"] else None,
        "identity_verified": cust["identity_verified"], "locale": cust["locale"],
    }
    view["line"] = {"iccid_last4": (line["iccid"] or "")[-4:], "plan": line["plan"], "payment": line["payment"],
                    "status": line["status"]}
    return view


def dashboard(app: Simexit, who: StaffIdentity, *, days: int = 14) -> dict[str, Any]:
    """Applications submitted per day (in UTC) by current state over ``days`` days, and per brand the
    share of decided applications decided within the SLA, with the open ones already overdue."""
    now = app.clock.now()
    first = (now - timedelta(days=days - 1)).date()
    q = (select(applications.c.status, applications.c.submitted_at, applications.c.decided_at,
                applications.c.review_due_at, brands.c.code.label("brand"))
         .join(brands, brands.c.id == applications.c.brand_id))
    q = _brand_scope(app, q, who)
    with app.db.read() as conn:
        rows = conn.execute(q).mappings().all()
    per_day: dict[date, dict[str, int]] = {first + timedelta(days=i): defaultdict(int) for i in range(days)}
    sla: dict[str, dict[str, int]] = {}
    for r in rows:
        d = r["submitted_at"].date()
        if d in per_day:
            per_day[d][r["status"]] += 1
        s = sla.setdefault(r["brand"], {"decided": 0, "on_time": 0, "open_overdue": 0, "open": 0})
        if r["decided_at"] is not None:
            s["decided"] += 1
            s["on_time"] += int(r["decided_at"] <= r["review_due_at"])
        elif r["status"] in DEFAULT_STATES:
            s["open"] += 1
            s["open_overdue"] += int(r["review_due_at"] < now)
    return {
        "days": [{"day": d, "by_state": dict(c)} for d, c in per_day.items()],
        "sla": [{"brand": b, **v, "compliance": (v["on_time"] / v["decided"]) if v["decided"] else None}
                for b, v in sorted(sla.items())],
    }
