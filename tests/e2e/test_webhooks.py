"""Refund orders against the payment system simulator; permanent-disconnect webhooks to relying parties."""

import json
import time
from dataclasses import replace
from datetime import date

import httpx
import pytest

from simexit.integrations.errors import IntegrationError
from simexit.integrations.payments.base import RefundOrder
from simexit.integrations.payments.webhook import WebhookRefundGateway
from simexit.integrations.relying_parties.webhooks import Subscription, WebhookDisconnectNotifier
from simexit.integrations.webhook_signature import verify
from simexit.simulators.http_server import Reply, Request, Simulator
from simexit.simulators.payment_system import PaymentSystemSimulator

SECRET = "payments-secret-0123456789abcdef"
ORDER = RefundOrder("SX-0000-0000-0", 122450, "CNY", "bank_transfer",
                    {"iban_or_account": "6222020200112233", "holder": "张三"}, "SX-0000-0000-0:refund")


@pytest.fixture
def payments():
    with PaymentSystemSimulator(secret=SECRET) as sim:
        yield sim


def test_refund_is_paid_once_and_the_simulator_verifies_the_signature(payments):
    gw = WebhookRefundGateway(payments.url, SECRET)
    ref = gw.pay(ORDER)
    assert gw.pay(ORDER) == ref  # an idempotent repeat (e.g. after a crash)
    [paid] = payments.paid()
    assert paid == {"id": ref, "status": "accepted", "amount_minor": 122450, "currency": "CNY",
                    "application_no": "SX-0000-0000-0", "method": "bank_transfer",
                    "idempotency_key": "SX-0000-0000-0:refund"}
    received = httpx.get(f"{payments.url}/_sim/received").json()
    assert [r["status"] for r in received] == [201, 200]
    assert received[0]["headers"]["idempotency-key"] == "SX-0000-0000-0:refund"
    assert received[0]["headers"]["x-simexit-signature"].startswith("v1=")


def test_wrong_secret_is_refused_and_not_retried(payments):
    with pytest.raises(IntegrationError) as e:
        WebhookRefundGateway(payments.url, "another-secret-0123456789abcdef").pay(ORDER)
    assert (e.value.code, e.value.retryable) == ("PAYMENT_SIGNATURE_REFUSED", False)
    assert payments.paid() == []


def test_stale_timestamp_is_refused(payments):
    gw = WebhookRefundGateway(payments.url, SECRET, now=lambda: 1_000_000_000)
    with pytest.raises(IntegrationError) as e:
        gw.pay(ORDER)
    assert e.value.code == "PAYMENT_SIGNATURE_REFUSED"


def test_key_reused_for_another_amount_is_a_conflict(payments):
    gw = WebhookRefundGateway(payments.url, SECRET)
    gw.pay(ORDER)
    other = replace(ORDER, amount_minor=1)
    with pytest.raises(IntegrationError) as e:
        gw.pay(other)
    assert (e.value.code, e.value.retryable) == ("PAYMENT_KEY_CONFLICT", False)
    assert len(payments.paid()) == 1


def test_payment_system_down_then_back(payments):
    payments.set_behaviour(fail_status=502, fail_times=1)
    gw = WebhookRefundGateway(payments.url, SECRET)
    with pytest.raises(IntegrationError) as e:
        gw.pay(ORDER)
    assert (e.value.code, e.value.retryable) == ("PAYMENT_SYSTEM_ERROR", True)
    assert gw.pay(ORDER).startswith("po_")
    assert len(payments.paid()) == 1


class Bank(Simulator):
    """A relying party that verifies the signature as documented and deduplicates on the event id."""

    name = "bank"

    def __init__(self, secret: str, answer: int = 200) -> None:
        self.secret, self.answer = secret, answer
        super().__init__()

    def reset_state(self) -> None:
        self.events: dict[str, dict] = {}

    def handle(self, req: Request) -> Reply:
        headers, body = req.headers, req.raw
        if not verify(self.secret, headers.get("x-simexit-timestamp"), headers.get("x-simexit-signature"), body,
                      int(time.time())):
            return Reply(401, {"error": "bad signature"})
        if self.answer != 200:
            return Reply(self.answer, {"error": "told to"})
        event = json.loads(body)
        assert event["event_id"] == headers["x-simexit-event-id"]
        self.events.setdefault(event["event_id"], event)
        return Reply(200, {"ok": True})


def test_each_relying_party_gets_a_signed_notice_it_can_verify():
    with Bank("a" * 32) as a, Bank("b" * 32) as b:
        subs = [Subscription("bank-a", f"{a.url}/hooks", "a" * 32), Subscription("bank-b", f"{b.url}/x", "b" * 32)]
        notifier = WebhookDisconnectNotifier(lambda: subs)
        for party in ("bank-a", "bank-b"):  # each party its own notice and event id
            notifier.notify(party, "+8613900001234", date(2026, 11, 23), f"SX-0000-0000-0:{party}")
        notifier.notify("bank-a", "+8613900001234", date(2026, 11, 23), "SX-0000-0000-0:bank-a")  # a retry
        notifier.notify("gone", "+8613900001234", date(2026, 11, 23), "SX-0000-0000-0:gone")  # unsubscribed
        for bank, party, posts in ((a, "bank-a", 2), (b, "bank-b", 1)):
            assert list(bank.events.values()) == [{
                "event": "number.permanently_disconnected", "event_id": f"SX-0000-0000-0:{party}",
                "msisdn": "+8613900001234", "disconnected_on": "2026-11-23"}]
            assert [r["status"] for r in bank.received()] == [200] * posts  # a retry posts to that party only


def test_a_party_with_the_wrong_secret_refuses_and_the_failure_is_reported():
    with Bank("a" * 32) as a, Bank("b" * 32) as b:
        subs = [Subscription("bank-a", a.url, "a" * 32), Subscription("bank-b", b.url, "x" * 32)]
        notifier = WebhookDisconnectNotifier(lambda: subs)
        notifier.notify("bank-a", "+8613900001234", date(2026, 11, 23), "k-a")
        with pytest.raises(IntegrationError) as e:
            notifier.notify("bank-b", "+8613900001234", date(2026, 11, 23), "k-b")
        assert e.value.code == "RELYING_PARTY_FAILED" and "bank-b: 401" in e.value.message
        assert not e.value.retryable and len(a.events) == 1 and b.events == {}


def test_a_party_that_is_down_makes_the_notice_retryable():
    with Bank("a" * 32, answer=503) as a:
        with pytest.raises(IntegrationError) as e:
            WebhookDisconnectNotifier(lambda: [Subscription("bank-a", a.url, "a" * 32)]).notify(
                "bank-a", "+8613900001234", date(2026, 11, 23), "k")
        assert e.value.retryable
