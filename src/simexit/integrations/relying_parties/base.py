"""Telling relying parties (banks, payment and social apps) that a number was permanently disconnected, and a
ported-in number's range holder that the number is returned."""

from __future__ import annotations

from datetime import date
from typing import Protocol


class DisconnectNotifier(Protocol):
    def notify(self, party: str, msisdn: str, disconnected_on: date, idempotency_key: str) -> None:
        """Tell one subscribed party (by its subscription name); raise IntegrationError on failure. Each party
        has its own durable notice (an outbox message) and its own idempotency key, retried on its own."""
        ...


class NumberReturnHook(Protocol):
    def returned(self, range_holder: str, msisdn: str, disconnected_on: date, idempotency_key: str) -> None:
        """Tell a ported-in number's range holder that the number goes back to it (never reissued here)."""
        ...
