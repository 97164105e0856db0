"""The cancellation application below the door: apply, withdraw, approve, reject, automatic approval, show.

These take an ``Actor`` (who is recorded) and a ``Scope`` (what may be touched) that ``commands`` and ``queries``
derive from the caller after checking it; doors never call this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from simexit.domain import intake
from simexit.domain.access import Scope
from simexit.domain.application_number import new_application_number, normalize_application_number
from simexit.domain.errors import DomainError, InvalidInput, NotFound
from simexit.domain.families import FamilyChoices
from simexit.domain.identifiers import mask_msisdn
from simexit.domain.identity import IdentityMethod, check_method, id_matches
from simexit.domain.intake import DESTINATION_FIELDS, REASON_CODES
from simexit.domain.policy import CHANNELS
from simexit.domain.state_machine import (
    REJECTION_REASONS,
    Action,
    ActorType,
    check_rejection_reasons,
    transition,
)
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure.precheck import precheck_in, resolve_msisdn
from simexit.services.closure.views import ApplicationView, ApplyResult, TimelineEntry
from simexit.services.context import Simexit
from simexit.services.execution.decision_messages import notify
from simexit.services.execution.scheduling import schedule_execution
from simexit.store import applications_repo as repo
from simexit.store.database import Connection

__all__ = ["DESTINATION_FIELDS", "REASON_CODES", "Actor", "ApplyRequest", "ApplyResult", "apply", "approve",
           "auto_approve_clean", "reject", "show", "withdraw"]


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None = None
    role: str | None = None
    channel: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorType.SYSTEM, "simexit", "system")

    @classmethod
    def of_staff(cls, who: StaffIdentity, channel: str | None = None) -> Actor:
        return cls(ActorType.STAFF, who.username, who.role.value, channel)


@dataclass
class ApplyRequest:
    msisdn: str
    channel: str
    identity_method: str
    identity_evidence: dict[str, Any] = field(default_factory=dict)
    id_number: str | None = None  # checked against the stored hash, never stored
    staff_ref: str | None = None
    staff_role: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None
    consequences_confirmed: list[str] = field(default_factory=list)
    refund_method: str | None = None
    refund_destination: dict[str, str] | None = None
    requested_effective_date: date | None = None
    batch_id: str | None = None
    early_termination_fee_accepted: bool = False  # where the policy allows it (domain.intake.fee_acceptable)
    family_choices: FamilyChoices | None = None  # issue 17: secondary lines, bundle (domain/families.py)
    scope: Scope | None = None  # the caller's reach (API): a line outside it is "not found"


def _validate_request(req: ApplyRequest) -> None:
    if req.channel not in CHANNELS:
        raise InvalidInput("CHANNEL_UNKNOWN", f"unknown channel {req.channel!r}", allowed=list(CHANNELS))
    if req.reason_code is not None and req.reason_code not in REASON_CODES:
        raise InvalidInput("REASON_UNKNOWN", f"unknown reason {req.reason_code!r}", allowed=list(REASON_CODES))
    if req.reason_text is not None and len(req.reason_text) > 1000:
        raise InvalidInput("REASON_TOO_LONG", "the reason text has at most 1000 characters")


def _verify_identity(app: Simexit, conn: Connection, customer_id: int, req: ApplyRequest) -> IdentityMethod:
    method = check_method(req.channel, req.identity_method, req.staff_ref)
    if req.id_number is not None or method == IdentityMethod.ID_NUMBER:
        row = repo.customer_id_record(conn, customer_id)
        if not req.id_number or not id_matches(app.secret_key, row["id_type"], req.id_number, row["id_hash"]):
            raise DomainError("IDENTITY_MISMATCH", "the ID number does not match the real-name record")
    return method


def apply(app: Simexit, req: ApplyRequest) -> ApplyResult:
    """Submit an application; an open one for the same line is returned instead (never a second one)."""
    _validate_request(req)
    msisdn = resolve_msisdn(app, req.msisdn)
    if getattr(app.facts_source, "asks_outside", False):
        # A facts source that asks another system (the BSS, issue 17) is asked before the write transaction, so
        # that no lock waits on it; the application's write then reads the same cached snapshot.
        with app.db.lookup() as conn:
            app.facts_source(conn).line_facts(msisdn)
    for _attempt in range(3):
        try:
            with app.db.write() as conn:
                return _apply_in(app, conn, req, msisdn)
        except repo.StoreConflict:
            # Someone opened an application for this line at the same moment (the unique partial index
            # refused ours), or — astronomically rarely — the random number was taken: look again.
            with app.db.read() as conn:
                facts = app.facts_source(conn).line_facts(msisdn)
                check_scope(req.scope, facts.brand, facts.customer_id, "LINE_NOT_FOUND", msisdn)
                if facts.open_application:
                    return ApplyResult(facts.open_application.application_no, facts.open_application.status, True)
    raise DomainError("APPLY_CONFLICT", "could not store the application; try again")


def _apply_in(app: Simexit, conn: Connection, req: ApplyRequest, msisdn: str) -> ApplyResult:
    now = app.clock.now()
    pc = precheck_in(app, conn, msisdn, now=now, requested_effective=req.requested_effective_date,
                     family_choices=req.family_choices, require_choices=True)
    facts, policy, quote = pc.facts, pc.policy, pc.quote
    check_scope(req.scope, facts.brand, facts.customer_id, "LINE_NOT_FOUND", msisdn)
    if facts.open_application is not None:
        return ApplyResult(facts.open_application.application_no, facts.open_application.status, True)
    intake.check_channel(policy, req.channel)
    method = _verify_identity(app, conn, facts.customer_id, req)
    # The whole intake is decided at once (domain/intake.py, as for a bulk line), so the row is written once in
    # its final status (no UPDATE per transition) and its timeline in one statement.
    decision = intake.decide(facts, policy, quote, pc.findings, intake.Intake(
        channel=req.channel, identity_method=method,
        actor_type=ActorType.STAFF if req.staff_ref else ActorType.CUSTOMER,
        actor_id=req.staff_ref or f"customer:{facts.customer_id}", actor_role=req.staff_role,
        confirmed=req.consequences_confirmed, refund_method=req.refund_method,
        refund_destination=req.refund_destination, reason_code=req.reason_code, reason_text=req.reason_text,
        requested_effective_date=req.requested_effective_date, staff_ref=req.staff_ref,
        submitted_data=_submitted_data(req, facts),
        early_termination_fee_accepted=req.early_termination_fee_accepted), now)
    number = new_application_number()
    evidence = {"method": method.value, **{k: v for k, v in req.identity_evidence.items() if k != "id_number"}}
    if req.id_number is not None:
        evidence["id_number_matched"] = True
    brand_id = app.brand_id(facts.brand)
    app_id = repo.insert_application(conn, decision.row(application_no=number, brand_id=brand_id,
                                                        identity_evidence=evidence, batch_id=req.batch_id))
    repo.insert_events(conn, app_id, list(decision.events))
    notify(app, conn, app_id, "received", now)
    if decision.approved:
        schedule_execution(app, conn, app_id, now, known=(number, brand_id, quote.effective_date))
        notify(app, conn, app_id, "approved", now)
    return ApplyResult(number, decision.status.value, False)


def _submitted_data(req: ApplyRequest, facts: Any) -> dict[str, Any] | None:
    """The "submitted" event's data: the reason, and the customer's choices for the family's parts (issue 17)."""
    data: dict[str, Any] = {"reason_code": req.reason_code} if req.reason_code else {}
    if not facts.family.empty:
        data["family_choices"] = (req.family_choices or FamilyChoices()).to_dict()
    return data or None


