"""Use case: staff approve a bulk batch, as a whole or line by line, in one transaction.

Set-based: the pending applications are moved with one UPDATE per page of ids and their timeline
events inserted with ``executemany``; each move is the state machine's (PENDING_REVIEW, APPROVE).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import DomainError, InvalidInput
from simexit.domain.state_machine import Action, Status, transition
from simexit.services.access.caller import Caller
from simexit.services.bulk.scope import batch_for
from simexit.services.closure.applications import Actor
from simexit.services.context import Simexit
from simexit.services.execution.scheduling import schedule_executions
from simexit.store import applications_repo
from simexit.store import bulk_repo as repo

PAGE = 5000


def approve_batch(app: Simexit, batch_id: str, actor: Actor, *, only: Sequence[str] | None = None,
                  note: str | None = None, caller: Caller | None = None) -> dict[str, Any]:
    """Approve the batch's applications waiting for review (or only the numbers in ``only``).

    Returns how many were approved, and for each number of ``only`` that could not be, its code. With
    ``caller``, the batch must be one the caller sees (``scope.batch_for``), checked in the same transaction.
    """
    refused: list[dict[str, Any]] = []
    numbers: list[str] | None = None
    if only is not None:
        numbers = []
        for raw in only:
            n = normalize_application_number(raw)
            if n is None:
                refused.append({"application_no": raw, "code": "APPLICATION_NO_INVALID",
                                "message": "not a valid application number (check character)"})
            else:
                numbers.append(n)
    approved = 0
    with app.db.write() as conn:
        if caller is None:
            repo.get_batch(conn, batch_id)
        else:
            batch_for(conn, caller, batch_id)
        now = app.clock.now()
        t = transition(Status.PENDING_REVIEW, Action.APPROVE, actor_type=actor.type, at=now, actor_id=actor.id,
                       actor_role=actor.role, channel=actor.channel, note=note)
        event = dict(at=now, event="approved", from_status=t.from_status.value, to_status=t.to_status.value,
                     actor_type=t.actor_type.value, actor_id=t.actor_id, actor_role=t.actor_role,
                     channel=t.channel, note=t.note, data={"batch_id": batch_id})
        number_of: dict[int, str] = {}
        if numbers is not None:
            rows = repo.batch_applications(conn, batch_id, numbers=numbers) if numbers else []
            found = {r["application_no"]: r for r in rows}
            number_of.update((r["id"], r["application_no"]) for r in rows)
            ids = []
            for n in dict.fromkeys(numbers):
                r = found.get(n)
                if r is None:
                    refused.append({"application_no": n, "code": "APPLICATION_NOT_IN_BATCH",
                                    "message": f"{n} is not an application of batch {batch_id}"})
                    continue
                try:
                    transition(r["status"], Action.APPROVE, actor_type=actor.type, at=now)
                except DomainError as e:
                    refused.append({"application_no": n, "code": e.code, "message": e.message})
                    continue
                ids.append(r["id"])
            pages = [ids[i:i + PAGE] for i in range(0, len(ids), PAGE)]
        else:
            pages = None
        while True:
            if pages is None:
                rows = repo.batch_applications(conn, batch_id, status=Status.PENDING_REVIEW.value, limit=PAGE)
                number_of.update((r["id"], r["application_no"]) for r in rows)
                page = [r["id"] for r in rows]
            else:
                page = pages.pop() if pages else []
            if not page:
                break
            moved = repo.move_many(conn, page, t.from_status.value, t.to_status.value, now,
                                   decided_at=now, decided_by=actor.id)
            if moved != len(page):
                raise DomainError("APPLICATION_CHANGED", "applications of the batch changed meanwhile; try again")
            repo.insert_events(conn, [{**event, "application_id": i} for i in page])
            applications_repo.audit_events(conn, ((number_of[i], event) for i in page))
            schedule_executions(app, conn, page, now)  # as a single approval does, in the same transaction
            approved += moved
    if only is not None and not approved and refused and len(refused) == len(only):
        raise InvalidInput(refused[0]["code"], "nothing approved: " + "; ".join(
            f"{r['application_no']}: {r['message']}" for r in refused), refused=refused)
    return {"batch_id": batch_id, "approved": approved, "refused": refused}
