"""Periodic sweeps: SLA escalation of applications not reviewed in time, automatic approval, and the TMF622
order events (``services.ordering.tasks.follow_orders``). (The worker's sweep also deletes the files of expired
exports: ``services.privacy.export.expire_exports``.)"""

from __future__ import annotations

from typing import Any

from simexit.services.access.caller import System
from simexit.services.closure import commands
from simexit.services.context import Simexit
from simexit.services.execution import outbox
from simexit.services.ordering import tasks as ordering_tasks
from simexit.store import applications_repo, closing_repo

ESCALATION_TEMPLATE = "sla_escalation"


def escalate_overdue(app: Simexit, supervisor_email: str, limit: int = 200) -> list[str]:
    """Tell supervisors of each pending application past its review_due_at, once (an outbox e-mail and an
    ``sla_escalated`` event on the timeline, which is the flag)."""
    done: list[str] = []
    with app.db.write() as conn:
        now = app.clock.now()
        for r in closing_repo.overdue_reviews(conn, now, limit):
            brand = app.policy(r["brand"]).brand
            outbox.enqueue(conn, kind="email", recipient=supervisor_email, template=ESCALATION_TEMPLATE,
                           payload={"application_no": r["application_no"], "brand": r["brand"],
                                    "brand_name": brand.name, "status": "pending_review",
                                    "time_zone": brand.time_zone, "review_due_at": r["review_due_at"].isoformat()},
                           idempotency_key=f"{r['application_no']}:sla_escalation", now=now, application_id=r["id"])
            applications_repo.append_event(conn, r["id"], event="sla_escalated", at=now, actor_type="system",
                                           actor_id="simexit-worker", actor_role="system",
                                           note="review is overdue; supervisors were told")
            done.append(r["application_no"])
    return done


def approve_clean(app: Simexit) -> list[str]:
    return commands.auto_approve_clean(app, System())


def follow_orders(app: Simexit) -> int:
    """Queue the hub events of what happened to product orders' applications (TMF622)."""
    return ordering_tasks.follow_orders(app, System(), render=_tmf_event)


def _tmf_event(*args: Any, **kwargs: Any) -> Any:
    """The TMF event's body, imported only when an order has an event to tell: importing ``simexit.api`` cost
    every ``simexit worker`` start about half a second (the test suite starts about 80 of them)."""
    from simexit.api.tmf import render

    return render.event(*args, **kwargs)
