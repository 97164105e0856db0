"""Paying a refund out (payment system webhook; finance also gets a CSV payout file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RefundOrder:
    application_no: str
    amount_minor: int
    currency: str
    method: str
    destination: dict[str, str] | None
    idempotency_key: str


class RefundGateway(Protocol):
    def pay(self, order: RefundOrder) -> str:
        """Order the payout; return the payment system's reference. Idempotent per idempotency_key."""
        ...