def _auto_approve(app: Simexit, conn: Connection, app_id: int, now: Any) -> None:
    repo.apply_transition(conn, app_id, intake.auto_approval(now), event="approved",
                          extra={"decided_at": now, "decided_by": "simexit"})
    schedule_execution(app, conn, app_id, now)  # in the approval's transaction
    notify(app, conn, app_id, "approved", now)


def check_scope(scope: Scope | None, brand: str, customer_id: int, code: str, what: str) -> None:
    if scope is not None and not scope.permits(brand=brand, customer_id=customer_id):
        label = mask_msisdn(what) if code == "LINE_NOT_FOUND" else what
        raise NotFound(code, f"no {'line with number' if code == 'LINE_NOT_FOUND' else 'application'} {label}")


def _number(application_no: str) -> str:
    n = normalize_application_number(application_no)
    if n is None:
        raise InvalidInput("APPLICATION_NO_INVALID", "not a valid application number (check character)")
    return n


def approve(app: Simexit, application_no: str, actor: Actor, note: str | None = None, *,
            scope: Scope | None = None) -> ApplicationView:
    number = _number(application_no)
    with app.db.write() as conn:
        row = repo.get_by_number(conn, number, for_update=True)
        check_scope(scope, row["brand"], row["customer_id"], "APPLICATION_NOT_FOUND", number)
        now = app.clock.now()
        t = transition(row["status"], Action.APPROVE, actor_type=actor.type, at=now, actor_id=actor.id,
                       actor_role=actor.role, channel=actor.channel, note=note)
        repo.apply_transition(conn, row["id"], t, event="approved", extra={"decided_at": now, "decided_by": actor.id})
        schedule_execution(app, conn, row["id"], now)  # in the approval's transaction
        notify(app, conn, row["id"], "approved", now)
        return view_of(conn, repo.get_by_number(conn, number))


