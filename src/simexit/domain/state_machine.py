"""The application's life, as one explicit transition table.

    submitted ─► pending_review ─► approved ─► executing ─► completed
        │              │   │           │           │  ▲
        │              │   └► rejected │           ▼  │
        └──────────────┴──────────────►┴► withdrawn needs_attention

A transition that is not in ``TRANSITIONS`` is refused with TRANSITION_NOT_ALLOWED. Every
transition that happens appends a timeline event (who, in which role, on which channel, when).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from simexit.domain.errors import InvalidInput, TransitionRefused


class Status(StrEnum):
    SUBMITTED = "submitted"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    EXECUTING = "executing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    NEEDS_ATTENTION = "needs_attention"


class Action(StrEnum):
    QUEUE_FOR_REVIEW = "queue_for_review"
    APPROVE = "approve"
    AUTO_APPROVE = "auto_approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    START_EXECUTION = "start_execution"
    COMPLETE = "complete"
    FLAG_TROUBLE = "flag_trouble"
    RETRY = "retry"


class ActorType(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


# (from, action) -> (to, who may do it)
TRANSITIONS: dict[tuple[Status, Action], tuple[Status, frozenset[ActorType]]] = {
    (Status.SUBMITTED, Action.QUEUE_FOR_REVIEW): (Status.PENDING_REVIEW, frozenset({ActorType.SYSTEM})),
    (Status.SUBMITTED, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({ActorType.CUSTOMER, ActorType.STAFF})),
    (Status.PENDING_REVIEW, Action.APPROVE): (Status.APPROVED, frozenset({ActorType.STAFF})),
    (Status.PENDING_REVIEW, Action.AUTO_APPROVE): (Status.APPROVED, frozenset({ActorType.SYSTEM})),
    (Status.PENDING_REVIEW, Action.REJECT): (Status.REJECTED, frozenset({ActorType.STAFF})),
    (Status.PENDING_REVIEW, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({ActorType.CUSTOMER, ActorType.STAFF})),
    (Status.APPROVED, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({ActorType.CUSTOMER, ActorType.STAFF})),
    (Status.APPROVED, Action.START_EXECUTION): (Status.EXECUTING, frozenset({ActorType.SYSTEM})),
    (Status.EXECUTING, Action.COMPLETE): (Status.COMPLETED, frozenset({ActorType.SYSTEM})),
    (Status.EXECUTING, Action.FLAG_TROUBLE): (Status.NEEDS_ATTENTION, frozenset({ActorType.SYSTEM})),
    (Status.NEEDS_ATTENTION, Action.RETRY): (Status.EXECUTING, frozenset({ActorType.STAFF, ActorType.SYSTEM})),
}

TERMINAL: frozenset[Status] = frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN})
OPEN: frozenset[Status] = frozenset(Status) - TERMINAL

# Rejections must name at least one reason the customer can act on.
REJECTION_REASONS: dict[str, dict[str, str]] = {
    "ARREARS_UNPAID": {"en": "There are unpaid bills on the line. Pay them, then apply again.",
                       "zh-CN": "该号码存在欠费。请先缴清欠费，再重新申请。",
                       "de": "Für den Anschluss gibt es offene Rechnungen. Begleichen Sie sie und stellen Sie den "
                             "Antrag erneut."},
    "IDENTITY_MISMATCH": {"en": "The identity details do not match the real-name record. Apply again with the "
                                "ID document the line is registered to.",
                          "zh-CN": "身份信息与实名登记不符。请使用办理该号码时登记的证件重新申请。",
                          "de": "Die Angaben zur Person stimmen nicht mit der Registrierung überein. Stellen Sie den "
                                "Antrag mit dem Ausweis erneut, auf den der Anschluss registriert ist."},
    "DOCUMENTS_INCOMPLETE": {"en": "The ID copies sent are missing or unreadable. Send clear copies of both sides.",
                             "zh-CN": "所寄证件复印件缺失或无法辨认。请寄送清晰的证件正反面复印件。",
                             "de": "Die Ausweiskopien fehlen oder sind unleserlich. Senden Sie gut lesbare Kopien "
                                   "beider Seiten."},
    "SERVICES_STILL_BOUND": {"en": "Third-party services are still bound to the number. Unbind them, then apply again.",
                             "zh-CN": "仍有第三方服务绑定该号码。请解除绑定后重新申请。",
                             "de": "Dienste anderer Anbieter nutzen die Nummer noch. Entfernen Sie die Nummer dort "
                                   "und stellen Sie den Antrag erneut."},
    "DEVICES_STILL_BOUND": {"en": "Devices are still bound to the line. Remove the eSIM from each device, then "
                                  "apply again.",
                            "zh-CN": "仍有设备关联该号码。请在每台设备上删除eSIM后重新申请。",
                            "de": "Mit dem Anschluss sind noch Geräte verbunden. Löschen Sie die eSIM auf jedem Gerät "
                                  "und stellen Sie den Antrag erneut."},
    "CONTRACT_TERM": {"en": "The contract term is not over. Wait for its end or accept the early-termination fee.",
                      "zh-CN": "合约期未满。请等待合约到期，或同意支付违约金。",
                      "de": "Die Vertragslaufzeit ist noch nicht abgelaufen. Warten Sie das Vertragsende ab oder "
                            "akzeptieren Sie die Gebühr für die vorzeitige Beendigung."},
    "SUSPECTED_FRAUD": {"en": "We could not confirm that you asked for this. Please visit a store with your ID.",
                        "zh-CN": "无法确认此申请由您本人提交。请携带身份证件到营业厅办理。",
                        "de": "Wir konnten nicht bestätigen, dass der Antrag von Ihnen stammt. Bitte kommen Sie mit "
                              "Ihrem Ausweis in einen Shop."},
    "OTHER": {"en": "See the reviewer's note.", "zh-CN": "请查看审核备注。",
              "de": "Siehe den Hinweis der Prüferin oder des Prüfers."},
}


@dataclass(frozen=True, slots=True)
class Transition:
    from_status: Status
    to_status: Status
    action: Action
    actor_type: ActorType
    actor_id: str | None
    actor_role: str | None
    channel: str | None
    at: datetime
    note: str | None = None


def next_status(current: Status | str, action: Action | str, actor_type: ActorType | str) -> Status:
    current, action, actor_type = Status(current), Action(action), ActorType(actor_type)
    entry = TRANSITIONS.get((current, action))
    if entry is None:
        raise TransitionRefused(
            "TRANSITION_NOT_ALLOWED",
            f"an application that is {current.value} cannot be {_past(action)}",
            status=current.value, action=action.value,
            allowed=sorted(a.value for (s, a) in TRANSITIONS if s == current),
        )
    to, actors = entry
    if actor_type not in actors:
        raise TransitionRefused(
            "ACTOR_NOT_ALLOWED", f"a {actor_type.value} cannot {action.value.replace('_', ' ')} an application",
            action=action.value, actor=actor_type.value,
        )
    return to


def transition(current: Status | str, action: Action | str, *, actor_type: ActorType | str, at: datetime,
               actor_id: str | None = None, actor_role: str | None = None, channel: str | None = None,
               note: str | None = None) -> Transition:
    if at.tzinfo is None:
        raise InvalidInput("TIMESTAMP_NAIVE", "timestamps must carry a time zone")
    to = next_status(current, action, actor_type)
    return Transition(Status(current), to, Action(action), ActorType(actor_type), actor_id, actor_role,
                      channel, at, note)


def check_rejection_reasons(codes: list[str], note: str | None) -> list[str]:
    if not codes:
        raise InvalidInput("REJECTION_REASON_REQUIRED", "a rejection names at least one reason code",
                           allowed=sorted(REJECTION_REASONS))
    unknown = [c for c in codes if c not in REJECTION_REASONS]
    if unknown:
        raise InvalidInput("REJECTION_REASON_UNKNOWN", f"unknown rejection reason(s): {', '.join(unknown)}",
                           allowed=sorted(REJECTION_REASONS))
    if "OTHER" in codes and not (note and note.strip()):
        raise InvalidInput("REJECTION_NOTE_REQUIRED", "reason OTHER needs a note the customer can read")
    return list(dict.fromkeys(codes))


def _past(action: Action) -> str:
    return {
        Action.QUEUE_FOR_REVIEW: "queued for review", Action.APPROVE: "approved", Action.AUTO_APPROVE: "approved",
        Action.REJECT: "rejected", Action.WITHDRAW: "withdrawn", Action.START_EXECUTION: "executed",
        Action.COMPLETE: "completed", Action.FLAG_TROUBLE: "flagged", Action.RETRY: "retried",
    }[action]
