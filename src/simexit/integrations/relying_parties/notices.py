"""The outbox sender of ``webhook`` messages: a relying party's disconnect notice, or a ported-in number's
return to its range holder. Each message is one party's durable notice, retried on its own by the worker."""

from __future__ import annotations

from datetime import date

from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import MessageSender, OutgoingMessage
from simexit.integrations.relying_parties.base import DisconnectNotifier, NumberReturnHook

DISCONNECT_TEMPLATE = "number.permanently_disconnected"
RETURN_TEMPLATE = "number.returned"


class NoticeSender:
    kind = "webhook"

    def __init__(self, notifier: DisconnectNotifier | None, returns: NumberReturnHook | None) -> None:
        self._notifier, self._returns = notifier, returns

    def send(self, message: OutgoingMessage) -> str:
        p = message.payload
        day = date.fromisoformat(p["disconnected_on"])
        if message.template == DISCONNECT_TEMPLATE:
            if self._notifier is None:
                raise IntegrationError("relying_parties", "NOT_CONFIGURED", "no disconnect notifier configured",
                                       retryable=False)
            self._notifier.notify(message.recipient, p["msisdn"], day, message.idempotency_key)
        elif message.template == RETURN_TEMPLATE:
            if self._returns is None:
                raise IntegrationError("range_holder", "NOT_CONFIGURED", "no number-return hook configured "
                                       "(SIMEXIT_NUMBER_RETURN_URL)", retryable=False)
            self._returns.returned(message.recipient, p["msisdn"], day, message.idempotency_key)
        else:
            raise IntegrationError("webhook", "TEMPLATE_UNKNOWN", f"no webhook for {message.template!r}",
                                   retryable=False)
        return message.idempotency_key


class WebhookRouter:
    """The ``webhook`` outbox kind: a relying-party or range-holder notice (by its template) goes to the
    notice sender; any other template (the TMF hubs' events) to the signed-webhook sender, when configured."""

    kind = "webhook"
    NOTICES = (DISCONNECT_TEMPLATE, RETURN_TEMPLATE)

    def __init__(self, notices: NoticeSender, events: MessageSender | None) -> None:
        self._notices, self._events = notices, events

    def send(self, message: OutgoingMessage) -> str:
        if message.template in self.NOTICES or self._events is None:
            return self._notices.send(message)
        return self._events.send(message)
