"""How an application's status reads as a TMF622 order (item) state, and how items add up to an order.

``partial``: an order of several lines (a bundle, secondary lines) of which some were terminated and others
were not (rejected, withdrawn or failed)."""

from __future__ import annotations

from collections.abc import Iterable

ITEM_STATE = {"submitted": "acknowledged", "pending_review": "acknowledged", "approved": "inProgress",
              "executing": "inProgress", "needs_attention": "inProgress", "completed": "completed",
              "rejected": "rejected", "withdrawn": "cancelled"}
SETTLED = frozenset({"completed", "rejected", "cancelled", "failed", "partial"})


def item_state(application_status: str | None, failure: str | None, order_state: str) -> str:
    if failure:
        return "failed"
    if application_status is None:
        return order_state if order_state in ("draft", "cancelled") else "acknowledged"
    return ITEM_STATE.get(application_status, "inProgress")


def order_state(item_states: Iterable[str]) -> str:
    states = list(item_states)
    distinct = set(states)
    if len(distinct) == 1:
        return states[0]
    if distinct & {"acknowledged", "inProgress", "draft"}:
        return "inProgress" if distinct & {"inProgress", "completed"} else "acknowledged"
    if "completed" in distinct:
        return "partial"
    for s in ("failed", "rejected", "cancelled"):
        if s in distinct:
            return s
    return "failed"
