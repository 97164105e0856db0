"""A range holder (the operator whose number range a ported-in number belongs to) receiving the numbers simexit
returns after their rest (``integrations/relying_parties/range_holder.py``).

Protocol::

    POST /number-returns
    X-Simexit-Event-Id / X-Simexit-Timestamp / X-Simexit-Signature   (integrations/webhook_signature.py)
    {"event": "number.returned", "event_id": ..., "msisdn": ..., "range_holder": ..., "disconnected_on": ...}

    200 {"accepted": true}      first time; the same event id again is accepted once more, recorded once
    401 bad signature or stale timestamp; 400 not a number.returned event

``GET /number-returns`` lists the numbers returned (one per event id).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from simexit.integrations.webhook_signature import verify
from simexit.simulators.http_server import Reply, Request, Simulator

PATH = "/number-returns"


class RangeHolderSimulator(Simulator):
    name = "range_holder"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, secret: str = "demo-number-return-secret-change",
                 now: Callable[[], float] = time.time) -> None:
        self.secret, self._now = secret, now
        super().__init__(host, port)

    def reset_state(self) -> None:
        self.returned: dict[str, dict[str, Any]] = {}  # by event id

    def handle(self, req: Request) -> Reply:
        if req.path == PATH and req.method == "GET":
            with self.lock:
                return Reply(200, list(self.returned.values()))
        if req.path != PATH or req.method != "POST":
            return Reply(404, {"error": "not found"})
        h = req.headers
        if not verify(self.secret, h.get("x-simexit-timestamp"), h.get("x-simexit-signature"), req.raw,
                      int(self._now())):
            return Reply(401, {"error": "signature does not verify or timestamp too old"})
        try:
            event = json.loads(req.raw)
            ok = event["event"] == "number.returned" and event["event_id"] == h.get("x-simexit-event-id")
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            return Reply(400, {"error": "a number.returned event with its X-Simexit-Event-Id is expected"})
        with self.lock:
            if event["event_id"] not in self.returned:
                self.returned[event["event_id"]] = event
                self.effect(kind="number_returned", msisdn=event["msisdn"], range_holder=event["range_holder"])
        return Reply(200, {"accepted": True})