def reject(app: Simexit, application_no: str, actor: Actor, reasons: list[str], note: str | None = None, *,
           scope: Scope | None = None) -> ApplicationView:
    number = _number(application_no)
    codes = check_rejection_reasons(reasons, note)
    with app.db.write() as conn:
        row = repo.get_by_number(conn, number, for_update=True)
        check_scope(scope, row["brand"], row["customer_id"], "APPLICATION_NOT_FOUND", number)
        now = app.clock.now()
        t = transition(row["status"], Action.REJECT, actor_type=actor.type, at=now, actor_id=actor.id,
                       actor_role=actor.role, channel=actor.channel, note=note)
        repo.apply_transition(conn, row["id"], t, event="rejected", data={"reasons": codes},
                              extra={"decided_at": now, "decided_by": actor.id, "rejection_reasons": codes})
        notify(app, conn, row["id"], "rejected", now, note=note)
        return view_of(conn, repo.get_by_number(conn, number))


def withdraw(app: Simexit, application_no: str, actor: Actor, note: str | None = None, *,
             scope: Scope | None = None) -> ApplicationView:
    number = _number(application_no)
    with app.db.write() as conn:
        row = repo.get_by_number(conn, number, for_update=True)
        check_scope(scope, row["brand"], row["customer_id"], "APPLICATION_NOT_FOUND", number)
        t = transition(row["status"], Action.WITHDRAW, actor_type=actor.type, at=app.clock.now(),
                       actor_id=actor.id, actor_role=actor.role, channel=actor.channel, note=note)
        repo.apply_transition(conn, row["id"], t, event="withdrawn")
        return view_of(conn, repo.get_by_number(conn, number))


def auto_approve_clean(app: Simexit, limit: int = 500) -> list[str]:
    """Approve pending applications that need no person, for brands whose policy allows it."""
    brand_ids = [app.brand_id(c) for c, p in app.policies.items() if p.review.auto_approve_clean]
    if not brand_ids:
        return []
    done = []
    with app.db.write() as conn:
        now = app.clock.now()
        for row in repo.list_pending_auto(conn, brand_ids, limit):
            _auto_approve(app, conn, row["id"], now)
            done.append(row["application_no"])
    return done


def show(app: Simexit, application_no: str, *, scope: Scope | None = None) -> ApplicationView:
    number = normalize_application_number(application_no)
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        row = repo.get_by_number(conn, number)
        check_scope(scope, row["brand"], row["customer_id"], "APPLICATION_NOT_FOUND", number)
        return view_of(conn, row)


def view_of(conn: Connection, row: Any) -> ApplicationView:
    reasons = row["rejection_reasons"] or []
    return ApplicationView(
        application_no=row["application_no"], status=row["status"], brand=row["brand"],
        msisdn=row["msisdn"], kind=row["line_kind"], channel=row["channel"],
        staff_ref=row["staff_ref"], identity_method=row["identity_method"],
        reason_code=row["reason_code"], reason_text=row["reason_text"],
        submitted_at=row["submitted_at"].isoformat(), review_due_at=row["review_due_at"].isoformat(),
        effective_date=row["effective_date"].isoformat(), needs_person=row["needs_person"],
        decided_at=row["decided_at"].isoformat() if row["decided_at"] else None,
        decided_by=row["decided_by"],
        rejection_reasons=tuple({"code": c, "message": REJECTION_REASONS[c]} for c in reasons),
        refund_method=row["refund_method"],
        quote=row["quote"], findings=tuple(row["findings"] or ()), batch_id=row["batch_id"],
        timeline=tuple(TimelineEntry.of(e) for e in repo.timeline(conn, row["id"])),
    )
