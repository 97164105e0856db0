"""TEST DOUBLES (not production code): a MessageSender, a RefundGateway and a DisconnectNotifier that only
record what they were asked to do. Like the real systems they are idempotent per idempotency key.

The defaults are the real SMTP/SMS senders, refund webhook and relying-party webhooks
(integrations/wiring.py); the worker tests swap these doubles in, directly (tests/simulated_world.py) or by
factory path in the settings (the crash test), to count exactly what the saga asked for.
With ``SIMEXIT_TEST_RECORD_FILE`` set (the crash test's worker subprocess) every call is also appended to
that JSON Lines file, one ``os.write`` per line, so that the test can count the calls made by workers that
were killed."""

from __future__ import annotations

import json
import os
import threading
from datetime import date
from typing import Any

from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.payments.base import RefundOrder


class Recorder:
    def __init__(self, path: str | None = None) -> None:
        self.path = path or os.environ.get("SIMEXIT_TEST_RECORD_FILE")
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, **call: Any) -> None:
        with self.lock:
            self.calls.append(call)
            if self.path:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (json.dumps(call, default=str) + "\n").encode())
                finally:
                    os.close(fd)


def read_record_file(path: str) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


class RecordingSender:
    def __init__(self, kind: str, recorder: Recorder) -> None:
        self.kind, self.recorder = kind, recorder

    def send(self, message: OutgoingMessage) -> str:
        self.recorder.record(system="messaging", kind=message.kind, key=message.idempotency_key,
                             template=message.template, recipient=message.recipient, payload=message.payload)
        return f"msg-{message.idempotency_key}"


class RecordingRefundGateway:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def pay(self, order: RefundOrder) -> str:
        self.recorder.record(system="refund", key=order.idempotency_key, application_no=order.application_no,
                             amount_minor=order.amount_minor, currency=order.currency, method=order.method)
        return f"pay-{order.idempotency_key}"


class RecordingNotifier:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def notify(self, party: str, msisdn: str, disconnected_on: date, idempotency_key: str) -> None:
        self.recorder.record(system="relying_parties", party=party, key=idempotency_key, msisdn=msisdn,
                             disconnected_on=disconnected_on.isoformat())


_SHARED = Recorder()


# Factories named in the settings (``tests.recording_doubles:sms_sender`` …), each called with Settings.
def sms_sender(_settings: object) -> RecordingSender:
    return RecordingSender("sms", _SHARED)


def email_sender(_settings: object) -> RecordingSender:
    return RecordingSender("email", _SHARED)


def refund_gateway(_settings: object) -> RecordingRefundGateway:
    return RecordingRefundGateway(_SHARED)


def disconnect_notifier(_settings: object) -> RecordingNotifier:
    return RecordingNotifier(_SHARED)
