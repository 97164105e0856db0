"""The JSON Lines import format: one object per line, with a ``type`` field.

Records may refer only to records above them in the file or already in the database
(customers by ``brand`` + ``ref``, everything else by the line's ``msisdn``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simexit.domain.identifiers import ID_TYPES

# What the columns hold: a 64-bit integer (money in minor units, bytes), a 32-bit one (seconds). A larger number
# in the file is refused naming its field, not left to the database to overflow.
Int64 = Annotated[int, Field(ge=-(2**63), lt=2**63)]
Count64 = Annotated[int, Field(ge=0, lt=2**63)]
Count32 = Annotated[int, Field(ge=0, lt=2**31)]


class Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerRec(Rec):
    type: Literal["customer"]
    brand: str
    ref: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    id_type: str
    id_number: str
    email: str | None = None
    contact_phone: str | None = None
    locale: Literal["zh-CN", "en", "de"] = "zh-CN"
    identity_verified: bool = True
    currency: str | None = None  # of the account; default: the brand's

    @field_validator("id_type")
    @classmethod
    def _id_type(cls, v: str) -> str:
        if v not in ID_TYPES:
            raise ValueError(f"unknown ID type {v!r} (known: {', '.join(ID_TYPES)})")
        return v


class LineRec(Rec):
    type: Literal["line"]
    customer: str = Field(description="the customer's ref in the same brand")
    brand: str
    msisdn: str
    iccid: str
    imsi: str | None = None
    kind: Literal["sim", "esim", "data"]
    payment: Literal["prepaid", "postpaid"]
    plan: str = Field(min_length=1, max_length=80)
    number_keeping: bool = False
    contract_start: date | None = None
    contract_end: date | None = None
    early_termination_fee_minor: Count64 = 0
    status: Literal["active", "suspended"] = "active"
    last_sim_change_at: datetime | None = None
    port_out_pending: bool = False
    activated_at: datetime | None = None


class BalanceRec(Rec):
    type: Literal["balance"]
    msisdn: str
    amount_minor: Int64
    currency: str
    kind: Literal["opening", "topup", "usage", "fee", "adjustment"] = "opening"
    at: datetime | None = None
    reference: str | None = Field(default=None, max_length=120)


class BillRec(Rec):
    type: Literal["bill"]
    msisdn: str
    period_start: date
    period_end: date
    amount_minor: Count64
    currency: str
    due_date: date
    paid_at: datetime | None = None


class BindingRec(Rec):
    type: Literal["binding"]
    msisdn: str
    service: str = Field(min_length=1, max_length=80)
    since: date | None = None


class DeviceRec(Rec):
    type: Literal["device"]
    msisdn: str
    name: str = Field(min_length=1, max_length=80)
    imei: str | None = None
    eid: str | None = None
    bound_at: datetime | None = None


class EsimProfileRec(Rec):
    type: Literal["esim_profile"]
    msisdn: str
    iccid: str
    eid: str | None = None
    state: Literal["Available", "Allocated", "Linked", "Confirmed", "Released", "Downloaded", "Installed",
                   "Enabled", "Disabled", "Error", "Unavailable"]


class UsageRec(Rec):
    type: Literal["usage"]
    msisdn: str
    kind: Literal["call", "sms", "data"]
    started_at: datetime
    direction: Literal["in", "out"] | None = None
    counterpart: str | None = Field(default=None, max_length=20)
    duration_s: Count32 | None = None
    volume_bytes: Count64 | None = None


Record = Annotated[
    CustomerRec | LineRec | BalanceRec | BillRec | BindingRec | DeviceRec | EsimProfileRec | UsageRec,
    Field(discriminator="type"),
]
