"""Who may see what: a customer sees only their own lines and applications, staff only their brands.

A resource outside the caller's scope is reported as *not found* (never "forbidden"), so that its
existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    customer_id: int | None = None  # a signed-in customer: only their own records
    brands: tuple[str, ...] | None = None  # staff: only these brands ("*" = all)

    @classmethod
    def customer(cls, customer_id: int) -> Scope:
        return cls(customer_id=customer_id)

    @classmethod
    def staff(cls, brands: tuple[str, ...] | list[str]) -> Scope:
        return cls(brands=tuple(brands))

    @property
    def all_brands(self) -> bool:
        return self.brands is not None and "*" in self.brands

    def permits(self, *, brand: str, customer_id: int) -> bool:
        if self.customer_id is not None and customer_id != self.customer_id:
            return False
        return self.brands is None or self.all_brands or brand in self.brands
