"""The intake decision: what becomes of an application the moment it is submitted — refused (a blocker, a
channel the brand does not offer, a consequence not confirmed, a refund without its destination), queued for a
person, or approved automatically — with its timeline events and the values of its row.

One pure function for every path: a single application (``services/closure``) and each line of a bulk closure
(``services/bulk/decision.py``) both call ``decide``, so they refuse with the same codes and the same data.
What needs the database (the facts, the calendar, an ID number checked against its stored hash) is done by the
caller before; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from simexit.domain.consequences import check_confirmed, required_consequences
from simexit.domain.eligibility import Finding, needs_person
from simexit.domain.errors import InvalidInput, PrecheckBlocked
from simexit.domain.facts import LineFacts
from simexit.domain.identity import IdentityMethod
from simexit.domain.policy import Policy, Severity
from simexit.domain.quote import Quote
from simexit.domain.state_machine import Action, ActorType, Status, Transition, transition

REASON_CODES = ("moving_abroad", "switching_operator", "no_longer_needed", "too_expensive", "device_lost",
                "deceased_holder", "business_closed", "other")
# Refund methods that pay to somewhere the customer names, and the fields that name it.
DESTINATION_FIELDS: dict[str, tuple[str, ...]] = {"bank_transfer": ("iban_or_account", "holder"),
                                                  "alipay": ("account",), "wechat_pay": ("account",)}


@dataclass(frozen=True)
class Intake:
    """What the submitter asked for, as far as the decision needs it (identity already checked)."""

    channel: str
    identity_method: IdentityMethod
    actor_type: ActorType  # the customer, or the member of staff taking the application
    actor_id: str
    actor_role: str | None
    confirmed: Sequence[str] | None  # None: every consequence shown was confirmed (a bulk batch's "all")
    refund_method: str | None = None
    refund_destination: Mapping[str, str] | None = None
    reason_code: str | None = None
    reason_text: str | None = None
    requested_effective_date: date | None = None
    staff_ref: str | None = None
    submitted_data: Mapping[str, Any] | None = None  # the "submitted" event's data (reason, batch row)
    early_termination_fee_accepted: bool = False


@dataclass(frozen=True)
class IntakeDecision:
    status: Status  # pending_review or approved
    needs_person: bool
    events: tuple[dict[str, Any], ...]  # timeline rows, as store/applications_repo.event_values gives them
    values: Mapping[str, Any]  # the application row but its number, brand id, identity evidence and batch

    @property
    def approved(self) -> bool:
        return self.status == Status.APPROVED

    def row(self, *, application_no: str, brand_id: int, identity_evidence: dict[str, Any],
            batch_id: str | None = None) -> dict[str, Any]:
        return {**self.values, "application_no": application_no, "brand_id": brand_id,
                "identity_evidence": identity_evidence, "batch_id": batch_id}


def check_channel(policy: Policy, channel: str) -> None:
    if channel not in policy.brand.channels:
        raise InvalidInput("CHANNEL_NOT_OFFERED", f"{policy.brand.name} does not take applications on "
                           f"the {channel} channel", allowed=list(policy.brand.channels))


def fee_acceptable(policy: Policy, findings: Sequence[Finding]) -> bool:
    """Whether this customer may accept the early-termination fee to close before the contract's end."""
    return policy.fees.early_termination_acceptable and policy.fees.early_termination != "waived" and any(
        f.code == "CONTRACT_ACTIVE" and f.severity == Severity.BLOCKER for f in findings)


def with_fee_accepted(policy: Policy, findings: Sequence[Finding], accepted: bool) -> list[Finding]:
    """The findings once the customer has accepted the early-termination fee (where the policy allows it): the
    running contract informs instead of blocking."""
    if not (accepted and fee_acceptable(policy, findings)):
        return list(findings)
    return [replace(f, severity=Severity.WARNING, fix=None) if f.code == "CONTRACT_ACTIVE" else f for f in findings]


def blocked(findings: Sequence[Finding]) -> PrecheckBlocked | None:
    """The refusal of a line that cannot be closed yet: its blockers, whole (code, message, fix, data)."""
    blockers = [f.to_dict() for f in findings if f.severity == Severity.BLOCKER]
    if not blockers:
        return None
    return PrecheckBlocked("PRECHECK_BLOCKED", "the line cannot be closed yet: "
                           + ", ".join(b["code"] for b in blockers), findings=blockers)


