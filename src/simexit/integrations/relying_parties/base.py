"""Telling relying parties (banks, payment and social apps) that a number was permanently disconnected."""

from __future__ import annotations

from datetime import date
from typing import Protocol


class DisconnectNotifier(Protocol):
    def notify(self, msisdn: str, disconnected_on: date, idempotency_key: str) -> None: ...
