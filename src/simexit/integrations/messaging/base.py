"""Sending one outbox message (e-mail over SMTP, SMS over an HTTP gateway, partner webhooks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    kind: str  # sms | email | webhook
    recipient: str
    template: str
    locale: str
    payload: dict[str, Any]
    idempotency_key: str


class MessageSender(Protocol):
    kind: str

    def send(self, message: OutgoingMessage) -> str:
        """Send it; return the provider's message id. Raise IntegrationError on failure."""
        ...
