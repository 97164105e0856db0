"""The facts about one line that the rules read, and the small interface that supplies them.

Operators keep many of these facts in their billing and CRM systems. The rules never query
anything: a ``FactsSource`` gathers a ``LineFacts`` snapshot, and the default source is simexit's
own database (``simexit.store.facts_source.SqlFactsSource``). A connector to an operator's billing
or CRM implements the same protocol; no rule changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UnpaidBill:
    bill_id: int
    amount_minor: int
    due_date: date


@dataclass(frozen=True, slots=True)
class BoundService:
    service: str
    since: date | None


@dataclass(frozen=True, slots=True)
class BoundDevice:
    device_id: int
    name: str
    imei_last4: str | None
    eid: str | None


@dataclass(frozen=True, slots=True)
class EsimProfile:
    iccid: str
    eid: str | None
    state: str


@dataclass(frozen=True, slots=True)
class OpenApplication:
    application_no: str
    status: str


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_id: int
    brand: str
    msisdn: str
    iccid: str
    kind: str  # sim | esim | data
    payment: str  # prepaid | postpaid
    status: str  # active | suspended | closing | closed
    number_keeping: bool
    customer_id: int
    account_id: int
    identity_verified: bool
    currency: str
    balance_minor: int
    contract_start: date | None = None
    contract_end: date | None = None
    early_termination_fee_minor: int = 0
    last_sim_change_at: datetime | None = None
    port_out_pending: bool = False
    unpaid_bills: tuple[UnpaidBill, ...] = ()
    services: tuple[BoundService, ...] = ()
    devices: tuple[BoundDevice, ...] = ()
    esim_profiles: tuple[EsimProfile, ...] = ()
    open_application: OpenApplication | None = None
    other_open_lines_on_account: int = 0
    extra: dict[str, object] = field(default_factory=dict)


class FactsSource(Protocol):
    """Supplies the facts of one line, looked up by its E.164 MSISDN. Raises NotFound if unknown."""

    def line_facts(self, msisdn: str) -> LineFacts: ...
