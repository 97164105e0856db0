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


# -- families of lines (issue 17): a main line and its secondary lines (副卡), a bundle (融合套餐) of mobile,
# broadband and TV with the equipment to return, a shared data group. The rules read them from
# ``LineFacts.family``; the default (SQL) source has no families, a BSS source fills them (TMF637 relationships).
@dataclass(frozen=True, slots=True)
class Equipment:
    """A device lent with a product (modem, TV box) that must be returned when the product ends."""

    equipment_id: str
    name: str
    serial: str | None
    return_to: str  # where: a store address or "courier pickup"
    return_within_days: int  # by when: so many days after the closure's effective date
    non_return_fee_minor: int = 0  # charged only if it is not returned in time


@dataclass(frozen=True, slots=True)
class RelatedProduct:
    """Another product of the line's bundle (broadband, TV, fixed voice, or another mobile line)."""

    product_id: str
    kind: str  # broadband | tv | fixed_voice | mobile
    name: str
    msisdn: str | None = None  # for a mobile product
    early_termination_fee_minor: int = 0  # what ending this product now costs
    equipment: tuple[Equipment, ...] = ()


@dataclass(frozen=True, slots=True)
class SecondaryLine:
    """A secondary line (副卡) that depends on this main line: it must move to another main line or close too."""

    msisdn: str
    product_id: str


@dataclass(frozen=True, slots=True)
class SharedDataGroup:
    group_id: str
    name: str
    members: tuple[str, ...]  # the other lines' MSISDNs
    owner: bool  # this line owns the group (its data allowance)


@dataclass(frozen=True, slots=True)
class LineFamily:
    """The line's relations to the customer's other products. ``product_id`` is the line's own product in the
    BSS (TMF637); relationships are named from this line's side."""

    product_id: str | None = None
    main_msisdn: str | None = None  # this line is a secondary line of that main line
    secondary_lines: tuple[SecondaryLine, ...] = ()  # lines that depend on this main line
    bundle_id: str | None = None
    bundle_name: str | None = None
    bundle_products: tuple[RelatedProduct, ...] = ()  # the bundle's OTHER products
    equipment: tuple[Equipment, ...] = ()  # lent with the mobile product itself
    shared_data_groups: tuple[SharedDataGroup, ...] = ()
    other_main_lines: tuple[str, ...] = ()  # the customer's other main lines (where a secondary line may move)

    @property
    def empty(self) -> bool:
        return not (self.main_msisdn or self.secondary_lines or self.bundle_products or self.equipment
                    or self.shared_data_groups)


NO_FAMILY = LineFamily()


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
    family: LineFamily = NO_FAMILY
    extra: dict[str, object] = field(default_factory=dict)


class FactsSource(Protocol):
    """Supplies the facts of one line, looked up by its E.164 MSISDN. Raises NotFound if unknown."""

    def line_facts(self, msisdn: str) -> LineFacts: ...

