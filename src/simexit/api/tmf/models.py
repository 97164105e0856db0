"""The TMF622 request bodies simexit reads (pydantic): the parts of ProductOrder_FVO, ProductOrder_MVO,
CancelProductOrder_FVO and Hub_FVO that matter to a line's termination. Other published members are accepted
and ignored (``extra="allow"``); the answers are rendered by ``render`` to the published schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Tmf(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CharacteristicIn(Tmf):
    name: str | None = Field(None, max_length=100)
    value: Any = None


class ProductIn(Tmf):
    """ProductRefOrValue: a ProductRef, or a Product carrying characteristics (the termination reason)."""

    id: str | None = Field(None, max_length=64)
    productCharacteristic: list[CharacteristicIn] = Field(default_factory=list, max_length=50)


class OrderItemIn(Tmf):
    type_: str = Field(alias="@type", max_length=100)
    id: str = Field(min_length=1, max_length=64)
    action: Literal["add", "modify", "delete", "noChange"]
    product: ProductIn | None = None


class ChannelRefIn(Tmf):
    id: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=100)


class RelatedChannelIn(Tmf):
    role: str | None = Field(None, max_length=100)
    channel: ChannelRefIn | None = None


class NoteIn(Tmf):
    author: str | None = Field(None, max_length=200)
    text: str | None = Field(None, max_length=2000)


class ExternalIdIn(Tmf):
    id: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=200)
    externalIdentifierType: str | None = Field(None, max_length=200)


class ProductOrderIn(Tmf):
    type_: str = Field(alias="@type", max_length=100)
    requestedInitialState: Literal["acknowledged", "draft"] = "acknowledged"
    productOrderItem: list[OrderItemIn] = Field(min_length=1, max_length=50)
    description: str | None = Field(None, max_length=2000)
    category: str | None = Field(None, max_length=200)
    priority: str | None = Field(None, max_length=50)
    notificationContact: str | None = Field(None, max_length=200)
    externalId: list[ExternalIdIn] = Field(default_factory=list, max_length=20)
    note: list[NoteIn] = Field(default_factory=list, max_length=20)
    channel: list[RelatedChannelIn] = Field(default_factory=list, max_length=10)
    requestedCompletionDate: datetime | None = None
    requestedStartDate: datetime | None = None


class ProductOrderPatch(Tmf):
    state: str | None = Field(None, max_length=40)


class OrderRefIn(Tmf):
    id: str = Field(min_length=1, max_length=64)


class CancelProductOrderIn(Tmf):
    type_: str = Field(alias="@type", max_length=100)
    productOrder: OrderRefIn
    cancellationReason: str | None = Field(None, max_length=1000)
    requestedCancellationDate: datetime | None = None


class HubIn(Tmf):
    type_: str = Field(alias="@type", max_length=100)
    callback: str = Field(max_length=2000)
    query: str | None = Field(None, max_length=2000)
