"""Read-only use cases of closure, each scoped by its caller: the pre-check, one application, the API's pages,
the lines, the console's review queue, staff view and dashboard, and the one public status look-up.

A resource outside the caller's reach answers "not found", as if it did not exist.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from contextlib import suppress
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from simexit.domain import queue_search
from simexit.domain.access import Scope
from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from simexit.domain.identifiers import mask_email, mask_msisdn, mask_name
from simexit.domain.roles import Permission
from simexit.domain.state_machine import Status
from simexit.services.access import throttle
from simexit.services.access.caller import (
    Caller,
    CustomerSession,
    Operator,
    Public,
    StaffIdentity,
    System,
    require_staff,
)
from simexit.services.closure import applications, public_cancellation
from simexit.services.closure import precheck as _precheck
from simexit.services.closure.views import ApplicationView, PrecheckResult, StaffApplicationView, StatusView
from simexit.services.context import Simexit
from simexit.store import application_lists, lines_repo
from simexit.store import applications_repo as repo

CHANNELS = ("online", "app", "hotline", "chat", "store", "mail")
REVIEW_STATES = ("submitted", "pending_review")
# The public status look-up (API and portal alike): per client address, and 5 wrong answers for one
# application lock it for an hour. Every refusal is the same "not found".
LOOKUPS_PER_ADDRESS = (60, timedelta(minutes=15))
WRONG_TAILS_PER_APPLICATION = (5, timedelta(hours=1))


def reader_scope(caller: Caller) -> Scope | None:
    """Whose records the caller may read: a customer their own, staff (who may view applications) their
    brands, simexit and operators everything; partners and the public nothing here."""
    if isinstance(caller, CustomerSession):
        return Scope.customer(caller.customer_id)
    if isinstance(caller, StaffIdentity):
        require_staff(caller, Permission.VIEW_APPLICATIONS)
        return Scope.staff(caller.brands)
    if isinstance(caller, System | Operator):
        return None
    raise Forbidden("CALLER_NOT_PERMITTED", "this use case is not open to this caller")


def _brand_ids(app: Simexit, scope: Scope | None) -> list[int] | None:
    if scope is None or scope.brands is None or scope.all_brands:
        return None
    return [app.brand_id(b) for b in scope.brands if b in app.policies]


def precheck(app: Simexit, caller: Caller, msisdn: str, requested_effective: date | None = None) -> PrecheckResult:
    """The pre-check and exact quote of a line within the caller's reach."""
    scope = reader_scope(caller)
    return _precheck.precheck(app, msisdn, requested_effective, scope=scope)


def show(app: Simexit, caller: Caller, application_no: str, *, locale: str | None = None) -> ApplicationView:
    """One application with its timeline, as its reader may see it: a customer reads plain messages (in
    ``locale``, else their own) instead of simexit's internal notes, staff read those notes masked."""
    scope = reader_scope(caller)
    number = normalize_application_number(application_no or "")
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        row = repo.get_by_number(conn, number)
        applications.check_scope(scope, row["brand"], row["customer_id"], "APPLICATION_NOT_FOUND", number)
        view = applications.view_of(conn, row)
        if isinstance(caller, CustomerSession):
            return view.for_customer(locale or repo.customer_locale(conn, row["customer_id"]))
    return view.for_staff() if isinstance(caller, StaffIdentity) else view


