"""One outbox kind, ``webhook``, two senders: relying-party and range-holder notices by their template, the TMF
hubs' events to the signed-webhook sender (found by CI: a TMF sender took the relying parties' notices)."""

from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.relying_parties.notices import DISCONNECT_TEMPLATE, NoticeSender, WebhookRouter


class Notifier:
    def __init__(self):
        self.told = []

    def notify(self, party, msisdn, disconnected_on, key):
        self.told.append((party, msisdn, str(disconnected_on), key))


class Events:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message.recipient)
        return "event-1"


def message(template, recipient, payload):
    return OutgoingMessage(kind="webhook", recipient=recipient, template=template, locale="en", payload=payload,
                           idempotency_key="k-1")


def test_notices_and_hub_events_reach_their_own_sender():
    notifier, events = Notifier(), Events()
    router = WebhookRouter(NoticeSender(notifier, None), events)
    router.send(message(DISCONNECT_TEMPLATE, "bank", {"msisdn": "+8613900300100", "disconnected_on": "2026-12-01"}))
    router.send(message("ProductOrderStateChangeEvent", "http://127.0.0.1:9/hub", {"event": {}}))
    assert notifier.told == [("bank", "+8613900300100", "2026-12-01", "k-1")]
    assert events.sent == ["http://127.0.0.1:9/hub"]
