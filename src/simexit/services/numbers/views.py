"""What the doors receive from the numbers capability (frozen; ``to_dict`` gives the documented fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SubscriptionView:
    """A relying party's disconnect-webhook subscription. ``label`` is set for a partner's own subscriptions,
    ``secret`` only in the answer that created it."""

    name: str
    url: str
    active: bool
    created_at: str
    removed_at: str | None
    label: str | None = None
    secret: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "url": self.url, "active": self.active,
                               "created_at": self.created_at, "removed_at": self.removed_at}
        if self.label is not None:
            out["label"] = self.label
        if self.secret is not None:
            out["secret"] = self.secret
        return out


@dataclass(frozen=True)
class DisconnectRow:
    """A number's permanent disconnect date (reassigned-numbers export)."""

    number: str
    permanent_disconnect_date: str
    brand: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "permanent_disconnect_date": self.permanent_disconnect_date,
                "brand": self.brand}
