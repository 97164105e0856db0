"""``simexit sim sms``: an SMS gateway speaking the HTTP/JSON protocol of ``integrations/messaging/sms_http.py``.

It keeps every accepted message (``GET /v1/messages`` lists them), answers a repeated ``client_reference``
with the first message's id without sending again, and checks the API key and the number.
"""

from __future__ import annotations

import json
import re
from typing import Any

from simexit.simulators.http_server import Reply, Request, Simulator

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class SmsGatewaySimulator(Simulator):
    name = "sms"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str = "demo-sms-key") -> None:
        self.api_key = api_key
        super().__init__(host, port)

    def reset_state(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}  # by client_reference

    def delivered(self) -> list[dict[str, Any]]:
        """Messages accepted exactly once each (what a phone would have received)."""
        with self._lock:
            return list(self.messages.values())

    def handle(self, req: Request) -> Reply:
        method, path, headers, body = req.method, req.path, req.headers, req.raw
        if path == "/v1/messages" and method == "GET":
            return Reply(200, list(self.messages.values()))
        if path != "/v1/messages" or method != "POST":
            return Reply(404, {"error": "not found"})
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": "invalid API key"})
        try:
            data = json.loads(body)
            to, text, ref = data["to"], data["text"], data["client_reference"]
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"error": "to, text and client_reference are required"})
        if not isinstance(to, str) or not E164.match(to):
            return Reply(422, {"error": "to must be an E.164 number"})
        if not isinstance(text, str) or not text.strip() or len(text) > 1000:
            return Reply(422, {"error": "text must have 1 to 1000 characters"})
        if ref in self.messages:
            return Reply(200, self.messages[ref])
        msg = {"id": f"sms_{len(self.messages) + 1:06d}", "status": "accepted", "to": to,
               "from": data.get("from"), "text": text, "client_reference": ref}
        self.messages[ref] = msg
        return Reply(201, msg)
