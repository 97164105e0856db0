"""The shared part of every simulator: a threaded HTTP server on 127.0.0.1 with JSON routes and an admin API.

Admin API (under ``/_sim``; not part of any simulated protocol):
- ``GET /_sim/requests``: every request received (method, path, query, body), oldest first;
- ``GET /_sim/effects``: the state changes made (what a real system would have done), oldest first;
- ``POST /_sim/behaviour`` ``{"fail": "none"|"unavailable"|"error", "fail_count": n, "delay_seconds": s}``:
  answer 503 (unavailable) or 500 (error) — for the next ``n`` requests if given, else until told otherwise —
  and/or wait ``s`` seconds before each answer;
- ``POST /_sim/reset``: forget state, records and behaviour.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, Any, dict[str, str]]  # status, JSON-able body (None → "null"; b"" → empty), headers


class Simulator:
    """Subclasses implement ``handle(method, path, query, body, headers) -> Reply`` and ``reset_state``."""

    name = "sim"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[dict[str, Any]] = []
        self.effects: list[dict[str, Any]] = []
        self.fail_mode = "none"
        self.fail_count: int | None = None
        self.delay_seconds = 0.0
        self.reset_state()

    def reset_state(self) -> None:  # pragma: no cover - overridden
        pass

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def effect(self, **what: Any) -> None:
        with self.lock:
            self.effects.append({"at": datetime.now(UTC).isoformat(), **what})

    def admin(self, method: str, path: str, body: Any) -> Reply | None:
        with self.lock:
            if method == "GET" and path == "/_sim/requests":
                return 200, list(self.requests), {}
            if method == "GET" and path == "/_sim/effects":
                return 200, list(self.effects), {}
            if method == "POST" and path == "/_sim/behaviour":
                body = body or {}
                if "fail" in body:
                    self.fail_mode = body["fail"]
                    self.fail_count = body.get("fail_count")
                if "delay_seconds" in body:
                    self.delay_seconds = float(body["delay_seconds"])
                return 200, {"fail": self.fail_mode, "fail_count": self.fail_count,
                             "delay_seconds": self.delay_seconds}, {}
            if method == "POST" and path == "/_sim/reset":
                self.requests.clear()
                self.effects.clear()
                self.fail_mode, self.fail_count, self.delay_seconds = "none", None, 0.0
                self.reset_state()
                return 200, {"reset": True}, {}
        return None

    def injected_failure(self) -> Reply | None:
        with self.lock:
            if self.fail_mode == "none":
                return None
            if self.fail_count is not None:
                if self.fail_count <= 0:
                    self.fail_mode, self.fail_count = "none", None
                    return None
                self.fail_count -= 1
            status = 503 if self.fail_mode == "unavailable" else 500
            return status, {"error": f"simulated {self.fail_mode}"}, {}


def _handler_for(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one answer = one segment; no delayed-ACK stalls

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = sim.admin(self.command, parts.path, body) if parts.path.startswith("/_sim/") else None
            if reply is None:
                with sim.lock:
                    sim.requests.append({"at": datetime.now(UTC).isoformat(), "method": self.command,
                                         "path": parts.path, "query": query, "body": body,
                                         "headers": {k: v for k, v in headers.items()
                                                     if k in ("provisioning-key", "x-admin-protocol",
                                                              "idempotency-key", "authorization")}})
                    delay = sim.delay_seconds
                if delay:
                    time.sleep(delay)
                reply = sim.injected_failure()
                if reply is None:
                    try:
                        reply = sim.handle(self.command, parts.path, query, body, headers)
                    except Exception as exc:  # a simulator bug must not hang the client
                        reply = 500, {"result": "Failed", "reason": f"simulator error: {exc}"}, {}
            status, payload, extra = reply
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client is not an error here
            super().handle_error(request, client_address)


class SimulatorServer:
    """Runs a Simulator on 127.0.0.1 (port 0 = a free port) in a background thread, or in the foreground."""

    def __init__(self, sim: Simulator, port: int = 0, host: str = "127.0.0.1") -> None:
        self.sim = sim
        self.httpd = _QuietServer((host, port), _handler_for(sim))
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"sim-{self.sim.name}", daemon=True)
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# name → factory of a Simulator; ``simexit sim all`` starts every entry. Other simulators register here.
SIMULATORS: dict[str, Callable[[], Simulator]] = {}


def register(name: str, factory: Callable[[], Simulator]) -> None:
    SIMULATORS[name] = factory
