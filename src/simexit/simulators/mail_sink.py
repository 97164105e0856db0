"""``simexit sim mail``: a local mail sink. A real SMTP server (aiosmtpd) keeps every message it receives,
and a small web page shows them, so that a newcomer can read what simexit sent.

- ``GET /`` — the list, newest first, with links; ``GET /messages/<n>`` — one message's HTML part;
- ``GET /messages`` — JSON: ``from``, ``to``, ``subject``, ``message_id``, ``text``, ``html``, ``language``.
"""

from __future__ import annotations

import email
import email.policy
import html
import socket
from collections import deque
from typing import Any

from aiosmtpd.controller import Controller

from simexit.simulators.http_server import Reply, Request, Simulator, record_limit


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def parse_message(raw: bytes, envelope_to: list[str]) -> dict[str, Any]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = msg.get_body(("plain",))
    body_html = msg.get_body(("html",))
    return {
        "from": str(msg["From"] or ""), "to": str(msg["To"] or ""), "envelope_to": envelope_to,
        "subject": str(msg["Subject"] or ""), "message_id": str(msg["Message-ID"] or ""),
        "date": str(msg["Date"] or ""), "language": str(msg["Content-Language"] or ""),
        "template": str(msg["X-Simexit-Template"] or ""), "content_type": msg.get_content_type(),
        "text": text.get_content() if text else "", "html": body_html.get_content() if body_html else "",
    }


class _Collector:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sink._store(envelope.original_content or envelope.content, list(envelope.rcpt_tos))
        return "250 OK"


class MailSink(Simulator):
    """SMTP on ``smtp_port`` (a free one by default) plus the HTTP page on ``port``."""

    name = "mail"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, smtp_port: int | None = None) -> None:
        super().__init__(host, port)
        self.smtp_host = host
        self.smtp_port = smtp_port or free_port(host)
        self._controller = Controller(_Collector(self), hostname=host, port=self.smtp_port)

    def reset_state(self) -> None:
        self.messages: deque[dict[str, Any]] = deque(maxlen=record_limit())  # the newest, bounded

    def start(self) -> MailSink:
        self._controller.start()
        super().start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        super().stop()

    def serve_forever(self) -> None:
        self._controller.start()
        try:
            super().serve_forever()
        finally:
            self._controller.stop()

    def _store(self, raw: bytes, rcpt: list[str]) -> None:
        parsed = parse_message(raw, rcpt)
        with self._lock:
            self.messages.append(parsed)

    def inbox(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages)

    def handle(self, req: Request) -> Reply:
        method, path = req.method, req.path
        if method != "GET":
            return Reply(405, {"error": "read only"})
        if path == "/messages":
            return Reply(200, list(self.messages))
        if path.startswith("/messages/") and path.removeprefix("/messages/").isdigit():
            n = int(path.removeprefix("/messages/"))
            if 0 <= n < len(self.messages):
                m = self.messages[n]
                page = m["html"] or f"<pre>{html.escape(m['text'])}</pre>"
                return Reply(200, page, content_type="text/html; charset=utf-8")
            return Reply(404, {"error": "no such message"})
        if path == "/":
            rows = "".join(
                f"<tr><td>{n}</td><td>{html.escape(m['date'])}</td><td>{html.escape(m['to'])}</td>"
                f"<td><a href='/messages/{n}'>{html.escape(m['subject'])}</a></td></tr>"
                for n, m in reversed(list(enumerate(self.messages))))
            page = ("<!doctype html><meta charset='utf-8'><title>simexit mail sink</title>"
                    f"<h1>Messages received on SMTP {self.smtp_host}:{self.smtp_port}</h1>"
                    "<p><a href='/messages'>JSON</a></p><table border='1' cellpadding='4'>"
                    f"<tr><th>#</th><th>date</th><th>to</th><th>subject</th></tr>{rows}</table>")
            return Reply(200, page, content_type="text/html; charset=utf-8")
        return Reply(404, {"error": "not found"})