def list_applications(app: Simexit, caller: Caller, *, brand: str | None = None, status: str | None = None,
                      channel: str | None = None, due_before: datetime | None = None, limit: int = 50,
                      offset: int = 0) -> dict[str, Any]:
    """A page of applications within the caller's reach, newest first, with the total count of the filter."""
    scope = reader_scope(caller)
    if not 1 <= limit <= 500 or not 0 <= offset <= 10**9:
        raise InvalidInput("PAGINATION_INVALID", "limit is 1..500 and offset ≥ 0")
    if status is not None and status not in {s.value for s in Status}:
        raise InvalidInput("STATUS_UNKNOWN", f"unknown status {status!r}", allowed=[s.value for s in Status])
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput("CHANNEL_UNKNOWN", f"unknown channel {channel!r}", allowed=list(CHANNELS))
    visible = _brand_ids(app, scope)
    if brand is not None:
        app.policy(brand)
        if visible is not None and app.brand_id(brand) not in visible:
            raise Forbidden("BRAND_NOT_PERMITTED", f"your account does not cover {brand}")
        visible = [app.brand_id(brand)]
    with app.db.read() as conn:
        total, rows = application_lists.page(
            conn, customer_id=scope.customer_id if scope else None, brand_ids=visible, status=status,
            channel=channel, due_before=due_before, limit=limit, offset=offset)
    items = [{**dict(r), "submitted_at": r["submitted_at"].isoformat(),
              "review_due_at": r["review_due_at"].isoformat(), "effective_date": r["effective_date"].isoformat()}
             for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def list_lines(app: Simexit, caller: Caller, *, brand: str | None = None, status: str | None = None,
               kind: str | None = None, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    """Lines by filter, within the caller's reach: a customer's own, a member of staff's brands."""
    scope = reader_scope(caller)
    if not 1 <= limit <= 10000 or offset < 0:
        raise InvalidInput("PAGINATION_INVALID", "limit is 1..10000 and offset ≥ 0")
    brand_id = None
    if brand is not None:
        brand_id = app.brand_id(brand)
        if scope is not None and scope.brands is not None and not scope.all_brands and brand not in scope.brands:
            raise Forbidden("BRAND_NOT_PERMITTED", f"your account does not cover {brand}")
    with app.db.read() as conn:
        return lines_repo.list_lines(conn, brand_id=brand_id, brand_ids=_brand_ids(app, scope),
                                     customer_id=scope.customer_id if scope else None, status=status, kind=kind,
                                     limit=limit, offset=offset)


def review_queue(app: Simexit, caller: Caller, *, brand: str | None = None, channel: str | None = None,
                 states: tuple[str, ...] | list[str] = REVIEW_STATES, reason: str | None = None,
                 search: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Applications in ``states`` (default: awaiting review) of the staff member's brands, the soonest SLA due
    first, overdue marked, numbers and names masked. ``search``: an application number, a line number as the
    queue shows it (masked, or its last digits) or a part of the customer's name (queue_search.parse)."""
    who = require_staff(caller, Permission.VIEW_APPLICATIONS)
    brand_ids = _brand_ids(app, Scope.staff(who.brands))
    if brand:
        if not who.sees_brand(brand):
            return []
        brand_ids = [app.brand_id(brand)]
    with app.db.read() as conn:
        now = app.clock.now()
        rows = application_lists.review_queue(conn, brand_ids=brand_ids, channel=channel, states=list(states),
                                              reason=reason, limit=limit, search=queue_search.parse(search))
    return [{**{k: v for k, v in r.items() if k != "customer_name"}, "msisdn": mask_msisdn(r["msisdn"]),
             "customer": mask_name(r["customer_name"] or ""),
             "overdue": r["status"] in REVIEW_STATES and r["review_due_at"] < now} for r in rows]


def application_for_staff(app: Simexit, caller: Caller, application_no: str) -> StaffApplicationView:
    """The application's view (internal notes masked) plus the customer's masked facts and the identity
    evidence."""
    who = require_staff(caller)
    number = normalize_application_number(application_no or "")
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        row = repo.get_by_number(conn, number)
        if not who.sees_brand(row["brand"]):
            raise NotFound("APPLICATION_NOT_FOUND", "no such application")
        view = applications.view_of(conn, row).for_staff()
        cust, line = repo.staff_facts(conn, row["customer_id"], row["line_id"])
    return StaffApplicationView(
        application=replace(view, msisdn=mask_msisdn(view.msisdn)),
        overdue=view.status in REVIEW_STATES and row["review_due_at"] < app.clock.now(),
        identity_evidence=row["identity_evidence"],
        consequences_confirmed=tuple((row["consequences"] or {}).get("confirmed", [])),
        customer={"name": mask_name(cust["name"] or ""), "id_type": cust["id_type"], "id_last4": cust["id_last4"],
                  "email": mask_email(cust["email"]) if cust["email"] else None,
                  "identity_verified": cust["identity_verified"], "locale": cust["locale"]},
        line={"iccid_last4": (line["iccid"] or "")[-4:], "plan": line["plan"], "payment": line["payment"],
              "status": line["status"]})


def dashboard(app: Simexit, caller: Caller, *, days: int = 14) -> dict[str, Any]:
    """Applications submitted per day (in UTC) by current state over ``days`` days, and per brand the
    share of decided applications decided within the SLA, with the open ones already overdue."""
    who = require_staff(caller, Permission.VIEW_REPORTS)
    now = app.clock.now()
    first = (now - timedelta(days=days - 1)).date()
    with app.db.read() as conn:
        rows = application_lists.decisions(conn, brand_ids=_brand_ids(app, Scope.staff(who.brands)))
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
        elif r["status"] in REVIEW_STATES:
            s["open"] += 1
            s["open_overdue"] += int(r["review_due_at"] < now)
    return {
        "days": [{"day": d, "by_state": dict(c)} for d, c in per_day.items()],
        "sla": [{"brand": b, **v, "compliance": (v["on_time"] / v["decided"]) if v["decided"] else None}
                for b, v in sorted(sla.items())],
    }


def lookup_status(app: Simexit, caller: Caller, application_no: str, line_last4: str) -> StatusView:
    """The status of an application for someone who knows its number and the last 4 digits of the line —
    the one public look-up, for the API and the portal's /status alike.

    Throttled per client address, and 5 wrong answers for one application lock it for an hour (one counter
    whichever door asks); every refusal is the same "not found". Seven fields: no timeline, no notes.
    """
    if not isinstance(caller, Public):
        raise Forbidden("CALLER_NOT_PERMITTED", "the status look-up is for callers who have not signed in")
    number = normalize_application_number(application_no or "")
    tail = (line_last4 or "").strip()
    key_addr = "lookup-ip:" + hmac.new(app.secret_key.encode(), f"ip:{caller.client_address}".encode(),
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
            row = application_lists.status_row(conn, number)
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
    return StatusView(application_no=row["application_no"], status=row["status"], brand=row["brand"],
                      submitted_at=row["submitted_at"].isoformat(), updated_at=row["updated_at"].isoformat(),
                      review_due_at=row["review_due_at"].isoformat(),
                      effective_date=row["effective_date"].isoformat())


def cancellation_request(app: Simexit, caller: Caller, request_no: str, token: str) -> dict[str, Any]:
    """A public cancellation request's own page (its signed link): the receipt and where it stands."""
    if not isinstance(caller, Public):
        raise Forbidden("CALLER_NOT_PERMITTED", "this use case is not open to this caller")
    return public_cancellation.view(app, request_no, token)


def read_number(app: Simexit, caller: Caller, raw: str, brand: str | None = None) -> str:
    """The E.164 number a person typed, read as sign-in and the public form read it (closure.precheck)."""
    return _precheck.resolve_msisdn(app, raw, brand)
