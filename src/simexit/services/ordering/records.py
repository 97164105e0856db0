"""Order, cancellation and product views built from the stored rows (shared by commands, queries and tasks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simexit.domain.errors import NotFound
from simexit.services.ordering import states
from simexit.services.ordering.views import CancelView, OrderItemView, OrderView, ProductView
from simexit.store import tmf_repo
from simexit.store.database import Connection

PENDING_TERMINATE = frozenset({"approved", "executing", "needs_attention"})


def order_view(row: dict[str, Any], items: list[dict[str, Any]], *, state: str | None = None,
               statuses: dict[int, str] | None = None, **extra: Any) -> OrderView:
    """The order as it stands (its state derived from its applications), or as it stood with ``statuses``
    (application id → status) when an event is told."""
    views = []
    for i in items:
        status = i["application_status"]
        if statuses is not None and i["application_id"] is not None:
            status = statuses.get(i["application_id"])
        views.append(OrderItemView(
            item_id=i["item_id"], product_id=str(i["line_id"]),
            state=states.item_state(status, i["failure"], row["state"]), application_no=i["application_no"],
            effective_date=i["effective_date"], precheck=i["precheck"], failure=i["failure"]))
    return OrderView(
        id=row["id"], state=state or states.order_state(v.state for v in views),
        requested_initial_state=row["requested_initial_state"], request=row["request"] or {}, reason=row["reason"],
        created_at=row["created_at"], completed_at=row["completed_at"], cancellation_date=row["cancellation_date"],
        cancellation_reason=row["cancellation_reason"], items=tuple(views), **extra)


def load_order(conn: Connection, order_id: str, partner_id: int, *, for_update: bool = False) -> OrderView:
    row = tmf_repo.order(conn, order_id, partner_id, for_update=for_update)
    if row is None:
        raise NotFound("ORDER_NOT_FOUND", "no product order with this id")
    return order_view(row, tmf_repo.items(conn, [order_id])[order_id])


def cancel_view(row: dict[str, Any]) -> CancelView:
    return CancelView(id=row["id"], order_id=row["order_id"], state=row["state"],
                      cancellation_reason=row["cancellation_reason"], refusal=row["refusal"],
                      requested_cancellation_date=row["requested_cancellation_date"],
                      effective_cancellation_date=row["effective_cancellation_date"], created_at=row["created_at"])


def product_status(line: dict[str, Any]) -> tuple[str, Any]:
    """TMF637 status and termination date of a line: active → pendingTerminate (an approved application) →
    terminated (closed)."""
    if line["status"] == "closed":
        return "terminated", line["closed_at"] or line["effective_date"]
    if line["status"] == "closing" or line["application_status"] in PENDING_TERMINATE:
        return "pendingTerminate", line["effective_date"]
    if line["status"] == "suspended":
        return "suspended", None
    return "active", None


def relationships(facts: Any, line_id_of: Callable[[str], str | None] = lambda _m: None) -> tuple[tuple[str, str], ...]:
    """The line's family from its facts (``LineFacts.family``): its main line (``isSecondaryOf``), its secondary
    lines (``hasSecondary``), its bundle (``isBundledIn``) and the bundle's other products (``bundledWith``).
    A related mobile line that simexit holds is named by its product id here (the line id); the rest by the
    BSS's product id."""
    fam = getattr(facts, "family", None)
    if fam is None:
        return ()
    out: list[tuple[str, str]] = []
    if fam.main_msisdn:
        out.append((line_id_of(fam.main_msisdn) or fam.main_msisdn, "isSecondaryOf"))
    for sec in fam.secondary_lines:
        out.append((line_id_of(sec.msisdn) or sec.product_id, "hasSecondary"))
    if fam.bundle_id:
        out.append((fam.bundle_id, "isBundledIn"))
    for p in fam.bundle_products:
        out.append(((line_id_of(p.msisdn) if p.msisdn else None) or p.product_id, "bundledWith"))
    return tuple(out)


def product_view(line: dict[str, Any], facts: Any = None,
                 line_id_of: Callable[[str], str | None] = lambda _m: None) -> ProductView:
    status, ended = product_status(line)
    return ProductView(id=str(line["id"]), msisdn=line["msisdn"], iccid=line["iccid"], brand=line["brand"],
                       kind=line["kind"], plan=line["plan"], status=status, start_date=line["activated_at"],
                       termination_date=ended,
                       relationships=relationships(facts, line_id_of) if facts is not None else ())
