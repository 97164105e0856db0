"""simexit's follower of product orders: the applications' timeline, turned into hub events in order.

For each order still open it replays its applications' timeline events; each event newer than the last one
told that changes the order's state queues a ``ProductOrderStateChangeEvent`` (as the order stood then), the
review's approval and the line's closure a ``ProductOrderMilestoneEvent``, an overdue review (the SLA
escalation) a ``ProductOrderJeopardyAlertEvent``. The events, the order's told state and its bookmark are
written in one transaction, so a crash tells nothing twice and nothing is lost. Run by the worker's sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simexit.domain.errors import Forbidden
from simexit.services.access.caller import Caller, Operator, System
from simexit.services.context import Simexit
from simexit.services.ordering import records, states
from simexit.services.ordering.commands import Render, tell
from simexit.store import tmf_repo

TIMERS: dict[str, Any] = {}
STEPS: dict[str, Any] = {}
MILESTONES = {"approved": ("reviewed", "the review approved the termination"),
              "completed": ("lineTerminated", "the line was closed everywhere")}


def _at(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def follow_orders(app: Simexit, caller: Caller, *, render: Render, limit: int = 200) -> int:
    """Queue the hub events of what happened to open orders' applications; returns how many were queued."""
    if not isinstance(caller, System | Operator):
        raise Forbidden("CALLER_NOT_PERMITTED", "simexit's worker follows the orders")
    queued = 0
    with app.db.write() as conn:
        now = app.clock.now()
        for row in tmf_repo.orders_to_follow(conn, limit):
            items = tmf_repo.items(conn, [row["id"]])[row["id"]]
            app_ids = [i["application_id"] for i in items if i["application_id"] is not None]
            if not app_ids:
                continue
            statuses: dict[int, str] = {}
            told, last = row["state"], row["last_event_id"]
            for ev in tmf_repo.events_after(conn, app_ids, 0):
                if ev["to_status"]:
                    statuses[ev["application_id"]] = ev["to_status"]
                if ev["id"] <= last:
                    continue
                key = f"{row['id']}:{ev['id']}"
                view = records.order_view(row, items, statuses=statuses)
                if view.state != told:
                    queued += tell(conn, row["partner_id"], view, "ProductOrderStateChangeEvent", key, now, render)
                    told = view.state
                if ev["event"] in MILESTONES:
                    name, text = MILESTONES[ev["event"]]
                    milestone = {"id": str(ev["id"]), "name": name, "description": text, "status": "Completed",
                                 "milestoneDate": _at(ev["at"])}
                    queued += tell(conn, row["partner_id"], records.order_view(
                        row, items, statuses=statuses, milestones=(milestone,)), "ProductOrderMilestoneEvent",
                        key, now, render)
                if ev["event"] == "sla_escalated":
                    alert = {"id": str(ev["id"]), "name": "reviewOverdue", "jeopardyType": "reviewSla",
                             "alertDate": _at(ev["at"]), "message": "the review is past its due time"}
                    queued += tell(conn, row["partner_id"], records.order_view(
                        row, items, statuses=statuses, jeopardy=(alert,)), "ProductOrderJeopardyAlertEvent",
                        key, now, render)
                last = ev["id"]
            if last != row["last_event_id"] or told != row["state"]:
                tmf_repo.update_order(conn, row["id"], state=told, last_event_id=last, updated_at=now,
                                      completed_at=now if told in states.SETTLED else None)
    return queued
