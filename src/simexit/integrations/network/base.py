"""Closing a line on the network (HSS/HLR/UDM): bar it, deregister it, delete its subscriber records —
in that order (JURISDICTIONS.md). Each call is idempotent: repeating a done step changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Subscriber:
    msisdn: str  # E.164
    imsi: str | None
    iccid: str


class NetworkProvisioner(Protocol):
    name: str

    def bar(self, sub: Subscriber, idempotency_key: str) -> None: ...

    def deregister(self, sub: Subscriber, idempotency_key: str) -> dict[str, Any] | None:
        """Detach the line; may return what was done (kept in the step's result, shown to staff)."""
        ...

    def delete(self, sub: Subscriber, idempotency_key: str) -> None: ...
