"""Use cases that read applications for the API: scoped lists and the status lookup without sign-in."""

from __future__ import annotations

import hashlib
import hmac
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from simexit.domain.access import Scope
from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from simexit.domain.state_machine import Status
from simexit.services.access import throttle
from simexit.services.context import Simexit
from simexit.store.tables import applications, brands, lines

LOOKUPS_PER_ADDRESS = (60, timedelta(minutes=15))
WRONG_TAILS_PER_APPLICATION = (5, timedelta(hours=1))
CHANNELS = ("online", "app", "hotline", "chat", "store", "mail")


def list_applications(app: Simexit, scope: Scope, *, brand: str | None = None, status: str | None = None,
                      channel: str | None = None, due_before: datetime | None = None, limit: int = 50,
                      offset: int = 0) -> dict[str, Any]:
    """A page of applications within ``scope``, newest first, with the total count of the filter."""
    if not 1 <= limit <= 500 or not 0 <= offset <= 10**9:
        raise InvalidInput("PAGINATION_INVALID", "limit is 1..500 and offset ≥ 0")
    if status is not None and status not in {s.value for s in Status}:
        raise InvalidInput("STATUS_UNKNOWN", f"unknown status {status!r}", allowed=[s.value for s in Status])
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput("CHANNEL_UNKNOWN", f"unknown channel {channel!r}", allowed=list(CHANNELS))
    conds = []
    if scope.customer_id is not None:
        conds.append(applications.c.customer_id == scope.customer_id)
    visible = None if scope.brands is None or scope.all_brands else [b for b in scope.brands if b in app.policies]
    if brand is not None:
        app.policy(brand)
        if visible is not None and brand not in visible:
            raise Forbidden("BRAND_NOT_PERMITTED", f"your account does not cover {brand}")
        visible = [brand]
    if visible is not None:
        conds.append(applications.c.brand_id.in_([app.brand_id(b) for b in visible]))
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
    with app.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(applications).where(*conds)).scalar_one()
        rows = conn.execute(q).mappings().all()
    items = [{**dict(r), "submitted_at": r["submitted_at"].isoformat(),
              "review_due_at": r["review_due_at"].isoformat(), "effective_date": r["effective_date"].isoformat()}
             for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def lookup_status(app: Simexit, application_no: str, line_last4: str, client_address: str) -> dict[str, Any]:
    """The status of an application for someone who knows its number and the last 4 digits of the line.

    Throttled per client address, and 5 wrong answers for one application lock it for an hour; every
    refusal is the same "not found".
    """
    number = normalize_application_number(application_no or "")
    tail = (line_last4 or "").strip()
    key_addr = "lookup-ip:" + hmac.new(app.secret_key.encode(), f"ip:{client_address}".encode(),
                                       hashlib.sha256).hexdigest()
    key_app = f"lookup-fail:{number}"
    failed: DomainError | None = None
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.hit(conn, key_addr, now=now, limit=LOOKUPS_PER_ADDRESS[0], window=LOOKUPS_PER_ADDRESS[1],
                     code="RATE_LIMITED", message="too many look-ups from this address; try again later")
        row = None
        if number is not None:
            throttle.check(conn, key_app, now=now, code="RATE_LIMITED",
                           message="too many wrong answers for this application; try again later")
            row = conn.execute(
                select(applications.c.application_no, applications.c.status, applications.c.submitted_at,
                       applications.c.updated_at, applications.c.effective_date, applications.c.review_due_at,
                       brands.c.code.label("brand"), lines.c.msisdn)
                .join(brands, brands.c.id == applications.c.brand_id).join(lines, lines.c.id == applications.c.line_id)
                .where(applications.c.application_no == number)).mappings().first()
        ok = row is not None and len(tail) == 4 and hmac.compare_digest(row["msisdn"][-4:], tail)
        if not ok:
            failed = NotFound("APPLICATION_NOT_FOUND", "no application with that number and line")
            if number is not None:
                # Once locked, the lock shows on the next attempt; this answer stays "not found".
                with suppress(throttle.TooManyAttempts):
                    throttle.hit(conn, key_app, now=now, limit=WRONG_TAILS_PER_APPLICATION[0] - 1,
                                 window=WRONG_TAILS_PER_APPLICATION[1], lock_for=WRONG_TAILS_PER_APPLICATION[1],
                                 code="RATE_LIMITED", message="too many wrong answers for this application")
    if failed is not None:
        raise failed
    assert row is not None
    return {"application_no": row["application_no"], "status": row["status"], "brand": row["brand"],
            "submitted_at": row["submitted_at"].isoformat(), "updated_at": row["updated_at"].isoformat(),
            "review_due_at": row["review_due_at"].isoformat(), "effective_date": row["effective_date"].isoformat()}