def check_refund(method: str | None, destination: Mapping[str, str] | None, methods: Sequence[str],
                 refund_minor: int) -> tuple[str | None, dict[str, str] | None]:
    """The refund method and its destination (only the fields it needs), or why not."""
    if refund_minor <= 0:
        return None, None
    if not method:
        raise InvalidInput("REFUND_METHOD_REQUIRED", "a refund is due: choose how it is paid", allowed=list(methods))
    if method not in methods:
        raise InvalidInput("REFUND_METHOD_NOT_OFFERED", f"this brand does not refund by {method}",
                           allowed=list(methods))
    needed = DESTINATION_FIELDS.get(method, ())
    dest = {k: str(v).strip() for k, v in (destination or {}).items() if str(v).strip()}
    missing = [f for f in needed if f not in dest]
    if missing:
        raise InvalidInput("REFUND_DESTINATION_INCOMPLETE", f"the refund destination needs {', '.join(missing)}",
                           missing=missing)
    return method, ({k: dest[k] for k in needed} or None)


def default_refund_method(policy: Policy) -> str | None:
    """The brand's first refund method that needs no destination (what a batch uses when it names none)."""
    return next((m for m in policy.refund.methods if m not in DESTINATION_FIELDS), None)


@lru_cache(maxsize=16)
def _steps(now: datetime) -> dict[str, Transition]:
    """The state machine's transitions of a new application at ``now`` (a bulk chunk asks once per line)."""
    system = dict(actor_type=ActorType.SYSTEM, at=now, actor_id="simexit", actor_role="system")
    return {
        "queue": transition(Status.SUBMITTED, Action.QUEUE_FOR_REVIEW, **system),
        "queue_person": transition(Status.SUBMITTED, Action.QUEUE_FOR_REVIEW, note="needs a person", **system),
        "auto": transition(Status.PENDING_REVIEW, Action.AUTO_APPROVE, **system,
                           note="clean application, approved automatically"),
    }


def auto_approval(now: datetime) -> Transition:
    return _steps(now)["auto"]


def event_of(t: Transition, event: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return dict(event=event, data=dict(data) if data else None, at=t.at, from_status=t.from_status.value,
                to_status=t.to_status.value, actor_type=t.actor_type.value, actor_id=t.actor_id,
                actor_role=t.actor_role, channel=t.channel, note=t.note)


def decide(facts: LineFacts, policy: Policy, quote: Quote, findings: Sequence[Finding], intake: Intake,
           now: datetime) -> IntakeDecision:
    """Refuse (a DomainError) or accept the application; accepted, it is queued or approved automatically."""
    check_channel(policy, intake.channel)
    findings = with_fee_accepted(policy, findings, intake.early_termination_fee_accepted)
    refusal = blocked(findings)
    if refusal is not None:
        raise refusal
    consequences = required_consequences(quote) if intake.confirmed is None \
        else check_confirmed(quote, list(intake.confirmed))
    refund_method, refund_dest = check_refund(intake.refund_method, intake.refund_destination,
                                              policy.refund.methods, quote.refund_minor)
    person = needs_person(list(findings)) or \
        intake.identity_method.value not in policy.review.auto_approve_identity_methods
    auto = policy.review.auto_approve_clean and not person
    steps = _steps(now)
    events = [
        dict(event="submitted", data=dict(intake.submitted_data) if intake.submitted_data else None, at=now,
             from_status=None, to_status=None, actor_type=intake.actor_type.value, actor_id=intake.actor_id,
             actor_role=intake.actor_role, channel=intake.channel, note=intake.reason_text),
        event_of(steps["queue_person" if person else "queue"], "queued_for_review"),
    ]
    status = Status.PENDING_REVIEW
    if auto:
        events.append(event_of(steps["auto"], "approved"))
        status = Status.APPROVED
    values = dict(
        line_id=facts.line_id, customer_id=facts.customer_id, status=status.value, channel=intake.channel,
        staff_ref=intake.staff_ref, identity_method=intake.identity_method.value,
        reason_code=intake.reason_code, reason_text=intake.reason_text,
        consequences={"confirmed": sorted(consequences), "shown": consequences},
        refund_method=refund_method, refund_destination=refund_dest,
        requested_effective_date=intake.requested_effective_date, effective_date=quote.effective_date,
        quote=quote.to_dict(), findings=[f.to_dict() for f in findings], needs_person=person,
        review_due_at=quote.review_due_at, submitted_at=now, updated_at=now,
        decided_at=now if auto else None, decided_by="simexit" if auto else None,
    )
    return IntakeDecision(status, person, tuple(events), values)
