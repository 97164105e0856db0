"""Use case: a reviewer decides on a filtered selection of the review queue at once (operators' staff ask for
it most: "approve every clean store application of this brand").

The selection is the queue's filter evaluated again here, for the caller: only applications waiting for review,
of the caller's brands (a number of another brand is never decided, whatever the form sent). ``shown`` limits
it to what the reviewer saw (an application that arrived meanwhile is left alone), ``exclude`` takes numbers out.
A rejection needs at least one reason the customer reads, checked before anything is decided. Each application
is decided as a single decision is (services.closure.applications, its own transaction and timeline audit),
and the selection as a whole is audited once (the filter's codes, the counts, the reasons; no personal data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simexit.domain.access import Scope
from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import DomainError, InvalidInput
from simexit.domain.queue_search import parse as parse_search
from simexit.domain.roles import Permission
from simexit.domain.state_machine import check_rejection_reasons
from simexit.services.access.caller import Caller, require_staff
from simexit.services.bulk.views import QueueDecision
from simexit.services.closure import applications, queries
from simexit.services.context import Simexit
from simexit.store import audit_repo

DECISIONS = ("approve", "reject")
MOST = 500  # a larger selection is refused: narrow the filter


@dataclass(frozen=True)
class QueueFilter:
    """The review queue's filter, as the console's queue page sends it."""

    brand: str | None = None
    channel: str | None = None
    reason: str | None = None
    search: str | None = None

    def to_codes(self) -> dict[str, str | None]:
        search = parse_search(self.search)
        return {"brand": self.brand, "channel": self.channel, "reason": self.reason,
                **(search.to_codes() if search else {"search": "none"})}


def _numbers(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    out = []
    for v in values:
        n = normalize_application_number(v)
        if n is not None:
            out.append(n)
    return out


def decide_selection(app: Simexit, caller: Caller, selection: QueueFilter, decision: str, *,
                     reasons: Sequence[str] = (), note: str | None = None, exclude: Sequence[str] = (),
                     shown: Sequence[str] | None = None, channel: str = "console") -> QueueDecision:
    """Approve or reject every application of the caller's filtered queue waiting for review, but those in
    ``exclude`` (and, with ``shown``, only those shown)."""
    who = require_staff(caller, Permission.REVIEW)
    if decision not in DECISIONS:
        raise InvalidInput("DECISION_UNKNOWN", f"a decision is one of {', '.join(DECISIONS)}", allowed=list(DECISIONS))
    note = (note or "").strip() or None
    codes = check_rejection_reasons(list(reasons), note) if decision == "reject" else []
    items = queries.review_queue(app, who, brand=selection.brand, channel=selection.channel,
                                 reason=selection.reason, search=selection.search, limit=MOST + 1)
    if len(items) > MOST:
        raise InvalidInput("SELECTION_TOO_LARGE", f"more than {MOST} applications match; narrow the filter",
                           most=MOST)
    left_out = set(_numbers(exclude) or [])
    seen = _numbers(shown)
    chosen = [i["application_no"] for i in items if seen is None or i["application_no"] in set(seen)]
    excluded = [n for n in chosen if n in left_out]
    todo = [n for n in chosen if n not in left_out]
    if not todo:
        raise InvalidInput("SELECTION_EMPTY", "no application of the selection is left to decide")
    actor, scope = applications.Actor.of_staff(who, channel), Scope.staff(who.brands)
    decided: list[str] = []
    refused: list[dict[str, str]] = []
    for number in todo:
        try:
            if decision == "approve":
                applications.approve(app, number, actor, note, scope=scope)
            else:
                applications.reject(app, number, actor, codes, note, scope=scope)
        except DomainError as e:  # decided by someone else meanwhile, or no longer waiting
            refused.append({"application_no": number, "code": e.code, "message": e.message})
        else:
            decided.append(number)
    with app.db.write() as conn:
        audit_repo.append(conn, at=app.clock.now(), actor=who.username, role=who.role.value,
                          action=f"queue.bulk_{decision}", subject_type="queue_selection",
                          subject_ref=f"{len(decided)}/{len(chosen)}",
                          data={**selection.to_codes(), "reasons": codes, "note": note is not None,
                                "decided": decided, "excluded": excluded,
                                "refused": [r["application_no"] for r in refused]})
    return QueueDecision(decision=decision, decided=decided, excluded=excluded, refused=refused)
