"""What the doors receive from ordering: frozen dataclasses (the TMF JSON is rendered by ``api.tmf``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class OrderItemView:
    item_id: str
    product_id: str
    state: str
    application_no: str | None
    effective_date: date | None
    precheck: dict[str, Any] | None  # the draft's findings, quote and consequences
    failure: str | None


@dataclass(frozen=True)
class OrderView:
    id: str
    state: str
    requested_initial_state: str
    request: dict[str, Any]  # what the BSS sent that is echoed back (externalId, notes, channel, …)
    reason: str | None
    created_at: datetime
    completed_at: datetime | None
    cancellation_date: datetime | None
    cancellation_reason: str | None
    items: tuple[OrderItemView, ...]
    milestones: tuple[dict[str, Any], ...] = ()
    jeopardy: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CancelView:
    id: str
    order_id: str
    state: str  # done | terminatedWithError
    cancellation_reason: str | None
    refusal: str | None
    requested_cancellation_date: datetime | None
    effective_cancellation_date: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class HubView:
    id: str
    callback: str
    query: str | None


@dataclass(frozen=True)
class ProductView:
    id: str
    msisdn: str
    iccid: str
    brand: str
    kind: str
    plan: str
    status: str  # active | suspended | pendingTerminate | terminated
    start_date: datetime | None
    termination_date: date | datetime | None
    relationships: tuple[tuple[str, str], ...] = field(default=())  # (product id, relationship type)
